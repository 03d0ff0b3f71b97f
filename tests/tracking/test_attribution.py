"""The attribution report: new contacts, clients, won value and conversion by source, medium,
campaign and Ads fields over a period, in the reader's scope; its page, export and API."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kartoteka.commerce.models import Totals
from kartoteka.contacts.models import Contact
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import SYSTEM
from kartoteka.deals.models import Deal
from kartoteka.tracking import report
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrivals(sales):
    google = [
        make_contact(email=f"g{n}@example.com", owners=[sales] if n == 0 else []) for n in range(3)
    ]
    news = make_contact(email="news@example.com")
    old = make_contact(email="old@example.com")
    Contact.objects.filter(pk__in=[c.pk for c in google]).update(
        utm_source="google", utm_medium="cpc", ads_keyword="crm software"
    )
    Contact.objects.filter(pk=news.pk).update(utm_source="newsletter", utm_medium="email")
    Contact.objects.filter(pk=old.pk).update(
        utm_source="google", created_at=timezone.now() - dt.timedelta(days=90)
    )
    Contact.objects.filter(pk__in=[google[0].pk, google[1].pk, old.pk]).update(status="won")
    won = make_deal(contacts=[google[0]], amount="1000.00")
    lost = make_deal(contacts=[google[1]], amount="500.00")
    make_deal(contacts=[old], amount="9999.00")
    Deal.objects.filter(pk__in=[won.pk]).update(status="won")
    Deal.objects.filter(pk__in=[lost.pk]).update(status="lost")
    Deal.objects.filter(contact_links__contact=old).update(status="won")
    Totals.objects.create(contact=news, total=2550, transactions=1)
    return google, news, old


def _rows(found):
    return {row.value: row for row in found.rows}


def test_new_contacts_clients_and_won_value_by_source(arrivals):
    found = report.attribution(SYSTEM, group_by="source")
    rows = _rows(found)
    assert set(rows) == {"google", "newsletter"}  # the old contact arrived before the period
    google = rows["google"]
    assert (google.new_contacts, google.clients, google.won_deals) == (3, 2, 1)
    assert google.won_value == Decimal("1000.00")
    assert google.conversion_rate == Decimal("66.7")
    assert rows["newsletter"].won_value == Decimal("25.50")
    assert found.total.new_contacts == 4
    assert found.rows[0].value == "google"


@pytest.mark.parametrize(
    ("group_by", "value"),
    [("medium", "cpc"), ("ads_keyword", "crm software"), ("campaign", ""), ("ads_campaign", "")],
)
def test_every_grouping(arrivals, group_by, value):
    assert _rows(report.attribution(SYSTEM, group_by=group_by))[value].new_contacts >= 3


def test_the_period_picks_the_contacts(arrivals):
    today = timezone.localdate()
    found = report.attribution(
        SYSTEM,
        group_by="source",
        start=(today - dt.timedelta(days=120)).isoformat(),
        end=(today - dt.timedelta(days=60)).isoformat(),
    )
    assert [(r.value, r.new_contacts, r.won_value) for r in found.rows] == [
        ("google", 1, Decimal("9999.00"))
    ]


def test_a_sales_user_sees_their_own_contacts(arrivals, sales):
    found = report.attribution(sales, group_by="source")
    assert [(r.value, r.new_contacts, r.clients) for r in found.rows] == [("google", 1, 1)]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"group_by": "country"}, "group_by"),
        ({"group_by": "source", "start": "2026-13-01"}, "from"),
        ({"group_by": "source", "end": "yesterday"}, "to"),
        ({"group_by": "source", "start": "2026-05-01", "end": "2026-04-01"}, "from"),
        ({"group_by": "source", "start": "1990-01-01", "end": "2026-01-01"}, "from"),
    ],
)
def test_bad_input_is_refused_by_name(options, field):
    with pytest.raises(InvalidInput) as refused:
        report.attribution(SYSTEM, **options)
    assert field in refused.value.errors


def test_form_submissions_count_in_the_report(arrivals):
    from kartoteka.webforms import services as forms

    form = forms.create_form(SYSTEM, data={"name": "Demo", "fields": []})
    proof = {"page_url": "https://shop.example.com/", "ip": "203.0.113.5", "user_agent": "UA"}
    forms.submit_form(form, values={"email": "g1@example.com"}, proof=proof)
    found = report.attribution(SYSTEM, group_by="source")
    assert _rows(found)["google"].extra["submissions"] == 1
    assert found.total.extra["submissions"] == 1
    today = timezone.localdate()
    [(_title, rows)] = report.breakdowns(SYSTEM, today - dt.timedelta(days=1), today)
    assert rows == [("Demo", f"/forms/{form.pk}/submissions/", 1)]


def test_the_page_draws_charts_and_a_table(client, admin, arrivals):
    client.force_login(admin)
    html = client.get("/reports/attribution/", {"group_by": "medium"}).content.decode()
    assert html.count("chart chart-hbars") == 4
    assert "cpc" in html and "email" in html
    assert 'href="/reports/attribution/"' in html  # the Reports entry in the navigation
    bad = client.get("/reports/attribution/", {"from": "nope"})
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.content.decode()


def test_the_export_is_a_workbook(client, sales, arrivals):
    client.force_login(sales)
    answer = client.get("/reports/attribution.xlsx", {"group_by": "source"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Source", "New contacts", "Clients")
    assert rows[1][:3] == ("google", 1, 1)
    assert rows[-1][0] == "Total"
    assert client.get("/reports/attribution.xlsx", {"group_by": "x"}).status_code == 422


def test_the_api(sales_api, admin_api, arrivals):
    mine = sales_api.get("/api/v1/reports/attribution", group_by="source").json()
    assert [(r["value"], r["new_contacts"]) for r in mine["rows"]] == [("google", 1)]
    everyone = admin_api.get("/api/v1/reports/attribution", group_by="ads_keyword").json()
    assert everyone["total"]["new_contacts"] == 4
    assert everyone["currency"]
    refused = admin_api.get("/api/v1/reports/attribution", group_by="nope", **{"from": "x"})
    assert refused.status_code == 422


def test_the_clients_view_shows_source_medium_and_ads_columns(client, admin, arrivals):
    client.force_login(admin)
    html = client.get("/clients/").content.decode()
    for heading in ("Source (UTM)", "Medium", "Google Ads campaign", "Google Ads keyword"):
        assert heading in html
    assert "cpc" in html and "crm software" in html
    ordered = client.get("/clients/", {"sort": "utm_medium"})
    assert ordered.status_code == 200

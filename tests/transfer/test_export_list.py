"""An export takes exactly the list the user was looking at, and its dialog counts that list:
the search box's text form, the filter builder, a segment or saved filter opened in the list,
the quick filters, ticked rows and the Clients view; through the page, the API and the CLI."""

import csv
import datetime as dt
import html
import io
import json
import re
from urllib.parse import unquote_plus

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.cli import main
from kartoteka.contacts.models import Contact
from kartoteka.segments.services import create_segment
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

VIP_ES = {
    "all": [
        {"field": "country", "op": "eq", "value": "ES"},
        {"field": "tags", "op": "has_any", "value": ["vip"]},
    ]
}


@pytest.fixture
def people(admin, sales):
    """Contacts that each way of narrowing the list tells apart."""
    rows = [
        ("ana@example.com", "ES", ["vip"], "won", "form", None),
        ("bea@example.com", "ES", ["vip"], "new", "import", sales),
        ("carl@example.com", "PL", ["vip"], "won", "form", None),
        ("dora@example.com", "ES", [], "won", "api", sales),
        ("eva@example.com", "ES", ["vip"], "lost", "manual", None),
        ("finn@example.com", "DE", [], "new", "manual", None),
    ]
    for email, country, tags, status, source, owner in rows:
        make_contact(
            admin,
            email=email,
            country=country,
            tags=tags,
            status=status,
            source=source,
            owners=[owner or admin],
        )
    old = timezone.now() - dt.timedelta(days=40)
    Contact.objects.filter(email__in=["eva@example.com", "finn@example.com"]).update(created_at=old)


@pytest.fixture
def browser(admin):
    client = Client()
    client.force_login(admin)
    return client


def _list_count(client, params: dict, *, clients: bool = False) -> int:
    query = {**params, **({"clients": "1"} if clients else {})}
    text = client.get("/contacts/count/", query).content.decode()
    return int(re.search(r"(\d+) contacts?", text)[1])


def _dialog_count(client, params: dict) -> int:
    response = client.get("/export/", params)
    assert response.status_code == 200, response.content.decode()
    page = response.content.decode()
    return int(re.search(r"(\d+) contacts? will be exported", page)[1])


def _exported(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return sorted(row[0] for row in rows[1:])


def _listed(params: dict, *, clients: bool = False) -> list[str]:
    from kartoteka.accounts.models import User
    from kartoteka.contacts.listing import list_contacts

    admin = User.objects.get(username="alba")
    contacts, _filters, _errors = list_contacts(admin, params, clients=clients)
    return sorted(contacts.values_list("email", flat=True))


LISTS = {
    "typed query": {"q": "tag:vip country:ES"},
    "builder": {"f": json.dumps(VIP_ES)},
    "builder and typed query": {"f": json.dumps(VIP_ES), "q": "status:won"},
    "search words": {"q": "ana"},
    "quick tag and status": {"tag": "vip", "status": "won"},
    "quick owner and source": {"owner": "sergio", "source": "import"},
    "last days": {"last_days": "30"},
    "created from": {"created_from": (timezone.now() - dt.timedelta(days=5)).date().isoformat()},
}


@pytest.mark.parametrize("params", LISTS.values(), ids=LISTS.keys())
def test_export_dialog_counts_and_exports_the_list_it_came_from(browser, people, params):
    expected = _listed(params)
    assert 0 < len(expected) < Contact.objects.count()
    assert _dialog_count(browser, params) == _list_count(browser, params) == len(expected)
    response = browser.post("/export/", {**params, "format": "csv", "columns": ["email"]})
    assert _exported(response) == expected


def test_export_of_the_clients_view_keeps_its_filters(browser, people):
    params = {"q": "tag:vip"}
    expected = _listed(params, clients=True)
    assert expected == ["ana@example.com", "carl@example.com"]
    dialog = {**params, "view": "clients"}
    assert _dialog_count(browser, dialog) == _list_count(browser, params, clients=True) == 2
    response = browser.post("/export/", {**dialog, "format": "csv", "columns": ["email"]})
    assert _exported(response) == expected


def test_a_segment_opened_in_the_list_is_exported_with_the_list_count(browser, admin, people):
    segment = create_segment(admin, name="Spanish VIPs", document=VIP_ES)
    # The Segments page opens the list at ?f=<the segment's document>.
    page = browser.get("/segments/").content.decode()
    link = re.search(r'href="/contacts/\?f=([^"]+)"', page)[1]
    params = {"f": unquote_plus(html.unescape(link))}
    assert json.loads(params["f"]) == segment.document
    assert _dialog_count(browser, params) == _list_count(browser, params) == 3


def test_the_dialogs_segment_narrows_the_list_further(browser, admin, people):
    segment = create_segment(admin, name="Spanish VIPs", document=VIP_ES)
    params = {"status": "won", "segment": segment.pk}
    assert _dialog_count(browser, params) == 1
    response = browser.post("/export/", {**params, "format": "csv", "columns": ["email"]})
    assert _exported(response) == ["ana@example.com"]


def test_the_dialog_carries_the_list_in_hidden_fields(browser, people):
    page = browser.get("/export/", {"f": json.dumps(VIP_ES), "tag": "vip", "sort": "email"})
    text = page.content.decode()
    assert '<input type="hidden" name="tag" value="vip">' in text
    assert '<input type="hidden" name="f"' in text
    assert 'name="sort"' not in text


def test_a_wrong_filter_in_the_dialog_is_a_form_error(browser, people):
    response = browser.get("/export/", {"q": "shoe:42"})
    assert response.status_code == 422
    assert "Unknown field" in response.content.decode()
    assert browser.get("/export/", {"f": "{not json"}).status_code == 422


def test_a_sales_users_export_of_a_list_stays_in_their_scope(sales, people):
    client = Client()
    client.force_login(sales)
    params = {"q": "country:ES"}
    assert _dialog_count(client, params) == _list_count(client, params) == 2
    response = client.post("/export/", {**params, "format": "csv", "columns": ["email"]})
    assert _exported(response) == ["bea@example.com", "dora@example.com"]


def _api_export(api, payload: dict) -> list[str]:
    job = api.post("/api/v1/exports", {"format": "csv", "columns": ["email"], **payload})
    assert job.status_code == 202, job.content
    assert job.json()["status"] == "done"
    return _exported(api.get(job.json()["download_url"]))


def test_api_export_of_a_typed_query(admin_api, people):
    assert _api_export(admin_api, {"q": "tag:vip country:ES"}) == [
        "ana@example.com",
        "bea@example.com",
        "eva@example.com",
    ]


def test_api_export_combines_every_part_it_is_given(admin, admin_api, people):
    segment = create_segment(
        admin, name="ES", document={"field": "country", "op": "eq", "value": "ES"}
    )
    payload = {"q": "tag:vip", "segment_id": segment.pk, "view": "clients"}
    assert _api_export(admin_api, payload) == ["ana@example.com"]
    both = {"q": "status:won", "filter": VIP_ES}
    assert _api_export(admin_api, both) == ["ana@example.com"]


def test_api_export_counts_in_the_callers_scope(sales_api, people):
    job = sales_api.post("/api/v1/exports", {"format": "csv", "q": "country:ES"}).json()
    assert job["total_rows"] == 2


def test_api_export_with_an_id_beyond_64_bits_is_refused(admin_api, people):
    response = admin_api.post("/api/v1/exports", {"format": "csv", "ids": [2**70]})
    assert response.status_code == 422


def test_cli_export_takes_a_typed_query_and_a_filter_together(admin, people, tmp_path):
    out = tmp_path / "out.csv"
    status = main(
        [
            "export",
            str(out),
            "--q",
            "status:won",
            "--filter",
            json.dumps(VIP_ES),
            "--columns",
            "email",
        ]
    )
    assert status == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == ["email", "ana@example.com"]


def test_ticked_ids_that_are_no_contact_export_nothing_not_everyone(browser, people):
    selection = {"ids": ["99999999999999999999"], "stage": "choose"}
    assert _dialog_count_post(browser, selection) == 0


def _dialog_count_post(client, data: dict) -> int:
    page = client.post("/export/", data).content.decode()
    return int(re.search(r"(\d+) contacts? will be exported", page)[1])

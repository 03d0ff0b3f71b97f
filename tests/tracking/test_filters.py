"""Segments know website behaviour: number of visits, last visit, pages, devices, systems and
browsers, and `did:visit` counts visits on the timeline."""

import pytest

from kartoteka.segments.queries import filter_contacts
from kartoteka.tracking import services
from tests.factories import make_contact
from tests.tracking.helpers import IPHONE, make_site, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitors():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    eva = make_contact(email="eva@example.com")
    nobody = make_contact(email="nobody@example.com")
    send(site, "identify", e="ana@example.com", visitor="visitor-ana1")
    send(site, u="https://shop.example.com/pricing", visitor="visitor-ana1")
    send(site, u="https://shop.example.com/blog/shoes", visitor="visitor-ana1")
    send(site, "identify", e="eva@example.com", visitor="visitor-eva1", ua=IPHONE)
    send(site, u="https://shop.example.com/", visitor="visitor-eva1", ua=IPHONE)
    services.process_hits()
    return ana, eva, nobody


def _ids(admin, field, op, value=None):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return set(filter_contacts(admin, condition).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("gte", 1, {"ana", "eva"}),
        ("lt", 1, {"nobody"}),
        ("eq", 0, {"nobody"}),
        ("ne", 0, {"ana", "eva"}),
        ("between", [0, 1], {"ana", "eva", "nobody"}),
        ("is_empty", None, {"nobody"}),
    ],
)
def test_number_of_visits_counts_contacts_never_seen_as_zero(admin, visitors, op, value, expected):
    names = dict(zip(("ana", "eva", "nobody"), visitors, strict=True))
    assert _ids(admin, "visits.count", op, value) == {names[n].pk for n in expected}


def test_visited_page_by_address(admin, visitors):
    ana, eva, nobody = visitors
    assert _ids(admin, "visits.url", "contains", "pricing") == {ana.pk}
    assert _ids(admin, "visits.url", "ne", "https://shop.example.com/pricing") == {
        eva.pk,
        nobody.pk,
    }


def test_device_browser_and_system(admin, visitors):
    ana, eva, _nobody = visitors
    assert _ids(admin, "visits.device", "eq", "mobile") == {eva.pk}
    assert _ids(admin, "visits.browser", "eq", "Chrome") == {ana.pk}
    assert _ids(admin, "visits.os", "in", ["iOS 17"]) == {eva.pk}


def test_last_visit_in_the_last_days(admin, visitors):
    ana, eva, nobody = visitors
    assert _ids(admin, "visits.last_at", "in_last_days", 7) == {ana.pk, eva.pk}
    assert _ids(admin, "visits.last_at", "is_empty") == {nobody.pk}


def test_behaviour_counts_visits_on_the_timeline(admin, visitors):
    ana, eva, _nobody = visitors
    condition = {"activity": "visit", "min_count": 1, "within_days": 7}
    assert set(filter_contacts(admin, condition).values_list("pk", flat=True)) == {ana.pk, eva.pk}


def test_visited_a_page_containing_in_the_last_days(admin, visitors):
    import datetime as dt

    from django.utils import timezone

    from kartoteka.tracking.models import PageView

    ana, eva, _nobody = visitors
    PageView.objects.filter(url__contains="blog").update(
        viewed_at=timezone.now() - dt.timedelta(days=40)
    )
    assert _ids(admin, "visited.30", "contains", "PRICING") == {ana.pk}
    assert _ids(admin, "visited.30", "contains", "blog") == set()
    assert _ids(admin, "visited.60", "contains", "blog") == {ana.pk}
    assert _ids(admin, "visited", "contains", "shop.example.com") == {ana.pk, eva.pk}
    everyone = {c.pk for c in visitors}
    assert set(
        filter_contacts(
            admin, {"not": {"field": "visited.30", "op": "contains", "value": "pricing"}}
        ).values_list("pk", flat=True)
    ) == everyone - {ana.pk}


def test_visited_and_downloaded_in_the_text_form(admin, visitors):
    from kartoteka.segments.text import parse

    assert parse("visited.30:pricing") == {
        "all": [{"field": "visited.30", "op": "contains", "value": "pricing"}]
    }
    ana = visitors[0]
    assert set(filter_contacts(admin, parse("visited.7:pricing")).values_list("pk", flat=True)) == {
        ana.pk
    }


@pytest.mark.parametrize("days", ["0", "x", "99999999"])
def test_an_unknown_period_is_no_field(admin, visitors, days):
    from kartoteka.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        _ids(admin, f"visited.{days}", "contains", "pricing")


def test_downloaded_the_file(admin, visitors, settings, tmp_path):
    from django.core.files.base import ContentFile

    from kartoteka.core.errors import InvalidInput
    from kartoteka.core.scope import SYSTEM
    from kartoteka.segments.text import parse
    from kartoteka.tracking import files
    from kartoteka.tracking.models import FileDownload, Visitor

    settings.MEDIA_ROOT = tmp_path
    ana, eva, nobody = visitors
    guide, price_list = (
        files.upload_public_file(SYSTEM, upload=ContentFile(b"%PDF", name=f"{n}.pdf"), title=n)
        for n in ("Guide", "Prices")
    )
    FileDownload.objects.create(
        file=guide, visitor=Visitor.objects.get(key="visitor-ana1"), contact=ana
    )
    # An anonymous download counts for no one.
    FileDownload.objects.create(file=price_list, visitor=Visitor.objects.create(key="anon-123"))
    assert _ids(admin, "files.downloaded", "eq", str(guide.pk)) == {ana.pk}
    assert _ids(admin, "files.downloaded", "eq", str(price_list.pk)) == set()
    assert _ids(admin, "files.downloaded", "ne", str(guide.pk)) == {eva.pk, nobody.pk}
    assert _ids(admin, "files.downloaded", "is_not_empty") == {ana.pk}
    condition = parse(f"downloaded:{guide.pk}")
    assert set(filter_contacts(admin, condition).values_list("pk", flat=True)) == {ana.pk}
    with pytest.raises(InvalidInput):
        _ids(admin, "files.downloaded", "eq", "999999")


def test_new_filters_keep_to_the_scope(sales, visitors):
    site = make_site(name="Other", domains=["other.example.com"])
    mine = make_contact(email="mine@example.com", owners=[sales])
    send(
        site,
        "identify",
        e="mine@example.com",
        visitor="visitor-mine",
        origin="https://other.example.com",
    )
    send(
        site,
        u="https://other.example.com/pricing",
        visitor="visitor-mine",
        origin="https://other.example.com",
    )
    services.process_hits()
    # Ana visited the pricing page too, but she is not the sales user's contact.
    assert _ids(sales, "visited", "contains", "pricing") == {mine.pk}

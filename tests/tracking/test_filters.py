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

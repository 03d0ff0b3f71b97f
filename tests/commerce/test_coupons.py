"""Coupons: by hand and through the API, generated in bulk for a filter or segment with unique
codes, marked used by a purchase carrying them, expired past their end."""

import pytest

from kartoteka.commerce import queries, services
from kartoteka.commerce.models import Coupon
from kartoteka.core.scope import SYSTEM
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_coupon_added_through_the_api_is_listed_available(admin_api):
    contact = make_contact()
    created = admin_api.post(
        f"/api/v1/contacts/{contact.pk}/coupons",
        {"code": "spring-10", "description": "10% off", "valid_until": "2099-01-01T00:00:00Z"},
    )
    assert created.status_code == 201, created.content
    listed = admin_api.get(f"/api/v1/contacts/{contact.pk}/coupons").json()
    assert [(c["code"], c["status"], c["source"]) for c in listed] == [
        ("SPRING-10", "available", "api")
    ]


def test_a_taken_code_is_a_conflict(admin_api):
    contact = make_contact()
    admin_api.post(f"/api/v1/contacts/{contact.pk}/coupons", {"code": "ONCE"})
    again = admin_api.post(f"/api/v1/contacts/{contact.pk}/coupons", {"code": "once"})
    assert again.status_code == 409


def test_purchase_with_the_coupon_marks_it_used(admin):
    contact = make_contact()
    services.add_coupon(admin, contact, data={"code": "WELCOME"})
    services.record_events(SYSTEM, [purchase(contact, coupon="WELCOME")])
    coupon = Coupon.objects.get()
    assert coupon.status == "used" and coupon.used_at is not None


def test_coupon_past_its_end_shows_expired(admin):
    contact = make_contact()
    coupon = services.add_coupon(
        admin, contact, data={"code": "OLD", "valid_until": "2021-01-01T00:00:00+00:00"}
    )
    assert queries.coupon_status(coupon) == "expired"


def test_patch_marks_a_coupon_used(admin_api, admin):
    contact = make_contact()
    coupon = services.add_coupon(admin, contact, data={"code": "PATCHME"})
    changed = admin_api.patch(f"/api/v1/coupons/{coupon.pk}", {"status": "used"}).json()
    assert changed["status"] == "used" and changed["used_at"]


def test_generate_gives_each_contact_of_the_filter_one_unique_code(admin_api):
    people = [make_contact(city="Lublin") for _ in range(5)]
    make_contact(city="Sevilla")
    response = admin_api.post(
        "/api/v1/coupons/generate",
        {
            "filter": {"field": "city", "op": "eq", "value": "Lublin"},
            "prefix": "lub-",
            "description": "Free shipping",
        },
    )
    assert response.json() == {"created": 5}
    codes = list(Coupon.objects.values_list("code", "contact_id"))
    assert {c for _code, c in codes} == {p.pk for p in people}
    assert len({code for code, _c in codes}) == 5
    assert all(code.startswith("LUB-") and len(code) == 14 for code, _c in codes)


def test_generate_reaches_only_the_callers_scope(sales_api, sales, other_sales):
    make_contact(owners=[sales], city="Lublin")
    make_contact(owners=[other_sales], city="Lublin")
    body = sales_api.post(
        "/api/v1/coupons/generate",
        {"filter": {"field": "city", "op": "eq", "value": "Lublin"}, "prefix": "X"},
    ).json()
    assert body == {"created": 1}


def test_coupon_of_a_contact_outside_scope_is_not_found(sales_api, admin, other_sales):
    theirs = make_contact(owners=[other_sales])
    coupon = services.add_coupon(admin, theirs, data={"code": "HIDDEN"})
    assert sales_api.patch(f"/api/v1/coupons/{coupon.pk}", {"status": "used"}).status_code == 404
    assert sales_api.get(f"/api/v1/contacts/{theirs.pk}/coupons").status_code == 404

"""POST /api/v1/events: batches, idempotency, contacts, types and the answer's shape."""

import pytest

from kartoteka.activity.models import Activity
from kartoteka.commerce.models import EventLine, ExternalEvent, Product, Totals
from kartoteka.contacts.models import Contact
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_batch_answers_accepted_duplicates_and_rejected(admin_api):
    contact = make_contact()
    good = purchase(contact)
    response = admin_api.post(
        "/api/v1/events", {"events": [good, {**purchase(contact), "type": "nope"}]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 1
    assert body["duplicates"] == 0
    assert body["rejected"][0]["index"] == 1
    assert "type" in body["rejected"][0]["errors"]


def test_sending_the_same_id_again_is_a_duplicate_that_changes_nothing(admin_api):
    contact = make_contact()
    event = purchase(contact, value="25.00")
    admin_api.post("/api/v1/events", {"events": [event]})
    again = admin_api.post("/api/v1/events", {"events": [event, event]}).json()
    assert again == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert ExternalEvent.objects.count() == 1
    assert Totals.objects.get(contact=contact).total == 2500


def test_unknown_email_creates_a_contact_with_source_api(admin_api):
    admin_api.post("/api/v1/events", {"events": [purchase("new.buyer@example.com")]})
    contact = Contact.objects.get(email="new.buyer@example.com")
    assert contact.source == "api"
    assert ExternalEvent.objects.get().contact == contact


def test_unknown_email_is_rejected_when_contacts_are_not_created(admin_api):
    body = admin_api.post(
        "/api/v1/events",
        {"events": [purchase("ghost@example.com")], "create_contacts": False},
    ).json()
    assert body["accepted"] == 0
    assert body["rejected"] == [{"index": 0, "errors": {"contact": "No such contact."}}]
    assert not Contact.objects.filter(email="ghost@example.com").exists()


def test_external_id_learnt_with_an_email_names_the_contact_later(admin_api):
    contact = make_contact(email="shopper@example.com")
    first = purchase("shopper@example.com")
    first["contact"]["external_id"] = "cust-77"
    later = purchase(contact)
    later["contact"] = {"external_id": "cust-77"}
    body = admin_api.post("/api/v1/events", {"events": [first]}).json()
    assert body["accepted"] == 1
    body = admin_api.post("/api/v1/events", {"events": [later]}).json()
    assert body["accepted"] == 1
    assert ExternalEvent.objects.filter(contact=contact).count() == 2


def test_purchase_writes_lines_products_and_a_timeline_entry(admin_api):
    contact = make_contact()
    event = purchase(
        contact,
        value="30.00",
        products=[
            {"sku": "TEA-1", "name": "Green tea", "price": "10.00", "quantity": 2},
            {"sku": "CUP-1", "name": "Cup", "price": "10.00", "category": "kitchen"},
        ],
    )
    admin_api.post("/api/v1/events", {"events": [event]})
    assert EventLine.objects.count() == 2
    assert set(Product.objects.values_list("sku", flat=True)) == {"TEA-1", "CUP-1"}
    entry = Activity.objects.get(contact=contact, kind="purchase")
    assert entry.payload["lines"][0][:3] == ["TEA-1", "Green tea", 2]
    assert entry.occurred_at.isoformat() == "2026-01-10T12:00:00+00:00"


def test_an_event_in_the_past_is_placed_at_its_time_on_the_timeline(admin_api):
    contact = make_contact()
    admin_api.post(
        "/api/v1/events",
        {"events": [purchase(contact, when="2020-05-01T08:00:00+00:00", type="download")]},
    )
    entries = list(Activity.objects.filter(contact=contact).order_by("occurred_at"))
    assert entries[0].kind == "download"
    assert entries[0].occurred_at.year == 2020


def test_more_than_a_thousand_events_are_refused_as_a_batch(admin_api):
    contact = make_contact()
    events = [purchase(contact) for _ in range(1001)]
    response = admin_api.post("/api/v1/events", {"events": events})
    assert response.status_code == 422


def test_each_bad_field_is_named(admin_api):
    contact = make_contact()
    bad = purchase(contact, value="-3", currency="XYZ", occurred_at="yesterday")
    bad["occurred_at"] = "yesterday"
    bad["details"] = {f"k{i}": i for i in range(21)}
    errors = admin_api.post("/api/v1/events", {"events": [bad]}).json()["rejected"][0]["errors"]
    assert set(errors) >= {"value", "currency", "occurred_at", "details"}


def test_behaviour_of_a_contact_whose_monitoring_is_stopped_is_refused(admin_api, admin):
    from kartoteka.privacy.services import set_monitoring

    contact = make_contact()
    set_monitoring(admin, contact, enabled=False)
    body = admin_api.post(
        "/api/v1/events",
        {"events": [purchase(contact, type="download"), purchase(contact)]},
    ).json()
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 0
    assert ExternalEvent.objects.get().type == "purchase"


def test_custom_type_registered_by_an_admin_is_accepted(admin_api):
    created = admin_api.post("/api/v1/event-types", {"name": "webinar", "label": "Webinar"})
    assert created.status_code == 201
    contact = make_contact()
    body = admin_api.post("/api/v1/events", {"events": [purchase(contact, type="webinar")]})
    assert body.json()["accepted"] == 1
    names = [t["name"] for t in admin_api.get("/api/v1/event-types").json()]
    assert "webinar" in names and "purchase" in names


def test_sales_user_may_not_register_event_types(sales_api):
    response = sales_api.post("/api/v1/event-types", {"name": "webinar", "label": "Webinar"})
    assert response.status_code == 403


def test_sales_token_reaches_only_contacts_in_scope(sales_api, sales, other_sales):
    mine = make_contact(owners=[sales])
    theirs = make_contact(owners=[other_sales], email="theirs@example.com")
    body = sales_api.post(
        "/api/v1/events",
        {"events": [purchase(mine), purchase(theirs), purchase("theirs@example.com")]},
    ).json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert not ExternalEvent.objects.filter(contact=theirs).exists()


def test_contact_created_by_a_sales_token_is_owned_by_them(sales_api, sales):
    sales_api.post("/api/v1/events", {"events": [purchase("fresh@example.com")]})
    contact = Contact.objects.get(email="fresh@example.com")
    assert list(contact.owners.all()) == [sales]


def test_contact_events_are_listed_newest_first_and_filtered_by_type(admin_api):
    contact = make_contact()
    admin_api.post(
        "/api/v1/events",
        {
            "events": [
                purchase(contact, when="2026-01-01T10:00:00+00:00"),
                purchase(contact, when="2026-01-03T10:00:00+00:00"),
                purchase(contact, when="2026-01-02T10:00:00+00:00", type="cart"),
            ]
        },
    )
    listed = admin_api.get(f"/api/v1/contacts/{contact.pk}/events", type="purchase").json()
    assert [e["occurred_at"][:10] for e in listed["items"]] == ["2026-01-03", "2026-01-01"]
    ranged = admin_api.get(
        f"/api/v1/contacts/{contact.pk}/events", **{"from": "2026-01-02T00:00:00Z"}
    ).json()
    assert len(ranged["items"]) == 2


def test_events_page_by_cursor(admin_api):
    contact = make_contact()
    events = [purchase(contact, when=f"2026-01-{d:02d}T10:00:00+00:00") for d in range(1, 6)]
    admin_api.post("/api/v1/events", {"events": events})
    first = admin_api.get(f"/api/v1/contacts/{contact.pk}/events", limit=3).json()
    rest = admin_api.get(
        f"/api/v1/contacts/{contact.pk}/events", limit=3, cursor=first["next_cursor"]
    ).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 2
    assert rest["next_cursor"] is None


def test_events_of_a_contact_outside_scope_are_not_found(sales_api, other_sales):
    theirs = make_contact(owners=[other_sales])
    assert sales_api.get(f"/api/v1/contacts/{theirs.pk}/events").status_code == 404
    assert sales_api.get(f"/api/v1/contacts/{theirs.pk}/ecommerce").status_code == 404
    assert sales_api.get(f"/api/v1/contacts/{theirs.pk}/analytics").status_code == 404


def test_one_new_address_named_twice_in_a_batch_is_one_contact(admin_api):
    body = admin_api.post(
        "/api/v1/events",
        {"events": [purchase("Twice@Example.com"), purchase("twice@example.com", type="cart")]},
    ).json()
    assert body["accepted"] == 2, body
    contact = Contact.objects.get(emails__email_folded="twice@example.com")
    assert ExternalEvent.objects.filter(contact=contact).count() == 2
    assert Activity.objects.filter(contact=contact, kind="created").count() == 1


def test_new_addresses_are_announced_as_created_contacts(
    admin_api, django_capture_on_commit_callbacks
):
    from kartoteka.core import events

    seen = []

    def heard(**payload):
        seen.append(payload["contact_id"])

    events.subscribe("contact.created", heard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            admin_api.post(
                "/api/v1/events",
                {"events": [purchase("one@example.com"), purchase("two@example.com")]},
            )
    finally:
        events.unsubscribe("contact.created", heard)
    created = Contact.objects.filter(email__in=["one@example.com", "two@example.com"])
    assert sorted(seen) == sorted(created.values_list("pk", flat=True)) and len(seen) == 2

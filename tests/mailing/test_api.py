"""The lists API: lists, subscribing ids, a filter or a segment with counts and reasons, and
scope (sales users see and subscribe only their own contacts)."""

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail, Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant


def test_admin_creates_reads_changes_and_deletes_a_list(admin_api):
    created = admin_api.post("/api/v1/lists", {"key": "news", "name": "News", "language": "pl"})
    assert created.status_code == 201
    list_id = created.json()["id"]
    assert created.json()["counts"]["subscribed"] == 0
    assert admin_api.patch(f"/api/v1/lists/{list_id}", {"name": "Nowości"}).json()["name"] == (
        "Nowości"
    )
    assert admin_api.delete(f"/api/v1/lists/{list_id}").status_code == 204
    assert admin_api.get(f"/api/v1/lists/{list_id}").status_code == 404


def test_a_bad_key_is_refused_naming_the_field(admin_api):
    answer = admin_api.post("/api/v1/lists", {"key": "Bad Key!", "name": "News"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "key"


def test_sales_users_may_not_create_lists(sales_api):
    assert sales_api.post("/api/v1/lists", {"key": "news", "name": "News"}).status_code == 403


def test_subscribing_counts_subscribed_pending_and_refused_with_reasons(admin_api, newsletter):
    consenting, plain, blocked, suppressed = (make_contact() for _ in range(4))
    grant(consenting)
    consent_services.block_contact(SYSTEM, blocked, blocked=True, reason="abuse")
    consent_services.suppress(suppressed.email, reason="unsubscribe")
    answer = admin_api.post(
        f"/api/v1/lists/{newsletter.pk}/subscribers",
        {
            "contacts": [consenting.pk, plain.pk, blocked.pk, suppressed.pk],
            "double_opt_in": True,
        },
    )
    body = answer.json()
    assert answer.status_code == 200
    assert (body["subscribed"], body["pending"]) == (1, 1)
    assert body["refused"] == {"blocked": 1, "suppressed": 1}
    assert "blocked" in body["reasons"]
    assert OutgoingEmail.objects.filter(kind="confirmation", contact=plain).exists()


def test_without_double_opt_in_a_contact_without_consent_is_refused(admin_api, newsletter):
    contact = make_contact()
    answer = admin_api.post(
        f"/api/v1/lists/{newsletter.pk}/subscribers",
        {"contacts": [contact.pk], "double_opt_in": False},
    )
    assert answer.json()["refused"] == {"no_consent": 1}
    assert not Subscription.objects.exists()


def test_subscribing_a_filter_and_a_segment(admin_api, admin, newsletter):
    vip = make_contact(tags=["vip"])
    grant(vip)
    make_contact()
    by_filter = admin_api.post(
        f"/api/v1/lists/{newsletter.pk}/subscribers",
        {"filter": {"field": "tags", "op": "has_any", "value": ["vip"]}},
    )
    assert by_filter.json()["subscribed"] == 1
    from kartoteka.segments.services import create_segment

    segment = create_segment(admin, name="All", document={"all": []})
    by_segment = admin_api.post(
        f"/api/v1/lists/{newsletter.pk}/subscribers", {"segment_id": segment.pk}
    )
    assert by_segment.json()["already"] == 1
    assert by_segment.json()["pending"] == 1


def test_sales_users_subscribe_and_see_only_their_own_contacts(
    sales_api, sales, other_sales, newsletter
):
    mine = make_contact(owners=[sales])
    theirs = make_contact(owners=[other_sales])
    grant(mine)
    grant(theirs)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[theirs.pk])
    answer = sales_api.post(
        f"/api/v1/lists/{newsletter.pk}/subscribers", {"contacts": [mine.pk, theirs.pk]}
    )
    assert answer.json()["subscribed"] == 1 and answer.json()["already"] == 0
    listed = sales_api.get(f"/api/v1/lists/{newsletter.pk}/subscribers").json()["items"]
    assert [item["contact_id"] for item in listed] == [mine.pk]
    assert sales_api.get(f"/api/v1/lists/{newsletter.pk}").json()["counts"]["subscribed"] == 1
    gone = sales_api.delete(f"/api/v1/lists/{newsletter.pk}/subscribers/{theirs.pk}")
    assert gone.status_code == 404


def test_the_list_filter_finds_subscribers_in_text_form(admin_api, newsletter):
    on_list = make_contact()
    grant(on_list)
    make_contact()
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[on_list.pk])
    found = admin_api.post("/api/v1/contacts/search", {"q": "list:newsletter"}).json()
    assert [item["id"] for item in found["items"]] == [on_list.pk]
    pending = admin_api.post("/api/v1/contacts/search", {"q": "list.newsletter:pending"}).json()
    assert pending["count"] == 0

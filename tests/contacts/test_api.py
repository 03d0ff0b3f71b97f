"""Every contacts API route with its error paths."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.activity.models import Activity
from kartoteka.contacts import services
from kartoteka.contacts.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def field_messages(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_create_contact_returns_the_documented_shape(admin_api):
    response = admin_api.post(
        "/api/v1/contacts",
        {
            "email": " Ana.Garcia@EXAMPLE.com ",
            "first_name": "Ana",
            "phone": "612 345 678",
            "company": "Acme",
            "address": {"city": "Madrid", "country": "España"},
            "attribution": {"utm_source": "google", "gclid": "abc"},
            "tags": ["vip"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "Ana.Garcia@example.com"
    assert body["emails"] == [{"email": "Ana.Garcia@example.com", "primary": True}]
    assert body["phone"] == "+34612345678"
    assert body["company"] == "Acme"
    assert body["address"]["country"] == "ES"
    assert body["attribution"]["utm_source"] == "google"
    assert body["tags"] == ["vip"]
    assert body["tag_details"][0]["added_by"] == "alba"
    assert body["source"] == "api"
    assert response["ETag"] == f'"{body["version"]}"'


def test_create_without_email_is_422_naming_the_field(admin_api):
    response = admin_api.post("/api/v1/contacts", {"first_name": "Ana"})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert "email" in field_messages(response)


def test_create_with_bad_fields_names_each_one(admin_api):
    response = admin_api.post(
        "/api/v1/contacts",
        {"email": "not-an-address", "phone": "12", "status": "sleepy", "address": {"country": "X"}},
    )
    assert response.status_code == 422
    assert {"email", "phone", "status", "country"} <= set(field_messages(response))
    assert not Contact.objects.exists()


def test_create_with_unknown_field_is_422(admin_api):
    response = admin_api.post("/api/v1/contacts", {"email": "a@example.com", "shoe_size": 42})
    assert response.status_code == 422
    assert "shoe_size" in field_messages(response)


def test_create_with_taken_email_is_409_naming_a_visible_contact(admin_api, admin):
    existing = make_contact(admin, email="ana@example.com")
    response = admin_api.post("/api/v1/contacts", {"email": "ANA@example.com"})
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["existing_id"] == existing.pk
    assert f"#{existing.pk}" in response.json()["detail"]


def test_taken_email_of_an_unseen_contact_is_409_without_naming_it(sales_api, other_sales):
    hidden = make_contact(other_sales, email="ana@example.com")
    response = sales_api.post("/api/v1/contacts", {"email": "ana@example.com"})
    assert response.status_code == 409
    assert "existing_id" not in response.json()
    assert str(hidden.pk) not in response.json()["detail"]


def test_read_contact(admin_api, admin):
    contact = make_contact(admin, first_name="Ana")
    response = admin_api.get(f"/api/v1/contacts/{contact.pk}")
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ana"


def test_read_missing_contact_is_404_problem(admin_api):
    response = admin_api.get("/api/v1/contacts/999999")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_request_without_token_is_401(client):
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_request_with_wrong_token_is_401(client):
    response = client.get("/api/v1/contacts", HTTP_AUTHORIZATION="Bearer kt_nope")
    assert response.status_code == 401


def test_patch_changes_only_the_fields_sent(admin_api, admin):
    contact = make_contact(admin, first_name="Ana", last_name="García", job_title="CEO")
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "CTO"})
    assert response.status_code == 200
    assert response.json()["job_title"] == "CTO"
    assert response.json()["last_name"] == "García"
    assert response.json()["version"] == 2


def test_patch_with_stale_if_match_is_409(admin_api, admin):
    contact = make_contact(admin)
    services.update_contact(admin, contact, data={"job_title": "CEO"})
    response = admin_api.patch(
        f"/api/v1/contacts/{contact.pk}", {"job_title": "CTO"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 409
    assert field_messages(response) == {"version": response.json()["detail"]}
    assert Contact.objects.get(pk=contact.pk).job_title == "CEO"


def test_patch_with_current_version_field_succeeds(admin_api, admin):
    contact = make_contact(admin)
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"fax": "", "version": 1})
    assert response.status_code == 200


def test_patch_with_stale_version_field_is_409(admin_api, admin):
    contact = make_contact(admin)
    services.update_contact(admin, contact, data={"job_title": "CEO"})
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "x", "version": 1})
    assert response.status_code == 409


def test_patch_with_malformed_if_match_is_422(admin_api, admin):
    contact = make_contact(admin)
    response = admin_api.patch(
        f"/api/v1/contacts/{contact.pk}", {"job_title": "CTO"}, HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 422
    assert "If-Match" in field_messages(response)


def test_patch_making_another_email_primary(admin_api, admin):
    contact = make_contact(admin, email="a@example.com", emails=["a@example.com", "b@example.com"])
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"email": "b@example.com"})
    assert response.json()["emails"] == [
        {"email": "b@example.com", "primary": True},
        {"email": "a@example.com", "primary": False},
    ]


def test_patch_taking_someone_elses_email_is_409(admin_api, admin):
    make_contact(admin, email="taken@example.com")
    contact = make_contact(admin)
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"email": "Taken@example.com"})
    assert response.status_code == 409


def test_delete_contact_is_204_and_recorded(admin_api, admin):
    contact = make_contact(admin)
    response = admin_api.delete(f"/api/v1/contacts/{contact.pk}")
    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert Activity.objects.filter(kind="deleted", payload__contact_id=contact.pk).exists()


def test_delete_missing_contact_is_404(admin_api):
    assert admin_api.delete("/api/v1/contacts/424242").status_code == 404


def test_upsert_creates_then_updates(admin_api):
    first = admin_api.put("/api/v1/contacts/by-email/Ana@Example.com", {"first_name": "Ana"})
    second = admin_api.put("/api/v1/contacts/by-email/ana@example.com", {"first_name": "Anna"})
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["first_name"] == "Anna"
    assert Contact.objects.count() == 1


def test_upsert_twice_with_the_same_body_changes_nothing_more(admin_api):
    body = {"first_name": "Ana", "tags": ["vip"]}
    admin_api.put("/api/v1/contacts/by-email/ana@example.com", body)
    again = admin_api.put("/api/v1/contacts/by-email/ana@example.com", body)
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert Activity.objects.filter(kind="updated").count() == 0


def test_upsert_with_invalid_email_is_422(admin_api):
    response = admin_api.put("/api/v1/contacts/by-email/not-an-email", {})
    assert response.status_code == 422
    assert "email" in field_messages(response)


def test_upsert_refuses_an_email_in_the_body(admin_api):
    response = admin_api.put("/api/v1/contacts/by-email/a@example.com", {"email": "b@example.com"})
    assert response.status_code == 422


def test_add_tags_reports_the_new_ones(admin_api, admin):
    contact = make_contact(admin, tags=["vip"])
    response = admin_api.post(f"/api/v1/contacts/{contact.pk}/tags", {"tags": ["VIP", "lead"]})
    assert response.status_code == 200
    assert response.json() == {"added": ["lead"], "tags": ["lead", "vip"]}


def test_add_empty_tag_is_422(admin_api, admin):
    contact = make_contact(admin)
    response = admin_api.post(f"/api/v1/contacts/{contact.pk}/tags", {"tags": ["  "]})
    assert response.status_code == 422
    assert "tags.0" in field_messages(response)


def test_remove_tag(admin_api, admin):
    contact = make_contact(admin, tags=["vip"])
    response = admin_api.delete(f"/api/v1/contacts/{contact.pk}/tags/VIP")
    assert response.status_code == 204
    assert not contact.tag_links.exists()


def test_remove_absent_tag_is_404(admin_api, admin):
    contact = make_contact(admin)
    assert admin_api.delete(f"/api/v1/contacts/{contact.pk}/tags/vip").status_code == 404


def test_timeline_pages_newest_first(admin_api, admin):
    contact = make_contact(admin)
    for name in ("a", "b", "c"):
        services.add_tags(admin, contact, names=[name])
    first = admin_api.get(f"/api/v1/contacts/{contact.pk}/timeline", limit=2).json()
    second = admin_api.get(
        f"/api/v1/contacts/{contact.pk}/timeline", limit=2, cursor=first["next_cursor"]
    ).json()
    kinds = [e["kind"] for e in first["items"] + second["items"]]
    assert kinds == ["tag_added", "tag_added", "tag_added", "created"]
    assert second["next_cursor"] is None
    assert first["items"][0]["actor"] == "alba"


def test_timeline_filters_by_kind(admin_api, admin):
    contact = make_contact(admin, tags=["a"])
    body = admin_api.get(f"/api/v1/contacts/{contact.pk}/timeline", kind="created").json()
    assert [e["kind"] for e in body["items"]] == ["created"]


def test_timeline_with_a_forged_cursor_is_422(admin_api, admin):
    contact = make_contact(admin)
    response = admin_api.get(f"/api/v1/contacts/{contact.pk}/timeline", cursor="!!")
    assert response.status_code == 422
    assert "cursor" in field_messages(response)


def test_timeline_of_missing_contact_is_404(admin_api):
    assert admin_api.get("/api/v1/contacts/31337/timeline").status_code == 404


def test_list_pages_with_a_cursor(admin_api, admin):
    made = [make_contact(admin).pk for _ in range(5)]
    first = admin_api.get("/api/v1/contacts", limit=3).json()
    second = admin_api.get("/api/v1/contacts", limit=3, cursor=first["next_cursor"]).json()
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == sorted(made, reverse=True)
    assert second["next_cursor"] is None


def test_list_searches_name_email_phone_and_company(admin_api, admin):
    target = make_contact(admin, first_name="Zófia", phone="+48 601 234 567", company="Kruk")
    make_contact(admin, first_name="Other")
    for text in ("zófia", target.email, "601234567", "601 234 567", "kruk"):
        items = admin_api.get("/api/v1/contacts", search=text).json()["items"]
        assert [c["id"] for c in items] == [target.pk], text


def test_list_filters_by_tag_owner_status_and_source(admin_api, admin, sales):
    target = make_contact(admin, tags=["vip"], owners=[sales], status="won", source="form")
    make_contact(admin, tags=["vip"], status="won", source="form")
    make_contact(admin, owners=[sales], status="lead")
    response = admin_api.get(
        "/api/v1/contacts", tag="VIP", owner="sergio", status="won", source="form"
    )
    assert [c["id"] for c in response.json()["items"]] == [target.pk]


def test_list_filters_by_created_range(admin_api, admin):
    import datetime as dt

    old = services.create_contact(
        admin,
        data={"email": "old@example.com"},
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    make_contact(admin)
    items = admin_api.get(
        "/api/v1/contacts", created_from="2019-12-31", created_to="2020-01-02"
    ).json()["items"]
    assert [c["id"] for c in items] == [old.pk]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "sleepy"),
        ("source", "pigeon"),
        ("created_from", "last tuesday"),
        ("limit", "0"),
        ("limit", "5000"),
        ("cursor", "bm9wZQ"),
    ],
)
def test_list_with_a_bad_parameter_is_422_naming_it(admin_api, param, value):
    response = admin_api.get("/api/v1/contacts", **{param: value})
    assert response.status_code == 422
    assert param in field_messages(response)


def test_list_query_count_does_not_grow_with_the_page(admin_api, admin):
    for n in range(3):
        make_contact(admin, tags=[f"t{n}"], phone=f"+3461234567{n}", company=f"C{n}")
    admin_api.get("/api/v1/me")  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as small:
        admin_api.get("/api/v1/contacts", limit=1)
    for n in range(10):
        make_contact(admin, tags=[f"u{n}"], phone=f"+3461234568{n}", company=f"D{n}")
    with CaptureQueriesContext(connection) as large:
        response = admin_api.get("/api/v1/contacts", limit=13)
    assert len(response.json()["items"]) == 13
    assert len(large) == len(small)
    assert len(large) <= 9


def test_openapi_docs_list_the_contact_routes(admin_api):
    assert admin_api.client.get("/api/docs").status_code == 200
    paths = admin_api.client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/by-email/{email}",
        "/api/v1/contacts/{contact_id}/tags",
        "/api/v1/contacts/{contact_id}/tags/{name}",
        "/api/v1/contacts/{contact_id}/timeline",
        "/api/v1/properties",
        "/api/v1/me",
    ):
        assert path in paths


def test_upsert_keeps_the_url_address_primary_when_emails_are_listed(admin_api):
    response = admin_api.put(
        "/api/v1/contacts/by-email/ana@example.com", {"emails": ["other@example.com"]}
    )
    assert response.status_code == 201
    assert response.json()["emails"] == [
        {"email": "ana@example.com", "primary": True},
        {"email": "other@example.com", "primary": False},
    ]


def test_patch_with_one_bad_field_changes_nothing(admin_api, admin):
    contact = make_contact(admin, first_name="Ana")
    response = admin_api.patch(
        f"/api/v1/contacts/{contact.pk}", {"first_name": "Anna", "phone": "not a phone"}
    )
    assert response.status_code == 422
    assert Contact.objects.get(pk=contact.pk).first_name == "Ana"
    assert Contact.objects.get(pk=contact.pk).version == 1


def test_first_phone_is_primary_and_the_user_can_change_it(admin_api, admin):
    contact = make_contact(admin, phones=["+34 612 345 678", "+48 601 234 567"])
    assert contact.phone == "+34612345678"
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"phone": "+48601234567"})
    assert response.json()["phones"] == [
        {"phone": "+48601234567", "primary": True},
        {"phone": "+34612345678", "primary": False},
    ]


def test_messenger_handles_round_trip(admin_api):
    response = admin_api.post(
        "/api/v1/contacts",
        {"email": "m@example.com", "messengers": [{"network": "telegram", "handle": "@ana"}]},
    )
    assert response.json()["messengers"] == [{"network": "telegram", "handle": "@ana"}]


def test_unknown_messenger_network_is_422(admin_api):
    response = admin_api.post(
        "/api/v1/contacts",
        {"email": "m@example.com", "messengers": [{"network": "pigeon", "handle": "x"}]},
    )
    assert response.status_code == 422
    assert "messengers.0.network" in field_messages(response)


def test_status_and_owner_changes_reach_the_timeline(admin_api, admin, sales):
    contact = make_contact(admin)
    admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"status": "won", "owners": ["sergio"]})
    kinds = [
        e["kind"] for e in admin_api.get(f"/api/v1/contacts/{contact.pk}/timeline").json()["items"]
    ]
    assert {"status_changed", "owners_changed"} <= set(kinds)


def test_field_change_on_the_timeline_has_old_and_new(admin_api, admin):
    contact = make_contact(admin, job_title="CEO")
    admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "CTO"})
    entry = admin_api.get(f"/api/v1/contacts/{contact.pk}/timeline", kind="updated").json()
    assert entry["items"][0]["payload"]["changes"] == [
        {"field": "job_title", "old": "CEO", "new": "CTO"}
    ]


def test_every_field_of_the_contact_is_settable(admin_api, admin, sales):
    response = admin_api.post(
        "/api/v1/contacts",
        {
            "email": "full@example.com",
            "emails": ["full@example.com", "other@example.com"],
            "phone": "+34612345678",
            "first_name": "Ana",
            "last_name": "García",
            "company": "Acme",
            "job_title": "CEO",
            "address": {
                "street": "Gran Vía 1",
                "city": "Madrid",
                "postal_code": "28013",
                "region": "Madrid",
                "country": "ES",
            },
            "fax": "+34912345678",
            "birthday": "1990-05-17",
            "score": 42,
            "status": "qualified",
            "owners": ["sergio"],
            "source": "landing_page",
            "attribution": {"utm_campaign": "spring", "ads_keyword": "crm", "ads_id": "123"},
            "created_ip": "203.0.113.9",
            "created_url": "https://example.com/landing",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["birthday"] == "1990-05-17"
    assert body["fax"] == "+34912345678"
    assert body["owners"] == ["sergio"]
    assert body["source"] == "landing_page"
    assert body["attribution"]["ads_id"] == "123"
    assert body["created_ip"] == "203.0.113.9"
    assert len(body["emails"]) == 2

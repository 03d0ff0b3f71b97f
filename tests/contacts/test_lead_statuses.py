"""Lead statuses as records: the data migration, rename / add / reorder / delete in use, the
timeline with reasons, the deal-won rule, filters and imports by a translated name, the API."""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from kartoteka.activity.models import Activity
from kartoteka.contacts import bulk, listing, queries, services, status_services
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import Contact, LeadStatus, StatusRules
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def _status(key: str) -> LeadStatus:
    return LeadStatus.objects.get(key=key)


def _entries(contact) -> list[dict]:
    return [
        a.payload
        for a in Activity.objects.filter(contact=contact, kind="status_changed").order_by("pk")
    ]


# --------------------------------------------------------------------------------------------
# The data migration


def test_the_migration_makes_the_seven_records_and_keeps_every_contact_status(admin):
    kept = {key: make_contact(admin, status=key) for key in ("new", "won", "lost")}
    stray = make_contact(admin)
    Contact.objects.filter(pk=stray.pk).update(status="legacy")
    LeadStatus.objects.all().delete()

    migration = import_module("kartoteka.contacts.migrations.0006_lead_statuses")
    migration.create_statuses(apps, None)
    lead_statuses.forget()

    known = lead_statuses.load()
    assert known.keys == [
        "new",
        "lead",
        "qualified",
        "opportunity",
        "won",
        "lost",
        "discarded",
        "legacy",
    ]
    assert known.won_keys() == ["won"]
    assert _status("discarded").meaning == "discarded"
    assert _status("won").names == {"en": "Client", "es": "Cliente", "pl": "Klient"}
    for key, contact in kept.items():
        assert Contact.objects.get(pk=contact.pk).status == key
    assert Contact.objects.get(pk=stray.pk).status == "legacy"


def test_shipped_names_follow_the_reader_language_until_renamed(admin):
    known = lead_statuses.load()
    with translation.override("es"):
        assert known.label("lost") == "Perdido"
    with translation.override("pl"):
        assert known.label("lost") == "Utracony"
    status_services.update_status(admin, _status("lost"), name="Gone")
    with translation.override("pl"):
        assert lead_statuses.load().label("lost") == "Gone"
    status_services.update_status(admin, _status("lost"), name="")
    with translation.override("es"):
        assert lead_statuses.load().label("lost") == "Perdido"


# --------------------------------------------------------------------------------------------
# Rename, add, reorder, delete


def test_add_rename_and_reorder(admin):
    proposal = status_services.create_status(admin, name="Send proposal", meaning="open")
    assert proposal.key == "send_proposal"
    assert lead_statuses.load().keys[-1] == "send_proposal"
    contact = make_contact(admin, status="send_proposal")
    assert contact.status == "send_proposal"

    keys = lead_statuses.load().keys
    keys.remove("send_proposal")
    keys.insert(2, "send_proposal")
    status_services.reorder_statuses(admin, keys)
    assert lead_statuses.load().keys[2] == "send_proposal"
    status_services.move_status(admin, _status("send_proposal"), -1)
    assert lead_statuses.load().keys[1] == "send_proposal"

    status_services.update_status(admin, _status("send_proposal"), name="Proposal sent")
    assert lead_statuses.load().label("send_proposal") == "Proposal sent"
    assert Contact.objects.get(pk=contact.pk).status == "send_proposal"


@pytest.mark.parametrize(
    "name", ["", "   ", "Perdido", "klient", "won", "x" * 61, 12, None, "\u200b"]
)
def test_a_name_must_be_new_in_every_language(admin, name):
    with pytest.raises(InvalidInput) as refused:
        status_services.create_status(admin, name=name)
    assert "name" in refused.value.errors
    assert LeadStatus.objects.count() == 7


def test_bad_orders_and_meanings_are_refused(admin):
    with pytest.raises(InvalidInput):
        status_services.reorder_statuses(admin, ["new", "lead"])
    with pytest.raises(InvalidInput):
        status_services.reorder_statuses(admin, [*lead_statuses.load().keys, "new"])
    with pytest.raises(InvalidInput):
        status_services.create_status(admin, name="Paused", meaning="sleeping")
    with pytest.raises(InvalidInput):
        status_services.create_status(admin, name="Paused", key="Bad Key")


def test_only_admins_change_statuses(sales):
    with pytest.raises(Forbidden):
        status_services.create_status(sales, name="Paused")
    with pytest.raises(Forbidden):
        status_services.delete_status(sales, _status("lead"))


def test_deleting_a_status_in_use_asks_where_its_contacts_go(admin, admin_client):
    people = [make_contact(admin, status="qualified") for _ in range(3)]
    with pytest.raises(Conflict) as refused:
        status_services.delete_status(admin, _status("qualified"))
    assert "3" in refused.value.message
    with pytest.raises(InvalidInput):
        status_services.delete_status(admin, _status("qualified"), move_to="qualified")
    with pytest.raises(InvalidInput):
        status_services.delete_status(admin, _status("qualified"), move_to="nowhere")

    moved = status_services.delete_status(admin, _status("qualified"), move_to="won")

    assert moved == 3
    assert not LeadStatus.objects.filter(key="qualified").exists()
    for person in people:
        fresh = Contact.objects.get(pk=person.pk)
        assert (fresh.status, fresh.won_at is not None, fresh.version) == ("won", True, 2)
        entry = _entries(person)[-1]
        assert (entry["old"], entry["new"], entry["old_name"]) == ("qualified", "won", "Qualified")
        assert "Qualified" in entry["reason"]
    # The timeline still names the deleted status.
    card = admin_client.get(reverse("web:contact-card", kwargs={"contact_id": people[0].pk}))
    assert "Qualified" in card.content.decode()


def test_an_unused_status_is_deleted_and_the_last_one_stays(admin):
    assert status_services.delete_status(admin, _status("lead")) == 0
    for key in lead_statuses.load().keys[:-1]:
        status_services.delete_status(admin, _status(key))
    with pytest.raises(Conflict):
        status_services.delete_status(admin, LeadStatus.objects.get())


def test_a_new_contact_gets_the_first_status_once_new_is_gone(admin):
    status_services.delete_status(admin, _status("new"))
    assert make_contact(admin).status == "lead"
    rows = [(1, bulk.clean_row({"email": "bulk@example.com"}, {}))]
    result = bulk.upsert_contacts(rows, bulk.BulkOptions(SYSTEM, "import"))
    assert Contact.objects.get(pk=result.created[0][1]).status == "lead"


# --------------------------------------------------------------------------------------------
# The timeline, with reasons


def test_every_change_is_on_the_timeline_with_its_reason(admin):
    status_services.create_status(admin, name="Send proposal")
    person = make_contact(admin, status="discarded")
    steps = [
        ("lead", "Discarded by mistake"),
        ("lost", "Chose a competitor"),
        ("won", "Came back and signed"),
        ("send_proposal", "Upsell: the premium plan"),
    ]
    for key, reason in steps:
        services.change_status(admin, person, status=key, reason=reason)
    entries = _entries(person)
    assert [(e["old"], e["new"], e.get("reason")) for e in entries] == [
        ("discarded", "lead", "Discarded by mistake"),
        ("lead", "lost", "Chose a competitor"),
        ("lost", "won", "Came back and signed"),
        ("won", "send_proposal", "Upsell: the premium plan"),
    ]
    # A client offered an upsell leaves the Clients view; "client since" is cleared.
    fresh = Contact.objects.get(pk=person.pk)
    assert fresh.won_at is None
    assert not queries.clients(admin).filter(pk=person.pk).exists()


def test_the_card_status_edit_takes_a_reason(admin, admin_client):
    person = make_contact(admin)
    url = reverse("web:card-field", kwargs={"contact_id": person.pk, "key": "status"})
    response = admin_client.post(
        url, {"status": "lost", "status_reason": "  No budget  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert _entries(person)[-1]["reason"] == "No budget"
    card = admin_client.get(reverse("web:contact-card", kwargs={"contact_id": person.pk}))
    assert b"No budget" in card.content
    assert b'name="status_reason"' in card.content


def test_a_reason_too_long_is_refused(admin):
    person = make_contact(admin)
    with pytest.raises(InvalidInput) as refused:
        services.change_status(admin, person, status="lost", reason="x" * 501)
    assert "status_reason" in refused.value.errors
    assert Contact.objects.get(pk=person.pk).status == "new"


def test_moving_between_two_client_statuses_keeps_client_since(admin):
    status_services.create_status(admin, name="Key account", meaning="won")
    person = make_contact(admin, status="won")
    since = Contact.objects.get(pk=person.pk).won_at
    services.change_status(admin, person, status="key_account")
    fresh = Contact.objects.get(pk=person.pk)
    assert fresh.won_at == since
    assert queries.clients(admin).filter(pk=person.pk).exists()


# --------------------------------------------------------------------------------------------
# A won deal


def _win(deal, django_capture_on_commit_callbacks):
    from kartoteka.deals import services as deal_services

    won = sales_pipeline().stages.get(kind="won")
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.move_deal(SYSTEM, deal, stage=won.pk, reason="Signed")


def test_a_won_deal_makes_its_contacts_clients(admin, django_capture_on_commit_callbacks):
    sales_pipeline()
    first, second = make_contact(admin, status="opportunity"), make_contact(admin, status="lost")
    client = make_contact(admin, status="won")
    since = Contact.objects.get(pk=client.pk).won_at
    deal = make_deal(admin, contacts=[first, second, client], name="Big order")

    _win(deal, django_capture_on_commit_callbacks)

    for person in (first, second):
        fresh = Contact.objects.get(pk=person.pk)
        assert fresh.status == "won" and fresh.won_at is not None
        assert _entries(person)[-1]["reason"] == "Deal won: Big order"
    assert Contact.objects.get(pk=client.pk).won_at == since  # a client already
    newest = list(queries.clients(admin).values_list("pk", flat=True))
    assert newest[-1] == client.pk  # newest client first


def test_a_deal_recorded_as_won_from_the_start_makes_its_contacts_clients(
    admin, django_capture_on_commit_callbacks
):
    won = sales_pipeline().stages.get(kind="won")
    person = make_contact(admin, status="opportunity")
    with django_capture_on_commit_callbacks(execute=True):
        make_deal(admin, contacts=[person], name="Signed already", stage=won.pk)
    fresh = Contact.objects.get(pk=person.pk)
    assert fresh.status == "won" and fresh.won_at is not None
    assert _entries(person)[-1]["reason"] == "Deal won: Signed already"


def test_with_the_rule_off_a_won_deal_leaves_statuses(admin, django_capture_on_commit_callbacks):
    sales_pipeline()
    status_services.set_rules(admin, deal_won_makes_client=False)
    person = make_contact(admin, status="opportunity")
    deal = make_deal(admin, contacts=[person])

    _win(deal, django_capture_on_commit_callbacks)

    assert Contact.objects.get(pk=person.pk).status == "opportunity"
    assert StatusRules.load().deal_won_makes_client is False


# --------------------------------------------------------------------------------------------
# Filters and imports by name


def test_filters_read_keys_and_translated_names(admin):
    lost, won = make_contact(admin, status="lost"), make_contact(admin, status="won")
    for text in ("status:lost", "status:Perdido", 'status:"utracony"', "status:LOST"):
        contacts, _filters, errors = listing.list_contacts(admin, {"q": text})
        assert not errors, errors
        assert list(contacts.values_list("pk", flat=True)) == [lost.pk], text
    contacts, _filters, errors = listing.list_contacts(admin, {"status": "Cliente"})
    assert list(contacts.values_list("pk", flat=True)) == [won.pk]
    _contacts, _filters, errors = listing.list_contacts(admin, {"status": "sleeping"})
    assert "status" in errors


def test_the_search_chip_names_the_status_in_the_reader_language(admin, admin_client):
    lost = make_contact(admin, status="lost")
    make_contact(admin, status="won")
    response = admin_client.get(reverse("web:contact-list"), {"q": "status:Perdido"})
    assert [c.pk for c in response.context["page"].contacts] == [lost.pk]
    assert [chip.label for chip in response.context["segment_filter"].chips] == ["Status is Lost"]
    status_services.create_status(admin, name="Send proposal")
    response = admin_client.get(reverse("web:contact-list"), {"q": 'status:"send proposal"'})
    assert [chip.label for chip in response.context["segment_filter"].chips] == [
        "Status is Send proposal"
    ]


def test_an_import_takes_a_status_by_key_or_any_language_without_a_query_per_row(
    admin, django_assert_max_num_queries
):
    status_services.create_status(admin, name="Send proposal")
    lead_statuses.load()
    cells = ["Perdido", "klient", "LEAD", "send_proposal", "send proposal", "Zakwalifikowany"]
    with django_assert_max_num_queries(0):
        rows = [
            (n, bulk.clean_row({"email": f"p{n}@example.com", "status": text}, {}))
            for n, text in enumerate(cells, start=1)
        ]
    assert [row["status"] for _n, row in rows] == [
        "lost",
        "won",
        "lead",
        "send_proposal",
        "send_proposal",
        "qualified",
    ]
    with pytest.raises(InvalidInput):
        bulk.clean_row({"email": "bad@example.com", "status": "sleeping"}, {})
    result = bulk.upsert_contacts(rows, bulk.BulkOptions(SYSTEM, "import"))
    won = Contact.objects.get(pk=result.created[1][1])
    assert won.status == "won" and won.won_at is not None


# --------------------------------------------------------------------------------------------
# The API


def test_the_api_lists_adds_renames_reorders_and_deletes(admin_api, admin):
    listed = admin_api.get("/api/v1/lead-statuses").json()
    assert [s["key"] for s in listed][:2] == ["new", "lead"]
    assert listed[4] == {
        "key": "won",
        "name": "Client",
        "custom_name": "",
        "names": {"en": "Client", "es": "Cliente", "pl": "Klient"},
        "meaning": "won",
        "position": 5,
    }
    created = admin_api.post("/api/v1/lead-statuses", {"name": "Send proposal"})
    assert created.status_code == 201 and created.json()["key"] == "send_proposal"
    renamed = admin_api.patch("/api/v1/lead-statuses/send_proposal", {"name": "Proposal"})
    assert renamed.json()["name"] == "Proposal"
    keys = [s["key"] for s in admin_api.get("/api/v1/lead-statuses").json()]
    order = admin_api.put("/api/v1/lead-statuses/order", {"keys": list(reversed(keys))})
    assert order.status_code == 200 and order.json()[0]["key"] == "send_proposal"

    person = make_contact(admin)
    changed = admin_api.patch(
        f"/api/v1/contacts/{person.pk}", {"status": "send_proposal", "status_reason": "Asked"}
    )
    assert changed.status_code == 200 and changed.json()["status"] == "send_proposal"
    assert admin_api.get("/api/v1/contacts", status="send_proposal").json()["items"]

    in_use = admin_api.delete("/api/v1/lead-statuses/send_proposal")
    assert in_use.status_code == 409
    gone = admin_api.delete("/api/v1/lead-statuses/send_proposal?move_to=lead")
    assert gone.status_code == 200 and gone.json() == {"moved": 1}
    assert Contact.objects.get(pk=person.pk).status == "lead"

    rules = admin_api.put("/api/v1/lead-status-rules", {"deal_won_makes_client": False})
    assert rules.json() == {"deal_won_makes_client": False}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/v1/lead-statuses", {"name": ""}),
        ("post", "/api/v1/lead-statuses", {"name": "Client"}),
        ("post", "/api/v1/lead-statuses", {"name": "Paused", "meaning": "asleep"}),
        ("post", "/api/v1/lead-statuses", {"name": "Paused", "key": "9 bad"}),
        ("post", "/api/v1/lead-statuses", {"name": "Paused", "colour": "red"}),
        ("put", "/api/v1/lead-statuses/order", {"keys": ["new"]}),
        ("patch", "/api/v1/lead-statuses/lead", {"name": "x" * 61}),
        ("patch", "/api/v1/lead-statuses/lead", {"meaning": "maybe"}),
        ("put", "/api/v1/lead-status-rules", {"deal_won_makes_client": "perhaps"}),
    ],
)
def test_the_api_refuses_bad_input_with_a_422(admin_api, method, path, body):
    response = getattr(admin_api, method)(path, body)
    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert LeadStatus.objects.count() == 7


def test_the_api_refuses_unknown_statuses_and_non_admins(admin_api, sales_api, admin):
    assert admin_api.patch("/api/v1/lead-statuses/nope", {"name": "X"}).status_code == 404
    assert admin_api.delete("/api/v1/lead-statuses/lead?move_to=nope").status_code == 422
    assert sales_api.post("/api/v1/lead-statuses", {"name": "Paused"}).status_code == 403
    assert sales_api.delete("/api/v1/lead-statuses/lead").status_code == 403
    assert sales_api.get("/api/v1/lead-statuses").status_code == 200
    person = make_contact(admin)
    bad = admin_api.patch(f"/api/v1/contacts/{person.pk}", {"status": "sleeping"})
    assert bad.status_code == 422
    assert "status" in {e["field"] for e in bad.json()["errors"]}


# --------------------------------------------------------------------------------------------
# The settings page


def test_the_settings_page_adds_moves_renames_and_deletes(admin, admin_client):
    url = reverse("web:settings-statuses")
    page = admin_client.get(url)
    assert page.status_code == 200 and b"status-list" in page.content
    admin_client.post(url, {"action": "create", "name": "Send proposal", "meaning": "open"})
    assert lead_statuses.load().keys[-1] == "send_proposal"
    moved = admin_client.post(url, {"action": "up", "key": "send_proposal"})
    assert moved.status_code == 302 and "focus=up-send_proposal" in moved["Location"]
    assert lead_statuses.load().keys[-2] == "send_proposal"
    admin_client.post(url, {"action": "update", "key": "lead", "name": "Prospect"})
    assert lead_statuses.load().label("lead") == "Prospect"
    make_contact(admin, status="lead")
    refused = admin_client.post(url, {"action": "delete", "key": "lead"})
    assert refused.status_code == 409
    assert "choose the status it moves to" in refused.content.decode()
    admin_client.post(url, {"action": "delete", "key": "lead", "move_to": "new"})
    assert "lead" not in lead_statuses.load().keys
    admin_client.post(url, {"action": "rules"})
    assert StatusRules.load().deal_won_makes_client is False


def test_sales_users_cannot_open_the_settings_page(sales_client):
    assert sales_client.get(reverse("web:settings-statuses")).status_code == 403


def test_bulk_edit_sets_a_status_by_name_all_or_nothing(admin, admin_client):
    people = [make_contact(admin) for _ in range(2)]
    url = reverse("web:contact-bulk")
    ids = [str(p.pk) for p in people]
    admin_client.post(url, {"action": "set_status", "value": "Perdido", "ids": ids})
    assert set(Contact.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"lost"}
    assert all(_entries(p)[-1]["new"] == "lost" for p in people)
    response = admin_client.post(
        url, {"action": "set_status", "value": "sleeping", "ids": ids}, follow=True
    )
    assert "Status must be one of" in response.content.decode()
    assert set(Contact.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"lost"}

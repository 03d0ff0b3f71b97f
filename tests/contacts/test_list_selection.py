"""The list's bar and selection: every matching contact for a bulk action or an export, in the
request or in the background, within the user's scope; row density; filter chips."""

from django.urls import reverse

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import BulkChange, Contact
from tests.factories import make_contact

BULK = "/contacts/bulk/"


def _tags(contact) -> list[str]:
    return sorted(contact.tags.values_list("name", flat=True))


def test_all_matching_tags_every_contact_the_filter_matches_not_only_the_ticked(
    sales_client, sales
):
    vips = [make_contact(owners=[sales], tags=["vip"]) for _ in range(3)]
    plain = make_contact(owners=[sales])
    sales_client.post(
        BULK,
        {"action": "add_tag", "value": "fair", "scope": "all", "tag": "vip", "ids": [vips[0].pk]},
    )
    assert [_tags(c) for c in vips] == [["fair", "vip"]] * 3
    assert _tags(plain) == []


def test_a_sales_users_all_matching_never_touches_others_contacts(sales_client, sales, other_sales):
    mine = make_contact(owners=[sales], tags=["vip"])
    theirs = make_contact(owners=[other_sales], tags=["vip"])
    sales_client.post(BULK, {"action": "add_tag", "value": "fair", "scope": "all", "tag": "vip"})
    assert _tags(mine) == ["fair", "vip"]
    assert _tags(theirs) == ["vip"]


def test_all_matching_follows_the_text_query_and_the_clients_view(sales_client, sales):
    client_es = make_contact(owners=[sales], country="ES", status="won")
    lead_es = make_contact(owners=[sales], country="ES")
    sales_client.post(
        BULK,
        {"action": "add_tag", "value": "es", "scope": "all", "q": "country:ES", "view": "clients"},
    )
    assert _tags(client_es) == ["es"]
    assert _tags(lead_es) == []


def test_more_matching_contacts_than_a_request_changes_run_in_the_background(
    sales_client, sales, other_sales, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(contact_services, "BULK_NOW_LIMIT", 2)
    monkeypatch.setattr(contact_services, "BULK_BATCH", 2)
    mine = [make_contact(owners=[sales], tags=["vip"]) for _ in range(5)]
    theirs = make_contact(owners=[other_sales], tags=["vip"])
    with django_capture_on_commit_callbacks() as queued:
        response = sales_client.post(
            BULK, {"action": "add_tag", "value": "fair", "scope": "all", "tag": "vip"}
        )
    change = BulkChange.objects.get()
    assert response.url == reverse("web:bulk-change", args=[change.pk])
    assert len(queued) == 1 and change.total == 5 and change.done == 0
    assert all(_tags(c) == ["vip"] for c in mine)  # nothing changed in the request

    contact_services.run_bulk_change(change.pk)
    change.refresh_from_db()
    assert (change.status, change.done) == ("done", 5)
    assert all(_tags(c) == ["fair", "vip"] for c in mine)
    assert _tags(theirs) == ["vip"]
    page = sales_client.get(reverse("web:bulk-change", args=[change.pk])).content.decode()
    assert "5 of 5 contacts done." in page


def test_a_bulk_change_is_shown_only_to_whoever_asked_for_it(
    sales, other_sales, admin_client, sales_client
):
    make_contact(owners=[sales], tags=["vip"])
    change = contact_services.start_bulk_change(
        sales, action="add_tag", value="fair", params={"tag": "vip"}, clients=False
    )
    assert sales_client.get(reverse("web:bulk-change", args=[change.pk])).status_code == 200
    assert admin_client.get(reverse("web:bulk-change", args=[change.pk])).status_code == 404


def test_a_background_change_with_a_wrong_value_is_refused_before_it_is_queued(sales):
    make_contact(owners=[sales], tags=["vip"])
    try:
        contact_services.start_bulk_change(
            sales, action="set_owner", value="nobody", params={}, clients=False
        )
    except contact_services.InvalidInput as exc:
        assert "owners" in exc.errors
    else:
        raise AssertionError("an unknown owner was queued")
    assert not BulkChange.objects.exists()


def test_deleting_all_matching_asks_first_naming_how_many(sales_client, sales):
    for _ in range(3):
        make_contact(owners=[sales], tags=["old"])
    kept = make_contact(owners=[sales])
    asked = sales_client.post(BULK, {"action": "delete", "scope": "all", "tag": "old"})
    assert "Delete 3 contacts?" in asked.content.decode()
    assert Contact.objects.count() == 4
    sales_client.post(BULK, {"action": "delete", "scope": "all", "tag": "old", "confirmed": "yes"})
    assert list(Contact.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_offer_to_select_all_names_every_matching_contact(sales_client, sales):
    for _ in range(3):
        make_contact(owners=[sales], tags=["vip"])
    make_contact(owners=[sales])
    offer = sales_client.get(reverse("web:contact-count"), {"tag": "vip", "shown": "2"})
    text = " ".join(offer.content.decode().split())
    assert "All 2 contacts on this page are selected." in text
    assert "Select all 3 matching contacts" in text


def test_no_offer_when_the_page_holds_every_match(sales_client, sales):
    make_contact(owners=[sales])
    offer = sales_client.get(reverse("web:contact-count"), {"shown": "1"})
    assert offer.content.decode().strip() == ""


def test_exporting_all_matching_ignores_the_ticked_rows(sales_client, sales):
    vips = [make_contact(owners=[sales], tags=["vip"]) for _ in range(3)]
    make_contact(owners=[sales])
    page = sales_client.post(
        reverse("transfer:export"),
        {"stage": "choose", "scope": "all", "tag": "vip", "ids": [vips[0].pk]},
    )
    assert page.context["count"] == 3


def test_row_density_is_saved_per_user(sales_client, sales):
    sales_client.post(reverse("web:list-density"), {"density": "compact"})
    sales.refresh_from_db()
    assert sales.preferences["list_density"] == "compact"
    assert 'class="list-layout density-compact"' in sales_client.get("/contacts/").content.decode()


def test_an_unknown_density_is_refused_and_the_old_one_kept(sales_client, sales):
    sales_client.post(reverse("web:list-density"), {"density": "huge"})
    sales.refresh_from_db()
    assert "list_density" not in (sales.preferences or {})
    assert "Choose comfortable or compact rows." in sales_client.get("/contacts/").content.decode()


def test_each_quick_filter_has_a_chip_that_removes_it(sales_client, sales):
    page = sales_client.get("/contacts/", {"tag": "vip", "source": "form"})
    chips = page.context["quick_chips"]
    assert [c["label"] for c in chips] == ["Tag: vip", "Source: Form"]
    assert chips[0]["remove_url"] == "/contacts/?source=form"

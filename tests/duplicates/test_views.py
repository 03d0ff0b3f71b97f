import pytest

from kartoteka.contacts.models import Contact
from kartoteka.duplicates.models import MatchingRule, MergeRecord
from tests.duplicates.helpers import scanned
from tests.duplicates.pages import layout  # noqa: F401
from tests.factories import make_contact

pytestmark = pytest.mark.usefixtures("layout")


@pytest.fixture
def twins(admin, sales):
    one = make_contact(
        admin,
        email="t1@example.com",
        first_name="Olga",
        last_name="Tokarczuk",
        phone="+48601777888",
        owners=[sales],
    )
    two = make_contact(
        admin,
        email="t2@example.com",
        first_name="Olga",
        last_name="Tokarczuk",
        phone="+48601777888",
        city="Kraków",
        owners=[sales],
    )
    scanned()
    return one, two


def test_duplicates_page_lists_groups_with_reason_and_confidence(client, sales, twins):
    client.force_login(sales)
    response = client.get("/duplicates/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Same phone number" in page and "95%" in page and "Olga Tokarczuk" in page


def test_compare_and_merge_from_the_page(client, sales, twins):
    one, two = twins
    client.force_login(sales)
    response = client.get(f"/duplicates/compare/?ids={one.pk},{two.pk}")
    assert response.status_code == 200
    response = client.post(
        "/duplicates/compare/",
        {"ids": f"{one.pk},{two.pk}", "survivor": str(one.pk), "field:email": str(two.pk)},
    )
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=two.pk).exists()
    survivor = Contact.objects.get(pk=one.pk)
    assert survivor.email == "t2@example.com" and survivor.city == "Kraków"


def test_compare_of_an_unseen_contact_is_404(client, other_sales, twins):
    one, two = twins
    client.force_login(other_sales)
    assert client.get(f"/duplicates/compare/?ids={one.pk},{two.pk}").status_code == 404


def test_merge_with_finds_the_other_contact(client, sales, twins):
    one, two = twins
    client.force_login(sales)
    response = client.get(f"/contacts/{one.pk}/merge-with/", {"q": "t2@example.com"})
    assert f"ids={one.pk},{two.pk}" in response.content.decode()


def test_admin_undoes_from_the_merges_tab(client, admin, twins):
    one, two = twins
    client.force_login(admin)
    client.post("/duplicates/compare/", {"ids": f"{one.pk},{two.pk}", "survivor": str(one.pk)})
    merge = MergeRecord.objects.get()
    assert "Undo merge" in client.get(f"/contacts/{one.pk}/merges/").content.decode()
    response = client.post(f"/merges/{merge.pk}/undo/")
    assert response.status_code == 302
    assert Contact.objects.filter(pk=two.pk).exists()


def test_sales_user_sees_no_undo_button(client, admin, sales, twins):
    one, two = twins
    client.force_login(admin)
    client.post("/duplicates/compare/", {"ids": f"{one.pk},{two.pk}", "survivor": str(one.pk)})
    client.force_login(sales)
    assert "Undo merge" not in client.get(f"/contacts/{one.pk}/merges/").content.decode()


def test_admin_adds_a_rule_and_bad_input_is_explained(client, admin):
    client.force_login(admin)
    response = client.post(
        "/duplicates/rules/",
        {"action": "add", "name": "", "field_0": "city", "match_0": "fuzzy"},
    )
    assert response.status_code == 422
    assert "Give the rule a name." in response.content.decode()
    response = client.post(
        "/duplicates/rules/",
        {
            "action": "add",
            "name": "Same city and name",
            "field_0": "city",
            "match_0": "exact",
            "field_1": "name",
            "match_1": "fuzzy",
            "combine": "all",
            "min_similarity": "90",
            "confidence": "60",
        },
    )
    assert response.status_code == 302
    assert MatchingRule.objects.filter(name="Same city and name").exists()


def test_a_bad_condition_is_explained_next_to_its_slot(client, admin):
    client.force_login(admin)
    response = client.post(
        "/duplicates/rules/",
        {"action": "add", "name": "Fuzzy phone", "field_1": "phone", "match_1": "fuzzy"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    slot = page.index('name="match_1"')
    assert page.index("can be compared fuzzily", slot) < page.index('name="field_2"')
    assert 'value="Fuzzy phone"' in page
    assert '<option value="phone" selected>' in page
    assert not MatchingRule.objects.filter(name="Fuzzy phone").exists()


def test_a_bad_similarity_is_explained_and_kept_in_its_input(client, admin):
    client.force_login(admin)
    response = client.post(
        "/duplicates/rules/",
        {"action": "add", "name": "R", "field_0": "city", "min_similarity": "20"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Similarity must be between 50 and 100." in page
    assert 'name="min_similarity" value="20"' in page


def test_toggling_a_rule_deleted_meanwhile_says_so(client, admin):
    client.force_login(admin)
    response = client.post("/duplicates/rules/", {"action": "toggle", "rule": "999999"})
    assert response.status_code == 422
    assert "No such rule." in response.content.decode()


def test_undo_refused_to_a_sales_user_says_why(client, admin, sales, twins):
    one, two = twins
    client.force_login(admin)
    client.post("/duplicates/compare/", {"ids": f"{one.pk},{two.pk}", "survivor": str(one.pk)})
    merge = MergeRecord.objects.get()
    client.force_login(sales)
    response = client.post(f"/merges/{merge.pk}/undo/", follow=True)
    assert "Only admins may undo a merge." in response.content.decode()
    assert not Contact.objects.filter(pk=two.pk).exists()


def test_merging_onto_a_survivor_not_compared_is_refused_and_changes_nothing(client, sales, twins):
    one, two = twins
    client.force_login(sales)
    response = client.post(
        "/duplicates/compare/", {"ids": f"{one.pk},{two.pk}", "survivor": "nobody"}
    )
    assert response.status_code == 422
    assert Contact.objects.filter(pk__in=[one.pk, two.pk]).count() == 2


def test_a_scan_asked_for_by_a_sales_user_says_only_admins_may(client, sales):
    client.force_login(sales)
    response = client.post("/duplicates/scan/", follow=True)
    assert "Only admins may start a scan for duplicates." in response.content.decode()


def test_rules_page_is_for_admins_only(client, sales):
    client.force_login(sales)
    assert client.get("/duplicates/rules/").status_code == 404


def test_compare_refuses_a_hostile_list_of_ids(client, sales, twins):
    client.force_login(sales)
    ids = ",".join(str(i) for i in range(1, 500)) + ",x,,-3"
    response = client.get(f"/duplicates/compare/?ids={ids}", follow=True)
    assert "Pick between 2 and 10 contacts to compare." in response.content.decode()


def test_duplicates_page_query_count_does_not_grow_with_the_groups(client, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/duplicates/").status_code == 200
        return len(captured.captured_queries)

    client.force_login(admin)
    for n in range(2):
        make_contact(admin, phone=f"+3460000000{n}")
        make_contact(admin, phone=f"+3460000000{n}")
    scanned()
    few = queries_for_page()
    for n in range(2, 8):
        make_contact(admin, phone=f"+3460000000{n}")
        make_contact(admin, phone=f"+3460000000{n}")
    scanned()
    assert queries_for_page() == few


def test_compare_shows_detail_labels_and_formatted_values(client, admin, sales):
    from kartoteka.contacts.services import define_property

    define_property(admin, key="first_purchase", label="First purchase", type="boolean")
    define_property(
        admin, key="products", label="Products", type="multi_choice", choices=["CRM", "ERP"]
    )
    one = make_contact(admin, owners=[sales], properties={"first_purchase": True})
    two = make_contact(admin, owners=[sales], properties={"products": ["CRM", "ERP"]})
    client.force_login(sales)
    page = client.get(f"/duplicates/compare/?ids={one.pk},{two.pk}").content.decode()
    assert "First purchase" in page and "Products" in page and "CRM, ERP" in page
    assert "first_purchase" not in page.replace('name="field:properties.first_purchase"', "")
    assert "[&#x27;CRM&#x27;" not in page and ">True<" not in page.replace(" ", "")


def test_default_rule_names_are_shown_in_the_readers_language(client, admin, twins):
    client.force_login(admin)
    client.post("/i18n/setlang/", {"language": "es", "next": "/duplicates/"})
    assert "Mismo número de teléfono" in client.get("/duplicates/").content.decode()
    assert "Mismo número de teléfono" in client.get("/duplicates/rules/").content.decode()

import pytest

from kartoteka.contacts.models import Contact
from kartoteka.duplicates.models import MatchingRule
from tests.duplicates.helpers import scanned
from tests.factories import make_contact


@pytest.fixture
def twins(admin, sales):
    one = make_contact(admin, email="p1@example.com", phone="+34600123123", owners=[sales])
    two = make_contact(admin, email="p2@example.com", phone="+34600123123", owners=[sales])
    scanned()
    return one, two


def test_duplicates_lists_groups_with_reason_and_confidence(admin_api, twins):
    response = admin_api.get("/api/v1/duplicates")
    assert response.status_code == 200
    (group,) = response.json()
    assert group == {
        "id": group["id"],
        "contact_ids": sorted(c.pk for c in twins),
        "reasons": ["Same phone number"],
        "confidence": 95,
        "exact": True,
    }


def test_duplicates_only_lists_contacts_the_user_sees(other_sales_api, twins):
    assert other_sales_api.get("/api/v1/duplicates").json() == []


@pytest.mark.parametrize("path", ["/api/v1/contacts/merge", "/api/v1/merges"])
def test_api_merges_and_undoes(admin_api, twins, path):
    one, two = twins
    response = admin_api.post(
        path,
        {"survivor": one.pk, "merged": [two.pk], "fields": {"email": two.pk}},
    )
    assert response.status_code == 201, response.content
    (merge,) = response.json()
    assert Contact.objects.get(pk=one.pk).email == "p2@example.com"
    assert not Contact.objects.filter(pk=two.pk).exists()

    response = admin_api.post(f"/api/v1/merges/{merge['id']}/undo")
    assert response.status_code == 200
    assert response.json()["undone_at"] is not None
    assert Contact.objects.get(pk=two.pk).email == "p2@example.com"


def test_merge_with_bad_input_is_problem_json(admin_api, twins):
    one, _two = twins
    response = admin_api.post("/api/v1/merges", {"survivor": one.pk, "merged": []})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "merged"


def test_merge_of_an_unseen_contact_is_404(other_sales_api, twins):
    one, two = twins
    response = other_sales_api.post("/api/v1/merges", {"survivor": one.pk, "merged": [two.pk]})
    assert response.status_code == 404


def test_sales_user_cannot_undo_a_merge(admin_api, sales_api, twins):
    one, two = twins
    (merge,) = admin_api.post("/api/v1/merges", {"survivor": one.pk, "merged": [two.pk]}).json()
    assert sales_api.post(f"/api/v1/merges/{merge['id']}/undo").status_code == 403


def test_bulk_merge_of_exact_matches(admin_api, twins):
    response = admin_api.post("/api/v1/duplicates/merge-exact")
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert Contact.objects.count() == 1


def test_admin_configures_a_matching_rule(admin_api):
    response = admin_api.post(
        "/api/v1/duplicates/rules",
        {
            "name": "Same postcode and name",
            "conditions": [
                {"field": "postal_code", "match": "exact"},
                {"field": "name", "match": "fuzzy"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    response = admin_api.patch(f"/api/v1/duplicates/rules/{rule_id}", {"is_active": False})
    assert response.json()["is_active"] is False
    assert admin_api.delete(f"/api/v1/duplicates/rules/{rule_id}").status_code == 204


def test_bad_rule_names_each_problem(admin_api):
    response = admin_api.post(
        "/api/v1/duplicates/rules",
        {"name": "", "conditions": [{"field": "city", "match": "fuzzy"}], "confidence": 300},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "conditions.0.match", "confidence"}


def test_sales_user_cannot_change_matching_rules(sales_api):
    rule = MatchingRule.objects.first()
    response = sales_api.patch(f"/api/v1/duplicates/rules/{rule.pk}", {"is_active": False})
    assert response.status_code == 403

"""The forms API: admins build forms; everyone reads submissions within their scope."""

from kartoteka.webforms import services
from kartoteka.webforms.models import WebForm
from tests.factories import make_contact

PROOF = {"page_url": "https://shop.example.com/", "ip": "203.0.113.5", "user_agent": "UA"}


def _submit(form, email):
    return services.submit_form(form, values={"email": email, "company": "Acme"}, proof=PROOF)


def test_admin_creates_reads_changes_and_deletes_a_form(admin_api):
    created = admin_api.post(
        "/api/v1/forms",
        {"name": "Contact us", "fields": [{"label": "Phone", "type": "phone", "maps_to": "phone"}]},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["page_url"].endswith(f"/f/{body['key']}")
    assert f'action="{body["page_url"]}"' in body["snippet"]
    form_id = body["id"]
    assert admin_api.get(f"/api/v1/forms/{form_id}").json()["fields"][0]["maps_to"] == "phone"
    changed = admin_api.patch(f"/api/v1/forms/{form_id}", {"thank_you": "Gracias"})
    assert changed.status_code == 200 and changed.json()["thank_you"] == "Gracias"
    assert admin_api.delete(f"/api/v1/forms/{form_id}").status_code == 204
    assert not WebForm.objects.exists()


def test_bad_form_is_422_naming_the_field(admin_api):
    answer = admin_api.post("/api/v1/forms", {"name": "X", "fields": [{"label": "A", "type": "x"}]})
    assert answer.status_code == 422
    assert "fields.0" in str(answer.json())


def test_sales_user_cannot_create_forms(sales_api):
    assert sales_api.post("/api/v1/forms", {"name": "Mine"}).status_code == 403


def test_unknown_form_is_404(admin_api):
    assert admin_api.get("/api/v1/forms/999").status_code == 404


def test_sales_user_sees_submissions_of_their_own_contacts_only(webform, sales, sales_api):
    mine = make_contact(email="mine@example.com", owners=[sales])
    _submit(webform, "mine@example.com")
    _submit(webform, "someone@example.com")
    listed = sales_api.get(f"/api/v1/forms/{webform.pk}/submissions").json()
    assert [s["contact_id"] for s in listed] == [mine.pk]


def test_admin_sees_every_submission(webform, admin_api):
    _submit(webform, "a@example.com")
    _submit(webform, "b@example.com")
    assert len(admin_api.get(f"/api/v1/forms/{webform.pk}/submissions").json()) == 2


def test_contact_submissions_outside_scope_is_404(webform, sales_api):
    submission = _submit(webform, "someone@example.com")
    answer = sales_api.get(f"/api/v1/contacts/{submission.contact_id}/submissions")
    assert answer.status_code == 404


def test_contact_submissions_lists_the_values(webform, admin_api):
    submission = _submit(webform, "a@example.com")
    listed = admin_api.get(f"/api/v1/contacts/{submission.contact_id}/submissions").json()
    assert listed[0]["values"]["company"] == "Acme"
    assert listed[0]["form"] == "Demo request"

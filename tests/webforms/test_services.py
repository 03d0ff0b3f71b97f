"""Taking in a submission: the contact, the kept values, consent, tags, timeline, tracking."""

import pytest

from kartoteka.activity.models import Activity
from kartoteka.consents.queries import consent_status
from kartoteka.contacts.models import Contact
from kartoteka.core.errors import Forbidden, InvalidInput
from kartoteka.core.scope import SYSTEM
from kartoteka.tracking.models import Hit
from kartoteka.webforms import services
from kartoteka.webforms.models import Submission
from tests.factories import make_contact
from tests.tracking.helpers import make_site, send

from .conftest import PAGE

PROOF = {"page_url": PAGE, "ip": "203.0.113.5", "user_agent": "TestBrowser/1.0"}
VALUES = {
    "email": "Ana@Example.com",
    "first_name": "Ana",
    "company": "Acme",
    "budget": "5000",
    "message": "Call me",
    "size": "11+",
    "consent": "on",
}


def test_submission_creates_contact_with_mapped_fields_and_attribution(webform):
    contact = services.submit_form(webform, values=VALUES, proof=PROOF).contact
    assert contact.first_name == "Ana"
    assert contact.company.name == "Acme"
    assert contact.properties == {"budget": "5000"}
    assert contact.source == "form"
    assert (contact.created_ip, contact.created_url) == ("203.0.113.5", PAGE)
    assert (contact.utm_source, contact.utm_campaign) == ("google", "spring")
    assert (contact.gclid, contact.ads_keyword) == ("G1", "crm")


def test_unmapped_fields_live_only_in_the_submission(webform):
    submission = services.submit_form(webform, values=VALUES, proof=PROOF)
    assert submission.values["message"] == "Call me"
    assert submission.values["size"] == "11+"
    assert "Call me" not in str(Contact.objects.get(pk=submission.contact_id).properties)


def test_known_address_updates_the_contact_without_touching_its_origin(webform):
    ana = make_contact(email="ana@example.com", first_name="Old")
    services.submit_form(webform, values=VALUES, proof=PROOF)
    ana.refresh_from_db()
    assert ana.first_name == "Ana"
    assert ana.created_ip is None and ana.utm_source == ""
    assert Contact.objects.count() == 1


def test_submission_adds_tags_timeline_entry_and_consent_with_proof(webform):
    submission = services.submit_form(webform, values=VALUES, proof=PROOF)
    contact = submission.contact
    assert set(contact.tags.values_list("name", flat=True)) >= {"lead", "demo"}
    assert Activity.objects.filter(contact=contact, kind="form_submitted").count() == 1
    assert consent_status(contact, channel="email", purpose="marketing") == "granted"
    entry = contact.consent_entries.get()
    assert entry.proof["ip"] == "203.0.113.5"
    assert entry.proof["page_url"] == PAGE
    assert "I agree to receive e-mails." in entry.proof["where"]


def test_no_consent_ticked_records_no_consent(webform):
    submission = services.submit_form(webform, values={**VALUES, "consent": ""}, proof=PROOF)
    status = consent_status(submission.contact, channel="email", purpose="marketing")
    assert status != "granted"
    assert submission.values["consent"] is False


def test_owner_of_new_contacts_is_the_forms_owner(webform, sales):
    services.update_form(SYSTEM, webform, data={"owner": sales.username})
    submission = services.submit_form(webform, values=VALUES, proof=PROOF)
    assert list(submission.contact.owners.all()) == [sales]


def test_every_bad_field_is_named_and_nothing_is_written(webform):
    bad = {
        **VALUES,
        "email": "not-an-address",
        "company": "",
        "size": "huge",
        "first_name": "x" * 300,
    }
    with pytest.raises(InvalidInput) as caught:
        services.submit_form(webform, values=bad, proof=PROOF)
    assert {"email", "company", "size", "first_name"} <= set(caught.value.errors)
    assert not Contact.objects.exists() and not Submission.objects.exists()


def test_contact_level_error_is_named_by_the_form_field(webform):
    services.update_form(
        SYSTEM,
        webform,
        data={"fields": [{"key": "country", "label": "Country", "maps_to": "country"}]},
    )
    with pytest.raises(InvalidInput) as caught:
        services.submit_form(webform, values={**VALUES, "country": "Atlantis"}, proof=PROOF)
    assert "country" in caught.value.errors
    assert not Contact.objects.exists()


def test_visitor_with_history_is_identified_through_tracking(webform):
    site = make_site()
    assert send(site, visitor="visitor-0042").status_code in (202, 204)
    services.submit_form(webform, values=VALUES, proof=PROOF, visitor="visitor-0042")
    hit = Hit.objects.get(kind=Hit.IDENTIFY)
    assert (hit.visitor, hit.data["email"].lower()) == ("visitor-0042", "ana@example.com")


def test_unknown_visitor_queues_nothing(webform):
    services.submit_form(webform, values=VALUES, proof=PROOF, visitor="visitor-9999")
    assert not Hit.objects.filter(kind=Hit.IDENTIFY).exists()


def test_list_form_requires_consent_and_subscribes_through_mailing(webform):
    from kartoteka.mailing import services as mailing
    from kartoteka.mailing.models import Subscription

    news = mailing.create_list(
        SYSTEM, data={"key": "news", "name": "News", "language": "en", "double_opt_in": True}
    )
    services.update_form(SYSTEM, webform, data={"mailing_list": news.pk})
    with pytest.raises(InvalidInput) as caught:
        services.submit_form(webform, values={**VALUES, "consent": ""}, proof=PROOF)
    assert "consent" in caught.value.errors
    services.submit_form(webform, values=VALUES, proof=PROOF)
    assert Subscription.objects.get(mailing_list=news).status == "pending"


def test_form_building_names_each_bad_field(db):
    with pytest.raises(InvalidInput) as caught:
        services.create_form(
            SYSTEM,
            data={
                "name": "",
                "fields": [
                    {"label": "", "type": "date"},
                    {"label": "Pick", "type": "choice"},
                    {"label": "X", "maps_to": "properties.nope"},
                    {"label": "Y", "key": "email"},
                ],
                "redirect_url": "javascript:alert(1)",
                "mailing_list": 999,
                "owner": "nobody",
            },
        )
    errors = caught.value.errors
    expected = {"name", "fields.0", "fields.1", "fields.2", "fields.3", "redirect_url"}
    assert expected | {"mailing_list", "owner"} <= set(errors)


def test_sales_user_cannot_build_forms(sales):
    with pytest.raises(Forbidden):
        services.create_form(sales, data={"name": "Mine"})


def test_fill_token_refused_when_sent_too_fast(settings):
    settings.KARTOTEKA_FORM_MIN_SECONDS = 3
    with pytest.raises(InvalidInput):
        services.check_fill_time(services.fill_token())


def test_fill_token_refused_when_forged():
    with pytest.raises(InvalidInput):
        services.check_fill_time("abc:def:ghi")


def test_the_worker_joins_the_visitors_history_to_the_contact(webform):
    from kartoteka.tracking import services as tracking
    from kartoteka.tracking.models import Visit

    site = make_site()
    send(site, visitor="visitor-0042")
    tracking.process_hits()
    submission = services.submit_form(webform, values=VALUES, proof=PROOF, visitor="visitor-0042")
    tracking.process_hits()
    assert list(Visit.objects.values_list("contact_id", flat=True)) == [submission.contact_id]


def test_submitted_the_form_filter_with_scope_and_text_form(webform, sales, admin):
    from kartoteka.core.errors import InvalidInput
    from kartoteka.segments.queries import filter_contacts
    from kartoteka.segments.text import parse

    other = services.create_form(SYSTEM, data={"name": "Newsletter", "fields": []})
    mine = make_contact(email="mine@example.com", owners=[sales])
    for email in ("mine@example.com", "theirs@example.com"):
        services.submit_form(webform, values={"email": email, "company": "A"}, proof=PROOF)
    services.submit_form(other, values={"email": "late@example.com"}, proof=PROOF)

    def ids(actor, document):
        return set(filter_contacts(actor, document).values_list("email", flat=True))

    condition = {"field": "forms.submitted", "op": "eq", "value": str(webform.pk)}
    assert ids(admin, condition) == {"mine@example.com", "theirs@example.com"}
    assert ids(sales, condition) == {mine.email}
    assert ids(admin, parse(f"form:{other.pk}")) == {"late@example.com"}
    assert "late@example.com" in ids(admin, {"not": condition})
    with pytest.raises(InvalidInput):
        ids(admin, {"field": "forms.submitted", "op": "eq", "value": "nope"})

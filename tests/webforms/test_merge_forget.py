"""Merge moves submissions onto the survivor; forget erases them."""

from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.services import merge_contacts
from kartoteka.privacy.services import forget_contact
from kartoteka.webforms import services
from kartoteka.webforms.models import Submission
from tests.factories import make_contact

PROOF = {"page_url": "https://shop.example.com/", "ip": "203.0.113.5", "user_agent": "UA"}


def test_merge_moves_submissions_to_the_survivor(webform):
    ana = make_contact(email="ana@example.com")
    twin = make_contact(email="ana.twin@example.com")
    for email in ("ana@example.com", "ana.twin@example.com"):
        services.submit_form(webform, values={"email": email, "company": "Acme"}, proof=PROOF)
    merge_contacts(SYSTEM, survivor_id=ana.pk, merged_ids=[twin.pk])
    assert set(Submission.objects.values_list("contact_id", flat=True)) == {ana.pk}
    assert Submission.objects.count() == 2


def test_forget_erases_submissions(webform):
    ana = make_contact(email="ana@example.com")
    services.submit_form(webform, values={"email": "ana@example.com", "company": "A"}, proof=PROOF)
    forget_contact(SYSTEM, ana)
    assert not Submission.objects.exists()

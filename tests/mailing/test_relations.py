"""Merge keeps the subscriptions of both contacts; forget leaves none of them."""

from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.services import merge_contacts
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail, Subscription
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact
from tests.mailing.helpers import grant


def test_merging_keeps_the_subscriptions_of_both(admin, newsletter):
    other = services.create_list(SYSTEM, data={"key": "offers", "name": "Offers"})
    survivor, merged = make_contact(), make_contact()
    grant(survivor)
    grant(merged)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[survivor.pk, merged.pk])
    services.subscribe_contacts(SYSTEM, other, contact_ids=[merged.pk])
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    lists = set(
        Subscription.objects.filter(contact=survivor).values_list("mailing_list__key", flat=True)
    )
    assert lists == {"newsletter", "offers"}


def test_forgetting_erases_subscriptions_and_emails(admin, newsletter, commit):
    contact = make_contact()
    with commit(execute=True):
        services.subscribe_contacts(
            SYSTEM, newsletter, contact_ids=[contact.pk], double_opt_in=True
        )
    assert OutgoingEmail.objects.filter(contact=contact).exists()
    forget_contact(admin, contact)
    assert not Subscription.objects.exists()
    assert not OutgoingEmail.objects.exists()

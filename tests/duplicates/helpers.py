"""Fills every table that points at a contact, so merge and forget tests cover them all."""

from django.core.files.base import ContentFile

from kartoteka.activity import services as activity
from kartoteka.consents import services as consents
from kartoteka.contacts import services as contacts
from kartoteka.core import relations
from kartoteka.core.scope import SYSTEM
from kartoteka.deals import services as deals
from kartoteka.duplicates.services import scan_now


def fill_related_tables(actor, contact, *, mention, words: str = "") -> dict:
    """One or more rows in every related table for `contact`; returns what was made."""
    text = words or f"About {contact.first_name}"
    note = activity.add_note(actor, contact, body=f"Note: {text}")
    comment = activity.add_comment(actor, contact, body=f"@{mention.username} {text}")
    task = activity.create_task(
        actor, data={"title": f"Call {text}", "contacts": [contact.pk], "assignees": [mention]}
    )
    attached = activity.upload_file(
        actor, contact, upload=ContentFile(f"file of {text}".encode(), name="cv.txt")
    )
    contacts.add_tags(actor, contact, names=["vip", f"tag-{contact.pk}"])
    consents.record_consent(
        actor,
        contact,
        channel="email",
        purpose="marketing",
        status="granted",
        source="staff",
        proof={"where": f"At the fair: {text}"},
    )
    consents.block_contact(actor, contact, blocked=True, reason=f"Asked by {text}")
    deal = deals.create_deal(actor, data={"name": f"Deal {text}", "contacts": [contact.pk]})
    deals.add_deal_note(actor, deal, body=f"Deal note: {text}")
    lost = deal.pipeline.stages.get(kind="lost")
    deals.move_deal(actor, deal, stage=lost.pk, reason=f"Lost {text}")
    return {"note": note, "comment": comment, "task": task, "file": attached, "deal": deal}


def scanned():
    """Run a scan now, as the background task would, and return it."""
    return scan_now(SYSTEM, trigger="test")


def related_counts(contact_id: int) -> dict[str, int]:
    """Rows per related table that point at the contact (card rows included)."""
    return {
        relation.key: relation.rows(contact_id).count()
        for relation in relations.contact_relations()
    }

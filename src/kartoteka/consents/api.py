"""REST endpoints for a contact's consents and for blocking it."""

from django.http import HttpRequest
from ninja import Router, Status

from kartoteka.consents import queries, services
from kartoteka.consents.schemas import (
    BlockIn,
    BlockStateOut,
    ConsentEntryOut,
    ConsentIn,
    ConsentsOut,
)
from kartoteka.contacts.queries import get_contact

router = Router(tags=["consents"])


def _entry_out(entry) -> dict:
    return {
        "id": entry.pk,
        "channel": entry.channel,
        "purpose": entry.purpose,
        "status": entry.status,
        "given_at": entry.given_at,
        "recorded_at": entry.recorded_at,
        "source": entry.source,
        "proof": entry.proof,
        "recorded_by": entry.actor.username if entry.actor else entry.actor_label,
    }


@router.get("/contacts/{contact_id}/consents", response=ConsentsOut)
def consents(request: HttpRequest, contact_id: int):
    """The consents in force per channel and purpose, and every change, newest first."""
    found = queries.contact_consents(request.user, contact_id)
    block = found.blocked
    return {
        "current": found.current,
        "history": [_entry_out(entry) for entry in found.history],
        "blocked": {"reason": block.reason, "blocked_at": block.blocked_at} if block else None,
        "suppressed": found.suppressed,
    }


@router.post("/contacts/{contact_id}/consents", response={201: ConsentEntryOut})
def record(request: HttpRequest, contact_id: int, payload: ConsentIn):
    """Record a consent given or withdrawn. An older one than the consent in force is kept in
    the history without replacing it; a grant on a suppressed address needs new consent (409)."""
    contact = get_contact(request.user, contact_id)
    entry = services.record_consent(
        request.user,
        contact,
        channel=payload.channel,
        purpose=payload.purpose,
        status=payload.status,
        source=payload.source,
        proof=payload.proof,
        given_at=payload.given_at,
    )
    return Status(201, _entry_out(entry))


@router.post("/contacts/{contact_id}/block", response=BlockStateOut)
def block(request: HttpRequest, contact_id: int, payload: BlockIn):
    """Block ({"blocked": true}) or unblock the contact, saying why."""
    contact = get_contact(request.user, contact_id)
    blocked = services.block_contact(
        request.user, contact, blocked=payload.blocked, reason=payload.reason
    )
    return {"id": contact.pk, "blocked": blocked}

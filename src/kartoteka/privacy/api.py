"""REST endpoints for data-subject requests: export, forget, stop or start monitoring."""

from django.http import HttpRequest
from ninja import Router

from kartoteka.contacts.queries import get_contact
from kartoteka.core.openapi import file_response
from kartoteka.privacy import services
from kartoteka.privacy.export import zip_response
from kartoteka.privacy.models import ForgetRecord
from kartoteka.privacy.schemas import ForgetOut, MonitoringIn, MonitoringOut

router = Router(tags=["privacy"])


def forget_out(record: ForgetRecord) -> dict:
    return {
        "id": record.pk,
        "contact_id": record.contact_id,
        "forgotten_at": record.forgotten_at,
        "forgotten_by": record.forgotten_by.username if record.forgotten_by else None,
        "erased": record.erased,
    }


@router.get(
    "/contacts/{contact_id}/export",
    openapi_extra=file_response("data.json and the contact's files", "application/zip"),
)
def export(request: HttpRequest, contact_id: int):
    """Everything stored about the contact (GDPR art. 15 and 20): data.json and its files."""
    return zip_response(request, contact_id)


@router.post("/contacts/{contact_id}/forget", response=ForgetOut)
def forget(request: HttpRequest, contact_id: int):
    """Erase the contact's personal data everywhere (admins only); returns the audit record."""
    contact = get_contact(request.user, contact_id)
    return forget_out(services.forget_contact(request.user, contact))


@router.post("/contacts/{contact_id}/monitoring", response=MonitoringOut)
def monitoring(request: HttpRequest, contact_id: int, payload: MonitoringIn):
    """Stop ({"enabled": false}) or start again the tracking of this contact."""
    contact = get_contact(request.user, contact_id)
    contact = services.set_monitoring(request.user, contact, enabled=payload.enabled)
    return {"id": contact.pk, "is_monitored": contact.is_monitored}

"""Packs a contact's data export into a ZIP (data.json plus the contact's files) and sends it."""

import json
import zipfile
from io import BytesIO

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from kartoteka.privacy import services
from kartoteka.privacy.queries import ContactData, contact_data


def build_zip(data: ContactData) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data.document, ensure_ascii=False, indent=2, default=str)
        )
        for exported in data.files:
            if not default_storage.exists(exported.storage_name):
                continue  # its bytes were deleted; the document still lists the file
            with default_storage.open(exported.storage_name, "rb") as handle:
                archive.writestr(exported.path, handle.read())
    return buffer.getvalue()


def zip_name(data: ContactData) -> str:
    return f"contact-{data.contact.pk}-data.zip"


def zip_response(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The contact's data export as a ZIP download, with the proof left on its timeline."""
    data = contact_data(request.user, contact_id)
    body = build_zip(data)
    services.record_data_export(request.user, data.contact, files=len(data.files))
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{zip_name(data)}"'
    return response

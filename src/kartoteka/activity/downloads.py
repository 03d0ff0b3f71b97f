"""Sending a contact's file: the one way bytes leave storage, for the API and the pages alike."""

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from kartoteka.activity import services
from kartoteka.activity.filecheck import download_type
from kartoteka.activity.models import ContactFile
from kartoteka.core.errors import NotFound


def send_file(request: HttpRequest, attached: ContactFile) -> FileResponse:
    """Shared by the API and the page: record the download, stream the bytes as an attachment."""
    try:
        handle = attached.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is no longer in storage.")) from None
    services.record_file_downloaded(request.user, attached)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attached.name,
        content_type=download_type(attached.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

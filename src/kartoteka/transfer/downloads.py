"""Sending a finished export's file: shared by the API and the pages."""

from django.http import FileResponse
from django.utils.translation import gettext as _

from kartoteka.core.errors import NotFound
from kartoteka.transfer.models import Export, ExportStatus


def send_export(export: Export) -> FileResponse:
    """The written file of a finished export, as a download."""
    if export.status != ExportStatus.DONE or not export.file_path:
        raise NotFound(_("This export has no file yet."))
    try:
        handle = open(export.file_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError:
        raise NotFound(_("The export file is no longer stored.")) from None
    return FileResponse(
        handle, as_attachment=True, filename=f"contacts-{export.pk}.{export.format}"
    )

"""An upload handler that streams a file to a temporary file on disk and stops reading it as
soon as it grows past the size limit, so a huge upload never fills memory or the disk."""

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.KARTOTEKA_MAX_UPLOAD_BYTES:
            self.request.upload_too_large = True
            # Read and drop the rest of the body so the client gets the answer, not a reset.
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def use_limited_uploads(request: HttpRequest) -> None:
    """Install the handler; call before anything reads request.POST or request.FILES."""
    request.upload_too_large = False
    request.upload_handlers = [SizeLimitedUploadHandler(request)]

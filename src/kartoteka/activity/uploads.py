"""An upload handler that streams a file to a temporary file on disk and stops reading it as
soon as it grows past the size limit, so a huge upload never fills memory or the disk; and the
pages and API endpoints that take a file through it."""

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from kartoteka.activity.services import max_upload_bytes, too_large_message
from kartoteka.core.errors import InvalidInput
from kartoteka.web.forms import ServiceForm


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > max_upload_bytes():
            self.request.upload_too_large = True
            # Read and drop the rest of the body so the client gets the answer, not a reset.
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def use_limited_uploads(request: HttpRequest) -> None:
    """Install the handler; call before anything reads request.POST or request.FILES."""
    request.upload_too_large = False
    request.upload_handlers = [SizeLimitedUploadHandler(request)]


def upload_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in page whose form posts a file: the handler goes in before the CSRF check reads
    the body, so the check runs by hand once it is in place."""
    checked = csrf_protect(view)

    @csrf_exempt
    @login_required
    @functools.wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Only a multipart body carries a file; a plain form's may have been read already.
        request.upload_too_large = False
        if request.content_type == "multipart/form-data":
            use_limited_uploads(request)
        return checked(request, *args, **kwargs)

    return page


def too_large_form() -> ServiceForm:
    """The form's answer to a file the handler dropped: why, not that no file was chosen."""
    form = ServiceForm({})
    form.refuse({"file": [too_large_message()]})
    return form


def posted_file(request: HttpRequest) -> UploadedFile:
    """The file an API call posts as multipart/form-data in the field `file`, streamed through
    the handler; InvalidInput("file") past the limit (naming it, as the pages do) or without
    one. The endpoint must not declare the file as a parameter: ninja would parse it first."""
    use_limited_uploads(request)
    upload = request.FILES.get("file")
    if request.upload_too_large:
        raise InvalidInput("file", too_large_message())
    if upload is None:
        raise InvalidInput("file", _("Send the file as multipart/form-data in the field 'file'."))
    return upload

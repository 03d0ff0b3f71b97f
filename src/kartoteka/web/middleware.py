"""Once for every page and fragment of every app: NotFound is the 404 page, and input no
database can store is a 400 page naming the field."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.defaults import page_not_found

from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.inputs import check_form_input


class NotFoundAsPage404:
    """Something outside the user's scope is a 404 page, never a 403, through every view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            return page_not_found(request, Http404(exception.message))
        return None


class RefuseUnstorableInput:
    """A page or fragment whose query or form holds text or a number no database can store
    (NUL, a lone surrogate, a whole number past 64 bits) answers 400 saying which field, before
    any view parses it. The API checks its own parsed parameters (kartoteka.api)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        values = [*request.GET.lists(), *((k, [v]) for k, v in kwargs.items())]
        # A multipart body is left to its view, which sets the upload limits before parsing.
        if request.content_type == "application/x-www-form-urlencoded":
            values.extend(request.POST.lists())
        try:
            check_form_input(values)
        except InvalidInput as exc:
            return render(request, "400.html", {"errors": exc.errors}, status=400)
        return None

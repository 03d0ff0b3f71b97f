"""What the pages of every app share: admin-only pages and the settings page frame, whose
menu lists the settings pages apps register (web.registry)."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kartoteka.core.errors import KartotekaError
from kartoteka.web import registry
from kartoteka.web.forms import form_errors


def admin_page(view: Callable) -> Callable:
    """Signed-in admins only; a service's refusal becomes a message on the same page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied(_("Only admins may change settings."))
        return view(request, *args, **kwargs)

    return wrapper


def attempt(request: HttpRequest, action: Callable, success: str) -> dict:
    """Run a service call; a success message, or the field errors for the form."""
    try:
        action()
    except KartotekaError as exc:
        errors = getattr(exc, "errors", None) or {
            getattr(exc, "field", None) or "__all__": [exc.message]
        }
        return form_errors(errors)
    messages.success(request, success)
    return {}


def settings_page(
    request: HttpRequest, template: str, section: str, context: dict, errors: dict
) -> HttpResponse:
    """A settings page (its template extends web/settings/base.html); `section` is the key of
    its entry in the settings menu."""
    return render(
        request,
        template,
        {"section": section, "errors": errors, "form": request.POST, **context},
        status=422 if errors else 200,
    )


@admin_page
def settings_home(request: HttpRequest) -> HttpResponse:
    """The first page of the settings menu."""
    pages = registry.settings_pages(request.user)
    if not pages:  # no app has settings
        raise Http404
    return redirect(pages[0].url_name)

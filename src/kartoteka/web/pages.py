"""What the pages of every app share: admin-only pages and the settings page frame, whose
menu lists the settings pages apps register (web.registry)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kartoteka.web import registry
from kartoteka.web.forms import ServiceForm


def admin_page(view: Callable) -> Callable:
    """Signed-in admins only."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied(_("Only admins may change settings."))
        return view(request, *args, **kwargs)

    return wrapper


def settings_page(
    request: HttpRequest, template: str, section: str, context: dict, form: ServiceForm
) -> HttpResponse:
    """A settings page (its template extends web/settings/base.html) with the form's errors and
    status; `section` is the key of its entry in the settings menu."""
    return render(
        request,
        template,
        {"section": section, "errors": form.field_errors(), "form": request.POST, **context},
        status=form.status,
    )


@admin_page
def settings_home(request: HttpRequest) -> HttpResponse:
    """The first page of the settings menu."""
    pages = registry.settings_pages(request.user)
    if not pages:  # no app has settings
        raise Http404
    return redirect(pages[0].url_name)

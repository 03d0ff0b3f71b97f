"""Pages for data-subject requests: the export download, stop / start monitoring, forget with
its confirmation, and the audit log of forgotten contacts (admins)."""

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartoteka.contacts.queries import get_contact
from kartoteka.core.scope import is_admin
from kartoteka.privacy import services
from kartoteka.privacy.export import zip_response
from kartoteka.privacy.queries import forget_records
from kartoteka.web.forms import ServiceForm
from kartoteka.web.registry import card_url


class MonitoringForm(ServiceForm):
    """ "true" or "false" sets monitoring; anything else (the card's button) turns it over."""

    enabled = forms.CharField(required=False)

    def wanted(self, contact) -> bool:
        enabled = self.cleaned_data["enabled"] or "toggle"
        return not contact.is_monitored if enabled == "toggle" else enabled == "true"


class ForgetForm(ServiceForm):
    """The contact's e-mail address, typed to confirm (letter case aside)."""

    confirm_email = forms.CharField(
        error_messages={
            "required": gettext_lazy("Type the contact's e-mail address exactly to confirm.")
        }
    )

    def __init__(self, *args, contact, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_confirm_email(self) -> str:
        typed = self.cleaned_data["confirm_email"]
        if typed.casefold() != self.contact.email.casefold():
            raise forms.ValidationError(
                _("Type the contact's e-mail address exactly to confirm."), code="mismatch"
            )
        return typed


@login_required
@require_GET
def export(request: HttpRequest, contact_id: int) -> HttpResponse:
    return zip_response(request, contact_id)


@login_required
@require_POST
def monitoring(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = MonitoringForm(request.POST)
    changed = form.submit(
        lambda _data: services.set_monitoring(request.user, contact, enabled=form.wanted(contact))
    )
    if not form.ok:
        form.flash(request)
    elif changed.is_monitored:
        messages.success(request, _("Monitoring is on again for this contact."))
    else:
        messages.success(request, _("Monitoring stopped: this contact is no longer tracked."))
    return redirect(card_url(contact.pk))


@login_required
@require_http_methods(["GET", "POST"])
def forget(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET asks for confirmation (typing the e-mail); POST forgets and shows the proof."""
    contact = get_contact(request.user, contact_id)
    if not is_admin(request.user):
        return render(request, "privacy/forbidden.html", {"contact": contact}, status=403)
    form = ForgetForm(request.POST if request.method == "POST" else None, contact=contact)
    if form.is_bound:
        record = form.submit(lambda _data: services.forget_contact(request.user, contact))
        if form.ok:
            return redirect("privacy:record", record_id=record.pk)
    return render(
        request,
        "privacy/forget.html",
        {"contact": contact, "errors": form.field_errors()},
        status=form.status,
    )


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("No such page.")
    return render(request, "privacy/log.html", {"records": list(forget_records()[:500])})


@login_required
@require_GET
def record(request: HttpRequest, record_id: int) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("No such page.")
    found = forget_records().filter(pk=record_id).first()
    if found is None:
        raise Http404("No such record.")
    return render(
        request,
        "privacy/record.html",
        {"record": found, "erased": [(_table_name(k), n) for k, n in found.erased.items()]},
    )


def _table_name(key: str) -> str:
    """A table's label (like activity.Note) as people read it: Notes."""
    named = {
        "activity.Activity": _("Timeline entries (kept anonymous, for counts)"),
        "mentions elsewhere": _("Mentions in other records"),
        "import and export files": _("Import and export files"),
        "files in storage": _("Files deleted from storage"),
    }
    if key in named:
        return named[key]
    try:
        return str(apps.get_model(key)._meta.verbose_name_plural).capitalize()
    except (LookupError, ValueError):
        return key

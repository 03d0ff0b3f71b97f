"""Pages and fragments of consents: the card's Consents section and its form, the block page,
and the purposes' settings page."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kartoteka.consents import queries, services
from kartoteka.consents.filters import DEFAULT_PURPOSE
from kartoteka.consents.models import Channel, Source, Status
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display
from kartoteka.core.scope import SYSTEM_LABEL, is_admin
from kartoteka.web.forms import ServiceForm, errors_in_place, text
from kartoteka.web.registry import SummaryChip, SummaryFigure, card_url

TIMELINE_EVENT = "kartoteka:timeline-changed"


# The channels whose marketing consent the card's summary strip shows.
SUMMARY_CHANNELS = (Channel.EMAIL, Channel.SMS)


def consent_summary(request: HttpRequest, contact) -> SummaryFigure | None:
    """The card summary's marketing consent on e-mail and SMS, once either is recorded."""
    found = queries.statuses_on(contact, channels=SUMMARY_CHANNELS, purpose=DEFAULT_PURPOSE)
    if not found:
        return None
    return SummaryFigure(
        label=_("Marketing consent"),
        chips=tuple(
            SummaryChip(
                text=channel.label,
                tone="on" if found[channel] == Status.GRANTED else "off",
                note=queries.status_label(found[channel]),
            )
            for channel in SUMMARY_CHANNELS
            if channel in found
        ),
    )


def blocked_summary(request: HttpRequest, contact) -> SummaryFigure | None:
    """The card summary's "Blocked" badge."""
    if not queries.is_blocked(contact):
        return None
    return SummaryFigure(value=_("Blocked"), tone="danger")


def section_context(request: HttpRequest, contact) -> dict:
    """What the Consents section shows: every channel and purpose with the consent in force,
    the history, whether the contact is blocked, and the form's choices."""
    found = queries.contact_consents(request.user, contact.pk)
    names = queries.purpose_names()
    active = queries.purpose_keys(active_only=True)
    in_force = {(s.channel, s.purpose): s for s in found.current}
    keys = [*queries.BUILTIN_NAMES, *sorted(k for k in names if k not in queries.BUILTIN_NAMES)]
    # Retired purposes stay in view while a contact has a consent for them.
    shown = [k for k in keys if k in active or any(p == k for _c, p in in_force)]
    rows = [
        {"channel": label, "cells": [in_force.get((channel, purpose)) for purpose in shown]}
        for channel, label in Channel.choices
    ]
    sources = dict(Source.choices)
    channels = dict(Channel.choices)
    history = [
        {
            "entry": entry,
            "channel": channels.get(entry.channel, entry.channel),
            "purpose": names.get(entry.purpose, entry.purpose),
            "source": sources.get(entry.source, entry.source),
            "by": entry.actor.display_name if entry.actor else _label(entry.actor_label),
            "proof": _proof_parts(entry.proof),
        }
        for entry in found.history
    ]
    return {
        "rows": rows,
        "shown_purposes": [names.get(k, k) for k in shown],
        "history": history,
        "blocking": found.blocked,
        "suppressed": [channels.get(c, c) for c in found.suppressed],
        "channels": Channel.choices,
        "purposes": [(key, names.get(key, key)) for key in keys if key in active],
        "statuses": Status.choices,
        "section_id": f"consents-{contact.pk}",
    }


def granted_count(context: dict) -> str:
    """The Consents title's figure: how many consents in force are granted."""
    count = sum(
        1
        for row in context["rows"]
        for state in row["cells"]
        if state and state.status == Status.GRANTED
    )
    return ngettext("%(count)s granted", "%(count)s granted", count) % {"count": count}


def _proof_parts(proof: dict) -> list[str]:
    """The proof of an entry as short texts, in a fixed order."""
    parts = []
    for key in (
        "where",
        "text_version",
        "page_url",
        "ip",
        "user_agent",
        "message_id",
        "import_file",
    ):
        value = proof.get(key)
        if value in (None, ""):
            continue
        if key == "text_version":
            parts.append(_("text version %(version)s") % {"version": value})
        elif key == "ip":
            parts.append(f"IP {value}")
        else:
            parts.append(str(value))
    return parts


def _label(actor_label: str) -> str:
    return display.actor_name(actor_label or SYSTEM_LABEL)


def _section(request: HttpRequest, contact, form: ServiceForm | None = None) -> HttpResponse:
    """The section after a post: the fragment for htmx (with the form's errors and its status),
    else back to the card with the errors as notices."""
    if not request.htmx:
        if form is not None:
            form.flash(request)
        return redirect(card_url(contact.pk))
    failed = form is not None and not form.ok
    context = {
        "contact": contact,
        "errors": form.field_errors() if failed else {},
        "form": form.data.dict() if failed else {},
    }
    context.update(section_context(request, contact))
    response = render(request, "consents/section.html", context)
    if failed:
        return errors_in_place(response, form.status)
    response["HX-Trigger"] = TIMELINE_EVENT
    return response


class RecordForm(ServiceForm):
    """A consent recorded by staff on the card; the ledger's service judges every value."""

    channel = text()
    purpose = text()
    status = text()
    where = text()
    text_version = text()
    given_at = text()

    def clean_text_version(self) -> int | None:
        version = self.cleaned_data["text_version"].strip()
        if not version:
            return None
        if not version.isdigit():
            raise forms.ValidationError(_("The text version is a whole number."))
        return int(version)

    def clean_given_at(self) -> datetime | None:
        """A datetime-local value, in the user's time zone; None when left empty."""
        value = self.cleaned_data["given_at"].strip()
        if not value:
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(_("Enter a date and time."))
        return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed

    def proof(self) -> dict:
        found = {"where": self.cleaned_data["where"]}
        if self.cleaned_data["text_version"] is not None:
            found["text_version"] = self.cleaned_data["text_version"]
        return found


# The ledger names the proof's fields by their path in the entry.
PROOF_FIELDS = {"proof.where": "where", "proof.text_version": "text_version"}


@login_required
@require_POST
def record(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Staff record a consent on the card: where it was given is required for a grant."""
    contact = get_contact(request.user, contact_id)
    form = RecordForm(request.POST)
    form.submit(
        lambda data: services.record_consent(
            request.user,
            contact,
            channel=data["channel"],
            purpose=data["purpose"],
            status=data["status"],
            source=Source.STAFF,
            proof=form.proof(),
            given_at=data["given_at"],
        ),
        where=PROOF_FIELDS,
    )
    return _section(request, contact, form)


class BlockForm(ServiceForm):
    reason = text()


@login_required
def block(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET asks why; POST blocks or unblocks the contact and goes back to the card."""
    contact = get_contact(request.user, contact_id)
    blocked = queries.is_blocked(contact)
    form = BlockForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.submit(
            lambda data: services.block_contact(
                request.user, contact, blocked=not blocked, reason=data["reason"]
            )
        )
        if form.ok:
            messages.success(
                request,
                _("The contact is blocked.") if not blocked else _("The contact is unblocked."),
            )
            return redirect(card_url(contact.pk))
    context = {
        "contact": contact,
        "blocked": blocked,
        "blocking": queries.contact_consents(request.user, contact.pk).blocked,
        "errors": form.field_errors(),
        "form": form.data.dict() if form.errors else {},
    }
    return render(request, "consents/block.html", context, status=form.status)


class PurposeForm(ServiceForm):
    """A new purpose of consent."""

    key = text()
    name = text()


class LegalTextForm(ServiceForm):
    """A new version of a purpose's legal text."""

    purpose = text()
    body = text()


class PurposeActiveForm(ServiceForm):
    """Retire a purpose or bring it back."""

    purpose = text()


class ActionForm(ServiceForm):
    """Which of the purposes page's forms was posted."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("create", "text", "retire", "restore")],
        error_messages={
            "required": gettext_lazy("Unknown action."),
            "invalid_choice": gettext_lazy("Unknown action."),
        },
    )


def _purpose_action(request: HttpRequest) -> ServiceForm:
    """The purposes page's form for the action posted, submitted to its service."""
    user, post = request.user, request.POST
    chooser = ActionForm(post)
    action = chooser.submit(lambda data: data["action"])
    if action is None:
        return chooser
    if action == "create":
        form = PurposeForm(post)
        created = form.submit(
            lambda data: services.create_purpose(user, key=data["key"], name=data["name"])
        )
        if form.ok:
            messages.success(request, _("The purpose %(name)s was added.") % {"name": created.name})
    elif action == "text":
        form = LegalTextForm(post)
        text = form.submit(
            lambda data: services.publish_legal_text(
                user, queries.get_purpose(data["purpose"]), body=data["body"]
            ),
            not_found="purpose",
        )
        if form.ok:
            messages.success(
                request,
                _("Version %(version)s of the text was published.") % {"version": text.version},
            )
    else:
        form = PurposeActiveForm(post)
        form.submit(
            lambda data: services.set_purpose_active(
                user, queries.get_purpose(data["purpose"]), active=action == "restore"
            ),
            not_found="purpose",
        )
    return form


@login_required
def purposes(request: HttpRequest) -> HttpResponse:
    """Settings: the purposes of consent and the versions of their legal texts (admins)."""
    if not is_admin(request.user):
        raise Http404(_("No such page."))
    form = None
    if request.method == "POST":
        form = _purpose_action(request)
        if form.ok:
            return redirect("consents:purposes")
    context = {
        "section": "consents",
        "purposes": queries.purposes(),
        "errors": form.field_errors() if form else {},
        "form": form.data.dict() if form else {},
    }
    return render(request, "consents/purposes.html", context, status=form.status if form else 200)

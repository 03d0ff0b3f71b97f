"""Pages and fragments of consents: the card's Consents section and its form, the block page,
and the purposes' settings page."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.consents import queries, services
from kartoteka.consents.models import Channel, Source, Status
from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import Conflict, InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.web.forms import form_errors
from kartoteka.web.registry import card_url

TIMELINE_EVENT = "kartoteka:timeline-changed"


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
    return _("System") if actor_label in ("", "system") else actor_label


def _section(request: HttpRequest, contact, *, errors=None, form=None, changed=False):
    if not request.htmx:
        for messages_of_field in (errors or {}).values():
            for message in messages_of_field:
                messages.error(request, message)
        return redirect(card_url(contact.pk))
    context = {"contact": contact, "errors": form_errors(errors or {}), "form": form or {}}
    context.update(section_context(request, contact))
    response = render(request, "consents/section.html", context)
    if changed:
        response["HX-Trigger"] = TIMELINE_EVENT
    return response


def _given_at(text: str) -> datetime | None:
    """The form's "given at" (a datetime-local field, in the user's time zone), or None."""
    text = (text or "").strip()
    if not text:
        return None
    parsed = parse_datetime(text)
    if parsed is None:
        raise InvalidInput("given_at", _("Enter a date and time."))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@require_POST
def record(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Staff record a consent on the card: where it was given is required for a grant."""
    contact = get_contact(request.user, contact_id)
    post = request.POST
    try:
        proof = {"where": post.get("where", "")}
        version = post.get("text_version", "").strip()
        if version:
            if not version.isdigit():
                raise InvalidInput("text_version", _("The text version is a whole number."))
            proof["text_version"] = int(version)
        services.record_consent(
            request.user,
            contact,
            channel=post.get("channel", ""),
            purpose=post.get("purpose", ""),
            status=post.get("status", ""),
            source=Source.STAFF,
            proof=proof,
            given_at=_given_at(post.get("given_at", "")),
        )
    except InvalidInput as exc:
        errors = {key.removeprefix("proof."): value for key, value in exc.errors.items()}
        return _section(request, contact, errors=errors, form=post.dict())
    except Conflict as exc:
        return _section(request, contact, errors={"__all__": [exc.message]}, form=post.dict())
    return _section(request, contact, changed=True)


@login_required
def block(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET asks why; POST blocks or unblocks the contact and goes back to the card."""
    contact = get_contact(request.user, contact_id)
    blocked = queries.is_blocked(contact)
    errors: dict = {}
    if request.method == "POST":
        try:
            services.block_contact(
                request.user, contact, blocked=not blocked, reason=request.POST.get("reason", "")
            )
        except InvalidInput as exc:
            errors = form_errors(exc.errors)
        except NotFound:
            raise Http404(_("No such contact.")) from None
        else:
            messages.success(
                request,
                _("The contact is blocked.") if not blocked else _("The contact is unblocked."),
            )
            return redirect(card_url(contact.pk))
    context = {
        "contact": contact,
        "blocked": blocked,
        "blocking": queries.contact_consents(request.user, contact.pk).blocked,
        "errors": errors,
        "form": request.POST.dict() if errors else {},
    }
    return render(request, "consents/block.html", context, status=422 if errors else 200)


@login_required
def purposes(request: HttpRequest) -> HttpResponse:
    """Settings: the purposes of consent and the versions of their legal texts (admins)."""
    if not is_admin(request.user):
        raise Http404(_("No such page."))
    errors: dict = {}
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        try:
            if action == "create":
                created = services.create_purpose(
                    request.user, key=post.get("key", ""), name=post.get("name", "")
                )
                messages.success(
                    request, _("The purpose %(name)s was added.") % {"name": created.name}
                )
            elif action == "text":
                purpose = queries.get_purpose(post.get("purpose", ""))
                text = services.publish_legal_text(request.user, purpose, body=post.get("body", ""))
                messages.success(
                    request,
                    _("Version %(version)s of the text was published.") % {"version": text.version},
                )
            elif action in ("retire", "restore"):
                purpose = queries.get_purpose(post.get("purpose", ""))
                services.set_purpose_active(request.user, purpose, active=action == "restore")
            else:
                raise InvalidInput("action", _("Unknown action."))
        except InvalidInput as exc:
            errors = form_errors(exc.errors)
        except (Conflict, NotFound) as exc:
            errors = {"general": [exc.message]}
        else:
            return redirect("consents:purposes")
    context = {
        "section": "consents",
        "purposes": queries.purposes(),
        "errors": errors,
        "form": request.POST.dict() if errors else {},
    }
    return render(request, "consents/purposes.html", context, status=422 if errors else 200)

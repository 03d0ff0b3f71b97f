"""The timeline kind of a form submission and its typed constructor; registered from
WebformsConfig.ready()."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind


def _submitted(payload: dict, _context: Context) -> Description:
    return Description(text=str(payload.get("form") or ""))


SUBMITTED = TimelineKind("form_submitted", _("Form submitted"), icon="✎", describe=_submitted)

KINDS = [SUBMITTED]


def submitted(contact: Any, *, form: str, at: Any) -> Entry:
    return SUBMITTED.entry(contact, payload={"form": form}, occurred_at=at)

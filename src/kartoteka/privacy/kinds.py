"""The timeline kinds of data-subject requests and their typed constructors; registered from
PrivacyConfig.ready()."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind


def _exported(payload: dict, _context: Context) -> Description:
    files = payload.get("files")
    if not isinstance(files, int) or isinstance(files, bool):
        return Description()
    return Description(
        text=ngettext("with %(count)s file", "with %(count)s files", files) % {"count": files}
    )


# Requests about the contact's data, not activity with the contact.
MONITORING_STOPPED = TimelineKind(
    "monitoring_stopped", _("Monitoring stopped"), icon="■", counts_as_activity=False
)
MONITORING_STARTED = TimelineKind(
    "monitoring_started", _("Monitoring started"), icon="▶", counts_as_activity=False
)
DATA_EXPORTED = TimelineKind(
    "data_exported",
    _("Data exported"),
    icon="⇩",
    describe=_exported,
    counts_as_activity=False,
)

KINDS = [MONITORING_STOPPED, MONITORING_STARTED, DATA_EXPORTED]


def monitoring_changed(contact: Any, *, enabled: bool, actor: Any, actor_label: str) -> Entry:
    kind = MONITORING_STARTED if enabled else MONITORING_STOPPED
    return kind.entry(contact, actor=actor, actor_label=actor_label)


def data_exported(contact: Any, *, actor: Any, files: int) -> Entry:
    return DATA_EXPORTED.entry(contact, actor=actor, payload={"files": files})

"""The consents' columns of the contact list and of exports, registered from ready(): the
consent in force per channel for marketing and for processing, and whether a contact is
blocked."""

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kartoteka.consents import queries
from kartoteka.consents.models import Channel
from kartoteka.web.registry import ContactColumn, register_contact_column


def _label(channel: Any, purpose: Any) -> Any:
    return lazy(
        lambda: (
            gettext("%(channel)s consent: %(purpose)s") % {"channel": channel, "purpose": purpose}
        ),
        str,
    )()


def _statuses(channel: str, purpose: str):
    def load(ids: list[int]) -> dict[int, str]:
        return queries.consent_statuses(ids, channel=channel, purpose=purpose)

    return load


def _blocked(ids: list[int]) -> dict[int, bool]:
    blocked = queries.blocked_among(ids)
    return {contact_id: contact_id in blocked for contact_id in ids}


def register_columns() -> None:
    for order, (channel, channel_label) in enumerate(Channel.choices):
        for purpose, suffix in (("marketing", ""), ("processing", ".processing")):
            register_contact_column(
                ContactColumn(
                    key=f"consent.{channel}{suffix}",
                    label=_label(channel_label, queries.BUILTIN_NAMES[purpose]),
                    load=_statuses(channel, purpose),
                    text=lambda status: queries.status_label(status or queries.NONE),
                    export=lambda status: status or queries.NONE,
                    order=200 + order * 2 + bool(suffix),
                )
            )
    register_contact_column(
        ContactColumn(
            key="blocked",
            label=_("Blocked"),
            load=_blocked,
            text=lambda blocked: gettext("Blocked") if blocked else "",
            export=lambda blocked: "yes" if blocked else "no",
            order=220,
        )
    )

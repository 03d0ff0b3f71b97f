"""The members' columns of the contact list and of exports: member since, and groups."""

from django.utils.translation import gettext_lazy as _

from kartoteka.core import display
from kartoteka.members import queries
from kartoteka.web.registry import ContactColumn, register_contact_column


def _since(ids: list[int]) -> dict:
    return {cid: m.member_since for cid, m in queries.members_among(ids).items()}


def register_columns() -> None:
    register_contact_column(
        ContactColumn(
            key="member",
            label=_("Member since"),
            load=_since,
            text=display.day,
            export=lambda since: since or "",
            order=230,
        )
    )
    register_contact_column(
        ContactColumn(
            key="member_groups",
            label=_("Member groups"),
            load=queries.group_names_among,
            text=lambda names: ", ".join(names or []),
            export=lambda names: ", ".join(names or []),
            order=231,
        )
    )

"""The filter fields of members, registered from MembersConfig.ready():

member:yes             an enabled member (member:no: not one)
member_group:"Course A"  in any of these member groups
"""

from typing import Any

from django.db.models import Q, Subquery
from django.utils.translation import gettext_lazy as _

from kartoteka.members import queries
from kartoteka.segments.fields import Field, linked_ids, register, related

GROUP = _("Members")


def _member(op: str, value: Any) -> Q:
    having = Q(pk__in=Subquery(queries.enabled_member_contacts()))
    if op == "is_empty":
        return ~having
    if op == "is_not_empty":
        return having
    return having if value else ~having


def register_fields() -> None:
    register(Field("member", _("Member"), "boolean", _member, group=GROUP))
    register(
        Field(
            "member_group",
            _("Member group"),
            "set",
            related(queries.contacts_in_groups),
            choices=queries.group_choices,
            group=GROUP,
            ids=linked_ids(queries.contacts_in_groups, one_row_per_value=True),
        )
    )

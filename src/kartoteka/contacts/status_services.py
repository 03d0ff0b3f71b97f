"""Every write to the lead statuses: add, rename, mark what a status means, reorder, delete
(moving its contacts), the rules that change statuses, and the deal-won rule itself.

Contacts keep a status's key, which never changes; deleting a status in use moves its contacts
to another one, each with a timeline entry, in one transaction.
"""

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.activity.services import record_many
from kartoteka.contacts import kinds
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import Contact, LeadStatus, StatusMeaning, StatusRules
from kartoteka.contacts.services import update_contact
from kartoteka.core import events
from kartoteka.core.errors import Conflict, ErrorCollector, Forbidden, InvalidInput
from kartoteka.core.normalise import clean_text
from kartoteka.core.scope import SYSTEM, SystemActor, is_admin, system_label, user_or_none

NAME_LENGTH = 60
KEY_LENGTH = 20
MAX_STATUSES = 50
_KEY = re.compile(r"[a-z][a-z0-9_]{0,19}\Z")
# Contacts moved by one UPDATE (SQLite's oldest builds bind at most 999 parameters).
_CHUNK = 900


def _forget() -> None:
    """This process reads the statuses afresh now and again after the commit (bulk updates
    send no signal)."""
    lead_statuses.forget()
    transaction.on_commit(lead_statuses.forget)


def require_admin(actor: User | SystemActor) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only admins may change the lead statuses."))


def _clean_name(value: Any, errors: ErrorCollector, *, exclude: int | None = None) -> str:
    if not isinstance(value, str):
        errors.add("name", _("The name must be text."))
        return ""
    try:
        name = clean_text(value, field="name", max_length=NAME_LENGTH)
    except InvalidInput as exc:
        errors.capture(exc)
        return ""
    if not name:
        errors.add("name", _("Give the status a name."))
        return ""
    known = lead_statuses.Statuses(
        [s for s in _current().ordered if s.pk != exclude]
    )  # names must stay unique, so an import finds one status by its name
    if known.resolve(name) is not None:
        errors.add(
            "name",
            _("Another status is already called %(name)s (in some language, or as its key).")
            % {"name": name},
        )
    return name


def _clean_meaning(value: Any, errors: ErrorCollector) -> str:
    if value not in StatusMeaning.values:
        errors.add(
            "meaning",
            _("The meaning must be one of: %(values)s.")
            % {"values": ", ".join(StatusMeaning.values)},
        )
        return ""
    return value


def _current() -> lead_statuses.Statuses:
    """The statuses as the database has them now (not the process's copy): writes check
    against these."""
    lead_statuses.forget()
    return lead_statuses.load()


def _key_for(name: str) -> str:
    """A new status's key from its name: ASCII letters, digits and underscores."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ł", "l")
    base = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:KEY_LENGTH] or "status"
    if not base[0].isalpha():
        base = f"s_{base}"[:KEY_LENGTH]
    taken = set(LeadStatus.objects.values_list("key", flat=True))
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"_{n}"
        key = base[: KEY_LENGTH - len(suffix)] + suffix
    return key


@transaction.atomic
def create_status(
    actor: User | SystemActor,
    *,
    name: Any,
    meaning: Any = StatusMeaning.OPEN,
    key: Any = None,
) -> LeadStatus:
    """Add a status at the end of the order. Without a key, one is made from the name."""
    require_admin(actor)
    errors = ErrorCollector()
    name = _clean_name(name, errors)
    meaning = _clean_meaning(meaning, errors)
    if key not in (None, ""):
        if not isinstance(key, str) or not _KEY.match(key):
            errors.add(
                "key",
                _(
                    "The key is 1 to 20 lower-case letters, digits and underscores, "
                    "starting with a letter."
                ),
            )
        elif LeadStatus.objects.filter(key=key).exists():
            errors.add("key", _("A status with the key %(key)s exists.") % {"key": key})
    errors.raise_if_any()
    if LeadStatus.objects.count() >= MAX_STATUSES:
        raise InvalidInput("name", _("There can be at most %(n)s statuses.") % {"n": MAX_STATUSES})
    last = LeadStatus.objects.aggregate(last=Max("position"))["last"] or 0
    status = LeadStatus.objects.create(
        key=key or _key_for(name), name=name, meaning=meaning, position=last + 1
    )
    events.publish("lead_status.changed", key=status.key)
    return status


@transaction.atomic
def update_status(
    actor: User | SystemActor,
    status: LeadStatus,
    *,
    name: Any = None,
    meaning: Any = None,
) -> LeadStatus:
    """Rename a status or change what it means; None leaves that as it is. A shipped status
    renamed to "" shows its shipped name in each reader's language again."""
    require_admin(actor)
    errors = ErrorCollector()
    fields = []
    if name is not None:
        if name == "" and status.names:
            status.name = ""
        else:
            status.name = _clean_name(name, errors, exclude=status.pk)
        fields.append("name")
    if meaning is not None:
        status.meaning = _clean_meaning(meaning, errors)
        fields.append("meaning")
    errors.raise_if_any()
    if fields:
        status.save(update_fields=fields)
        events.publish("lead_status.changed", key=status.key)
    return status


@transaction.atomic
def reorder_statuses(actor: User | SystemActor, keys: Sequence[Any]) -> list[LeadStatus]:
    """Put the statuses in the order of `keys`, which names each of them once."""
    require_admin(actor)
    rows = {s.key: s for s in LeadStatus.objects.select_for_update()}
    if (
        not isinstance(keys, (list, tuple))
        or not all(isinstance(k, str) for k in keys)
        or sorted(keys) != sorted(rows)
    ):
        raise InvalidInput(
            "keys",
            _("List every status's key once, in the new order: %(keys)s.")
            % {"keys": ", ".join(rows)},
        )
    changed = []
    for position, key in enumerate(keys, start=1):
        if rows[key].position != position:
            rows[key].position = position
            changed.append(rows[key])
    LeadStatus.objects.bulk_update(changed, ["position"])
    _forget()
    if changed:
        events.publish("lead_status.changed", key="")
    return [rows[key] for key in keys]


def move_status(actor: User | SystemActor, status: LeadStatus, step: int) -> None:
    """Swap a status with its neighbour (the settings page's up and down buttons)."""
    keys = [s.key for s in LeadStatus.objects.all()]
    index = keys.index(status.key)
    target = index + step
    if 0 <= target < len(keys):
        keys[index], keys[target] = keys[target], keys[index]
        reorder_statuses(actor, keys)


def contacts_in(status: LeadStatus) -> int:
    return Contact.objects.filter(status=status.key).count()


@transaction.atomic
def delete_status(actor: User | SystemActor, status: LeadStatus, *, move_to: Any = None) -> int:
    """Delete a status. Its contacts, if any, move to the status `move_to` (a key), each with a
    timeline entry; without it, a status in use is refused. Returns how many contacts moved."""
    require_admin(actor)
    known = _current()
    if len(known.ordered) <= 1:
        raise Conflict(_("The last status cannot be deleted."), field="key")
    in_use = contacts_in(status)
    if move_to in (None, ""):
        if in_use:
            raise Conflict(
                ngettext(
                    "%(n)s contact is in the status %(name)s: choose the status it moves to "
                    "before deleting it.",
                    "%(n)s contacts are in the status %(name)s: choose the status they move to "
                    "before deleting it.",
                    in_use,
                )
                % {"n": in_use, "name": known.label(status.key)},
                field="move_to",
            )
        target = None
    else:
        target = known.by_key.get(move_to) if isinstance(move_to, str) else None
        if target is None or target.key == status.key:
            raise InvalidInput(
                "move_to", _("Choose another existing status for its contacts to move to.")
            )
    moved = 0
    if in_use and target is not None:
        moved = _move_contacts(
            actor,
            status.key,
            target.key,
            reason=_("The status %(name)s was deleted.") % {"name": known.label(status.key)},
        )
    key = status.key
    status.delete()
    _forget()
    events.publish("lead_status.changed", key=key)
    return moved


def _move_contacts(actor: User | SystemActor, old: str, new: str, *, reason: str) -> int:
    """Every contact in status `old` to `new`, in bulk: one UPDATE per chunk, one timeline
    entry per contact, the events contact.updated and contact.status_changed."""
    known = _current()
    now = timezone.now()
    ids = list(Contact.objects.filter(status=old).order_by("pk").values_list("pk", flat=True))
    won_before, won_after = known.is_won(old), known.is_won(new)
    actor_id = getattr(user_or_none(actor), "pk", None)
    label = system_label(actor)
    names = (known.label(old), known.label(new))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        values: dict[str, Any] = {
            "status": new,
            "version": F("version") + 1,
            "updated_at": now,
        }
        if not won_after:
            values["won_at"] = None
        elif not won_before:
            values["won_at"] = now
        Contact.objects.filter(pk__in=chunk).update(**values)
        record_many(
            [
                kinds.status_changed(
                    pk,
                    actor=actor_id,
                    actor_label=label,
                    old=old,
                    new=new,
                    occurred_at=now,
                    reason=reason,
                    names=names,
                )
                for pk in chunk
            ]
        )
    events.publish_many(
        "contact.updated",
        [{"contact_id": pk, "actor_id": actor_id, "fields": ["status"]} for pk in ids],
    )
    events.publish_many(
        "contact.status_changed", [{"contact_id": pk, "old": old, "new": new} for pk in ids]
    )
    return len(ids)


# --------------------------------------------------------------------------------------------
# Rules


@transaction.atomic
def set_rules(actor: User | SystemActor, *, deal_won_makes_client: Any) -> StatusRules:
    require_admin(actor)
    if not isinstance(deal_won_makes_client, bool):
        raise InvalidInput("deal_won_makes_client", _("Answer true or false."))
    rules = StatusRules.load()
    rules.deal_won_makes_client = deal_won_makes_client
    rules.save(update_fields=["deal_won_makes_client"])
    return rules


def deal_won(
    *,
    contact_ids: Sequence[int] = (),
    deal_name: str = "",
    actor_label: str = "",
    **_payload: Any,
) -> int:
    """The deals app announced a won deal ("deal.won"): its contacts become clients, in the
    first status that means client, with "client since" now, unless they are clients already
    or an admin turned the rule off. Returns how many changed."""
    if not contact_ids or not StatusRules.load().deal_won_makes_client:
        return 0
    known = _current()
    won = known.won_keys()
    if not won:
        return 0
    reason = _("Deal won: %(deal)s") % {"deal": deal_name} if deal_name else _("Deal won")
    changed = 0
    with transaction.atomic():
        for contact in Contact.objects.filter(pk__in=list(contact_ids)).exclude(status__in=won):
            update_contact(
                SYSTEM,
                contact,
                data={"status": won[0], "status_reason": reason},
                actor_label=actor_label,
            )
            changed += 1
    return changed

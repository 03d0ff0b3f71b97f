"""Every write of consents: the ledger and the state in force, suppressed addresses, blocked
contacts, purposes and their legal texts.

A consent write is planned once (`_plan`: cleaned items, who may write them, refusals) and the
plan runs the same way whether it holds one entry (the card, the API) or a hundred thousand (a
segment subscribed to a list): ledger rows, then the state upsert that lets only a later
`given_at` win (so out-of-order and concurrent writes end in the same state), then suppression,
timeline entries and events from what actually changed.
"""

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.activity import services as timeline
from kartoteka.consents import kinds, queries
from kartoteka.consents.addresses import address_hash, channels_of
from kartoteka.consents.models import (
    Block,
    Channel,
    ConsentEntry,
    ConsentState,
    LegalText,
    Purpose,
    Source,
    Status,
    Suppression,
)
from kartoteka.contacts import services as contacts
from kartoteka.core import bulkwrite, events
from kartoteka.core.errors import Conflict, InvalidInput, NotFound
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import is_admin, require_actor, system_label, user_or_none

# Sources through which the person gives consent anew (or staff records where they did):
# a grant from one of them lifts a suppression. An import or a bare API call does not.
NEW_CONSENT_SOURCES = frozenset(
    {Source.FORM, Source.DOUBLE_OPT_IN, Source.STAFF, Source.PREFERENCES, Source.MEMBER}
)
SUPPRESSION_REASONS = ("unsubscribe", "withdrawal", "forget", "bounce", "complaint", "staff")
PROOF_KEYS = ("text_version", "page_url", "ip", "user_agent", "message_id", "import_file", "where")
PROOF_MAX = 2000
CHANNELS = frozenset(Channel.values)
STATUSES = frozenset(Status.values)
SOURCES = frozenset(Source.values)
# A given_at a little ahead of this server's clock (another server's) is accepted.
CLOCK_SKEW = timedelta(minutes=5)


class ConsentItem(NamedTuple):
    """One consent to record, for the bulk form."""

    contact_id: int
    channel: str
    purpose: str
    status: str
    source: str
    proof: dict | None = None
    given_at: datetime | None = None


@dataclass
class Recorded:
    """What a bulk write did: entries written, contacts whose consent in force changed, and
    contacts refused with the reason (a suppressed address without new consent)."""

    written: int = 0
    changed: set[int] = field(default_factory=set)
    refused: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Consents


def record_consent(
    actor: Any,
    contact: Any,
    *,
    channel: str,
    purpose: str,
    status: str,
    source: str,
    proof: dict | None = None,
    given_at: datetime | None = None,
    actor_label: str = "",
) -> ConsentEntry:
    """Record one consent change in the ledger. It becomes the consent in force unless a later
    one (by `given_at`) is there already; a withdrawal in force suppresses the contact's
    addresses on the channel. NotFound outside the actor's scope; InvalidInput for bad input;
    Conflict for a grant without new consent on a suppressed address."""
    item = ConsentItem(contact.pk, channel, purpose, status, source, proof, given_at)
    plan = _plan(actor, [item], actor_label=actor_label, strict=True)
    entries = _run(plan, bulk=False)
    return entries[0]


def record_consents(
    actor: Any, entries: Sequence[ConsentItem], *, actor_label: str = ""
) -> Recorded:
    """Record many consent changes at once (a segment subscribed to a list, an import): the
    same plan as `record_consent`, written in bulk. Contacts outside the actor's scope are
    NotFound (nothing is written); a grant without new consent on a suppressed address is
    left out and named in `refused`."""
    plan = _plan(actor, list(entries), actor_label=actor_label, strict=False)
    _run(plan, bulk=True)
    return plan.result


@dataclass
class _Clean:
    contact_id: int
    channel: str
    purpose: str
    status: str
    source: str
    proof: dict
    given_at: datetime


@dataclass
class _Plan:
    actor: Any
    actor_label: str
    now: datetime
    items: list[_Clean]
    result: Recorded


def _plan(actor: Any, items: list[ConsentItem], *, actor_label: str, strict: bool) -> _Plan:
    require_actor(actor)
    now = timezone.now()
    purposes = queries.purpose_keys(active_only=True)
    # The legal text versions the proofs name, read once for the whole batch.
    versions = queries.text_versions_of(
        {
            item.purpose
            for item in items
            if isinstance(item.proof, dict) and item.proof.get("text_version") not in (None, "")
        }
    )
    cleaned = [
        _clean(item, purposes, versions, now, index=i if not strict else None)
        for i, item in enumerate(items)
    ]
    _require_scope(actor, {c.contact_id for c in cleaned})
    result = Recorded()
    refused = _refused_by_suppression(cleaned)
    if refused and strict:
        raise Conflict(next(iter(refused.values())))
    result.refused = refused
    kept = [c for c in cleaned if c.contact_id not in refused]
    return _Plan(actor, actor_label or system_label(actor), now, kept, result)


def _field(name: str, index: int | None) -> str:
    return name if index is None else f"entries[{index}].{name}"


def _clean(
    item: ConsentItem,
    purposes: set[str],
    versions: dict[str, set[int]],
    now: datetime,
    *,
    index: int | None,
) -> _Clean:
    if item.channel not in CHANNELS:
        raise InvalidInput(
            _field("channel", index),
            _("Unknown channel %(value)s: use one of %(known)s.")
            % {"value": repr(item.channel), "known": ", ".join(Channel.values)},
        )
    if item.purpose not in purposes:
        raise InvalidInput(
            _field("purpose", index),
            _("Unknown purpose %(value)s: use one of %(known)s.")
            % {"value": repr(item.purpose), "known": ", ".join(sorted(purposes))},
        )
    if item.status not in STATUSES:
        raise InvalidInput(
            _field("status", index),
            _("Unknown status %(value)s: use granted or withdrawn.") % {"value": repr(item.status)},
        )
    if item.source not in SOURCES:
        raise InvalidInput(
            _field("source", index),
            _("Unknown source %(value)s: use one of %(known)s.")
            % {"value": repr(item.source), "known": ", ".join(Source.values)},
        )
    given_at = item.given_at or now
    if not isinstance(given_at, datetime) or timezone.is_naive(given_at):
        raise InvalidInput(
            _field("given_at", index), _("Give the time with its time zone (ISO 8601).")
        )
    if given_at > now + CLOCK_SKEW:
        raise InvalidInput(_field("given_at", index), _("A consent cannot be given in the future."))
    proof = _clean_proof(item.proof, item.purpose, versions.get(item.purpose, set()), index)
    if item.source == Source.STAFF and item.status == Status.GRANTED and not proof.get("where"):
        raise InvalidInput(
            _field("proof.where", index),
            _("Say where the contact gave this consent (a form, a call, a signed paper…)."),
        )
    return _Clean(
        item.contact_id, item.channel, item.purpose, item.status, item.source, proof, given_at
    )


def _clean_proof(proof: Any, purpose: str, versions: set[int], index: int | None) -> dict:
    if proof is None:
        return {}
    if not isinstance(proof, dict):
        raise InvalidInput(_field("proof", index), _("The proof is an object of named values."))
    unknown = sorted(set(proof) - set(PROOF_KEYS))
    if unknown:
        raise InvalidInput(
            _field("proof", index),
            _("Unknown proof fields %(unknown)s: use %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(PROOF_KEYS)},
        )
    cleaned: dict[str, Any] = {}
    for key, value in proof.items():
        name = _field(f"proof.{key}", index)
        if value in (None, ""):
            continue
        if key == "text_version":
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(name, _("The text version is a whole number."))
            if value not in versions:
                raise InvalidInput(
                    name,
                    _("The purpose %(purpose)s has no legal text version %(version)s.")
                    % {"purpose": purpose, "version": value},
                )
            cleaned[key] = value
            continue
        if not isinstance(value, str):
            raise InvalidInput(name, _("This proof field is text."))
        value = value.strip()
        if len(value) > PROOF_MAX or "\x00" in value:
            raise InvalidInput(
                name, _("At most %(max)s characters, without NUL.") % {"max": PROOF_MAX}
            )
        if key == "ip":
            try:
                value = str(ipaddress.ip_address(value))
            except ValueError:
                raise InvalidInput(name, _("Not an IP address.")) from None
        if value:
            cleaned[key] = value
    return cleaned


def _require_scope(actor: Any, contact_ids: set[int]) -> None:
    """NotFound unless the actor may edit every one of the contacts."""
    if not contact_ids:
        return
    found = queries.editable_among(actor, contact_ids)
    if found != contact_ids:
        raise NotFound(_("No such contact."))


def _refused_by_suppression(items: list[_Clean]) -> dict[int, str]:
    """Contacts whose grant would reach a suppressed address without new consent."""
    asking = [
        c for c in items if c.status == Status.GRANTED and c.source not in NEW_CONSENT_SOURCES
    ]
    if not asking or not Suppression.objects.exists():
        return {}
    # A grant older than the consent in force only joins the history: it cannot make the
    # address contactable, so it is not refused.
    in_force = queries.given_times({(c.contact_id, c.channel, c.purpose) for c in asking})
    asking = [
        c
        for c in asking
        if (known := in_force.get((c.contact_id, c.channel, c.purpose))) is None
        or c.given_at > known
    ]
    refused: dict[int, str] = {}
    for channel in {c.channel for c in asking}:
        ids = {c.contact_id for c in asking if c.channel == channel}
        for contact_id in queries.contacts_with_suppressed_address(ids, channel=channel):
            refused[contact_id] = _(
                "This address was unsubscribed, withdrew consent or was forgotten: only new "
                "consent given by the person lifts that (a form, a confirmation e-mail, the "
                "preferences page, or staff saying where it was given)."
            )
    return refused


def _run(plan: _Plan, *, bulk: bool) -> list[ConsentEntry]:
    if not plan.items:
        return []
    with transaction.atomic():
        entries = _write_entries(plan, bulk=bulk)
        changed = _upsert_states(plan, entries)
        _suppress_and_lift(plan, entries, changed)
        timeline_entries = [
            kinds.consent_recorded(
                c.contact_id,
                actor=user_or_none(plan.actor),
                actor_label=plan.actor_label,
                channel=c.channel,
                purpose=c.purpose,
                status=c.status,
                source=c.source,
                where=c.proof.get("where", ""),
                older=entry_id not in changed,
                given_at=c.given_at,
                entry_id=entry_id,
            )
            for c, entry_id in zip(plan.items, entries, strict=True)
        ]
        if bulk:
            timeline.record_many(
                timeline_entries,
                insert=lambda names, rows: bulkwrite.insert_values(timeline.Activity, names, rows),
            )
        else:
            timeline.record_entry(timeline_entries[0])
        plan.result.written = len(entries)
        plan.result.changed = {
            c.contact_id for c, e in zip(plan.items, entries, strict=True) if e in changed
        }
        events.publish_many(
            "consent.changed",
            [
                {
                    "contact_id": c.contact_id,
                    "channel": c.channel,
                    "purpose": c.purpose,
                    "status": c.status,
                    "source": c.source,
                    "entry_id": entry_id,
                }
                for c, entry_id in zip(plan.items, entries, strict=True)
                if entry_id in changed
            ],
        )
    if bulk:
        return []
    return list(ConsentEntry.objects.filter(pk__in=entries))


def _write_entries(plan: _Plan, *, bulk: bool) -> list[int]:
    actor = user_or_none(plan.actor)
    if not bulk:
        c = plan.items[0]
        entry = ConsentEntry.objects.create(
            contact_id=c.contact_id,
            channel=c.channel,
            purpose=c.purpose,
            status=c.status,
            source=c.source,
            given_at=c.given_at,
            recorded_at=plan.now,
            actor=actor,
            actor_label=plan.actor_label,
            proof=c.proof,
        )
        return [entry.pk]
    actor_id = getattr(actor, "pk", None)
    return bulkwrite.insert_values(
        ConsentEntry,
        [
            "contact_id",
            "channel",
            "purpose",
            "status",
            "source",
            "given_at",
            "recorded_at",
            "actor_id",
            "actor_label",
            "proof",
        ],
        [
            (
                c.contact_id,
                c.channel,
                c.purpose,
                c.status,
                c.source,
                c.given_at,
                plan.now,
                actor_id,
                plan.actor_label,
                c.proof,
            )
            for c in plan.items
        ],
        returning=True,
    )


# Rows per upsert statement (7 parameters each: under SQLite's limit of 32,766).
UPSERT_ROWS = 1000


def _upsert_states(plan: _Plan, entry_ids: list[int]) -> set[int]:
    """Make each entry the state in force unless a later one is there; the ids of the entries
    that became it. The condition is in the statement, so the database decides under its row
    lock: of concurrent writers, the one with the latest `given_at` wins whatever the order."""
    latest: dict[tuple, tuple[_Clean, int]] = {}
    for c, entry_id in zip(plan.items, entry_ids, strict=True):
        key = (c.contact_id, c.channel, c.purpose)
        known = latest.get(key)
        if known is None or (c.given_at, entry_id) >= (known[0].given_at, known[1]):
            latest[key] = (c, entry_id)
    table = ConsentState._meta.db_table
    times: dict[datetime, Any] = {}  # most entries of a bulk write share their time
    rows = [
        (
            c.contact_id,
            c.channel,
            c.purpose,
            c.status,
            c.source,
            times.get(c.given_at)
            or times.setdefault(
                c.given_at, bulkwrite.db_value(ConsentState, "given_at", c.given_at)
            ),
            entry_id,
        )
        for c, entry_id in latest.values()
    ]
    changed: set[int] = set()
    upsert = (
        f" ON CONFLICT (contact_id, channel, purpose) DO UPDATE SET"
        " status = excluded.status, source = excluded.source,"
        " given_at = excluded.given_at, entry_id = excluded.entry_id"
        f" WHERE excluded.given_at > {table}.given_at"
        f" OR (excluded.given_at = {table}.given_at AND excluded.entry_id > {table}.entry_id)"
        " RETURNING entry_id"
    )
    columns = "contact_id, channel, purpose, status, source, given_at, entry_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > UPSERT_ROWS:
            # Many rows: COPY them into a scratch table and upsert them with one statement
            # (statements of many VALUES rows cost PostgreSQL far more per row).
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS consent_incoming (contact_id bigint,"
                " channel varchar(10), purpose varchar(40), status varchar(10),"
                " source varchar(20), given_at timestamptz, entry_id bigint)"
                " ON COMMIT DELETE ROWS"
            )
            cursor.execute("DELETE FROM consent_incoming")
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY consent_incoming ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM consent_incoming" + upsert
            )
            return {entry_id for (entry_id,) in cursor.fetchall()}
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values}" + upsert,
                [value for row in chunk for value in row],
            )
            changed.update(entry_id for (entry_id,) in cursor.fetchall())
    return changed


def _suppress_and_lift(plan: _Plan, entry_ids: list[int], changed: set[int]) -> None:
    """A withdrawal in force suppresses the contact's addresses on its channel; a grant of new
    consent in force lifts them."""
    withdrawn: dict[str, set[int]] = {}
    granted: dict[str, set[int]] = {}
    for c, entry_id in zip(plan.items, entry_ids, strict=True):
        if entry_id not in changed:
            continue
        if c.status == Status.WITHDRAWN:
            withdrawn.setdefault(c.channel, set()).add(c.contact_id)
        elif c.source in NEW_CONSENT_SOURCES:
            granted.setdefault(c.channel, set()).add(c.contact_id)
    for channel, ids in withdrawn.items():
        hashes = queries.address_hashes(ids, channel=channel, among=entry_ids)
        _add_suppressions({(h, channel) for h in hashes}, reason="withdrawal", now=plan.now)
    for channel, ids in granted.items():
        if not Suppression.objects.filter(channel=channel).exists():
            continue
        hashes = queries.address_hashes(ids, channel=channel, among=entry_ids)
        Suppression.objects.filter(
            channel=channel, address_hash__in=queries.listed(hashes, text=True)
        ).delete()


def _add_suppressions(keys: set[tuple[str, str]], *, reason: str, now: datetime) -> None:
    if not keys:
        return
    Suppression.objects.bulk_create(
        [Suppression(address_hash=h, channel=ch, reason=reason, created_at=now) for h, ch in keys],
        ignore_conflicts=True,
        batch_size=1000,
    )


def recompute_states(contact_ids: Iterable[int]) -> None:
    """Work the state in force out of the ledger again (after a merge brought two ledgers
    together): per channel and purpose, the entry with the latest `given_at` wins."""
    ids = list(contact_ids)
    with transaction.atomic():
        ConsentState.objects.filter(contact_id__in=ids).delete()
        latest: dict[tuple, ConsentEntry] = {}
        for entry in ConsentEntry.objects.filter(contact_id__in=ids).order_by("given_at", "pk"):
            latest[(entry.contact_id, entry.channel, entry.purpose)] = entry
        ConsentState.objects.bulk_create(
            [
                ConsentState(
                    contact_id=e.contact_id,
                    channel=e.channel,
                    purpose=e.purpose,
                    status=e.status,
                    source=e.source,
                    given_at=e.given_at,
                    entry_id=e.pk,
                )
                for e in latest.values()
            ]
        )


def merged(*, contact_id: int, **_payload: Any) -> None:
    """On "contact.merged": the survivor holds both ledgers; the latest consent wins."""
    recompute_states([contact_id])


def merge_undone(*, contact_id: int, restored_contact_id: int, **_payload: Any) -> None:
    recompute_states([contact_id, restored_contact_id])


# --------------------------------------------------------------------------------------------
# Suppression


def suppress(address: str, *, reason: str, channel: str | None = None) -> None:
    """Keep the address from being contacted (on `channel`, else every channel it reaches)
    until new consent: stored as a hash of its folded form."""
    if reason not in SUPPRESSION_REASONS:
        raise InvalidInput("reason", _("Unknown reason for a suppression."))
    channels = _channels(address, channel)
    hashed = address_hash(address)
    _add_suppressions({(hashed, ch) for ch in channels}, reason=reason, now=timezone.now())


def lift_suppression(address: str, *, channel: str | None = None) -> None:
    """Let the address be contacted again. Called when new consent is recorded (a grant from a
    form, a confirmation, the preferences page, staff): never on its own."""
    channels = _channels(address, channel)
    Suppression.objects.filter(address_hash=address_hash(address), channel__in=channels).delete()


def _channels(address: str, channel: str | None) -> tuple[str, ...]:
    reached = channels_of(address)
    if channel is None:
        return reached
    if channel not in reached:
        raise InvalidInput("channel", _("This address cannot be reached on that channel."))
    return (channel,)


def forget_addresses(actor: Any, contact: Any) -> None:
    """Before a contact is forgotten: suppress every address it had, on every channel, so that
    importing or upserting it again does not make it contactable without new consent."""
    keys: set[tuple[str, str]] = set()
    for channel in ("email", "sms", "phone"):
        keys |= {(h, channel) for h in queries.address_hashes([contact.pk], channel=channel)}
    _add_suppressions(keys, reason="forget", now=timezone.now())


def forget_mentions(mentions: Mentions) -> int:
    """Take the forgotten person out of the proof of other contacts' consents and out of block
    reasons (forget's sweep of quotes)."""
    return forget_mentions_in(ConsentEntry, mentions) + forget_mentions_in(Block, mentions)


# --------------------------------------------------------------------------------------------
# Blocking

REASON_MAX = 1000


@transaction.atomic
def block_contact(
    actor: Any, contact: Any, *, blocked: bool, reason: str, actor_label: str = ""
) -> bool:
    """Block (or unblock) a contact with a reason: no e-mail, no list, no sign-in as a member.
    Returns whether the contact is blocked now; the same state again changes nothing."""
    require_actor(actor)
    if not contacts.can_edit(actor, contact):
        raise NotFound(_("No such contact."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("reason", _("Say why."))
    if len(reason) > REASON_MAX or "\x00" in reason:
        raise InvalidInput(
            "reason", _("At most %(max)s characters, without NUL.") % {"max": REASON_MAX}
        )
    label = actor_label or system_label(actor)
    rows = Block.objects.select_for_update().filter(contact_id=contact.pk)
    if bool(list(rows)) == blocked:
        return blocked
    if blocked:
        Block.objects.create(
            contact_id=contact.pk,
            reason=reason,
            blocked_at=timezone.now(),
            blocked_by=user_or_none(actor),
            blocked_by_label=label,
        )
    else:
        rows.delete()
    timeline.record_entry(
        kinds.block_changed(
            contact, blocked=blocked, reason=reason, actor=user_or_none(actor), actor_label=label
        )
    )
    events.publish(
        "contact.blocked" if blocked else "contact.unblocked",
        contact_id=contact.pk,
        actor_id=getattr(actor, "pk", None),
    )
    return blocked


# --------------------------------------------------------------------------------------------
# Purposes and legal texts (admins)


def _require_admin(actor: Any) -> None:
    if not is_admin(actor):
        raise NotFound(_("Only admins manage consent purposes."))


@transaction.atomic
def create_purpose(actor: Any, *, key: str, name: str) -> Purpose:
    _require_admin(actor)
    key = (key or "").strip().lower()
    name = (name or "").strip()
    if (
        not key
        or len(key) > 40
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in key)
    ):
        raise InvalidInput("key", _("A key of up to 40 letters, digits, hyphens or underscores."))
    if not name or len(name) > 200:
        raise InvalidInput("name", _("Give the purpose a name of up to 200 characters."))
    if key in queries.BUILTIN_NAMES or Purpose.objects.filter(key=key).exists():
        raise InvalidInput("key", _("A purpose with this key exists already."))
    purpose = Purpose.objects.create(key=key, name=name)
    events.publish("consent_purpose.created", key=key)
    return purpose


@transaction.atomic
def set_purpose_active(actor: Any, purpose: Purpose, *, active: bool) -> Purpose:
    """Retire a purpose (no new consents for it; the ledger keeps those given) or bring it back."""
    _require_admin(actor)
    if purpose.builtin:
        raise Conflict(_("Built-in purposes cannot be retired."))
    Purpose.objects.filter(pk=purpose.pk).update(is_active=active)
    purpose.is_active = active
    return purpose


@transaction.atomic
def publish_legal_text(actor: Any, purpose: Purpose, *, body: str) -> LegalText:
    """A new version of the purpose's legal text; earlier versions stay as they were shown."""
    _require_admin(actor)
    body = (body or "").strip()
    if not body or len(body) > 20000 or "\x00" in body:
        raise InvalidInput("body", _("Write the text people are shown (up to 20,000 characters)."))
    if purpose.pk is None:  # a built-in purpose's first text gives it its row
        purpose, _created = Purpose.objects.get_or_create(
            key=purpose.key, defaults={"name": purpose.name, "builtin": True}
        )
    Purpose.objects.select_for_update().filter(pk=purpose.pk).first()
    last = LegalText.objects.filter(purpose=purpose).order_by("-version").first()
    text = LegalText.objects.create(
        purpose=purpose,
        version=(last.version + 1) if last else 1,
        body=body,
        created_by=user_or_none(actor),
    )
    events.publish("consent_text.published", key=purpose.key, version=text.version)
    return text

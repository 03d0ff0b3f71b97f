"""The contacts write plan: from cleaned input, the rows of every contacts table (contact,
e-mails, phones, messenger handles, owners, tags), the timeline entries and the domain events.

contacts.services runs a plan row by row (the card, the API), contacts.bulk in bulk (imports,
the demo), both through core.writeplan; so a contact created either way has the same rows,
the same timeline and the same events. Input is cleaned before it gets here
(contacts.services.validate_contact_data, or contacts.bulk.clean_row, its fast form).
"""

import datetime as dt
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model

from kartoteka.accounts.models import Role, User, WorkspaceSettings
from kartoteka.activity.services import TIMELINE
from kartoteka.contacts import kinds
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import (
    ATTRIBUTION_FIELDS,
    Company,
    Contact,
    ContactEmail,
    ContactOwner,
    ContactPhone,
    ContactTag,
    MessengerHandle,
    Source,
    Tag,
    TagOrigin,
)
from kartoteka.core import writeplan
from kartoteka.core.bulkwrite import db_adapter, db_value, insert_values
from kartoteka.core.normalise import fold_email, fold_search
from kartoteka.core.scope import SystemActor, is_system, user_or_none
from kartoteka.core.writeplan import Plan, Ref

# Plain text fields and their maximum length.
TEXT_FIELDS = {
    "first_name": 255,
    "last_name": 255,
    "job_title": 255,
    "street": 255,
    "city": 255,
    "postal_code": 32,
    "region": 255,
    **{name: 255 for name in ATTRIBUTION_FIELDS},
    "created_url": 2000,
}
SCALAR_FIELDS = (
    *TEXT_FIELDS,
    "country",
    "fax",
    "birthday",
    "score",
    "status",
    "source",
    "created_ip",
)
# SQLite's oldest builds bind at most 999 parameters a statement.
IN_CHUNK = 900

# A new contact's columns: its scalar fields but the source, then the rest in this order.
NEW_SCALARS = [name for name in SCALAR_FIELDS if name != "source"]
CONTACT_FIELDS = [
    *NEW_SCALARS,
    "source",
    "email",
    "phone",
    "company_id",
    "properties",
    "search_text",
    "won_at",
    "created_at",
    "updated_at",
    "last_activity_at",
]
_DEFAULTS = [(name, Contact._meta.get_field(name).get_default()) for name in NEW_SCALARS]
# One shared empty value, so a bulk load encodes the details of contacts without any once.
_NO_DETAILS: dict = {}
_EMAIL_FIELDS = ["contact_id", "email", "email_folded", "is_primary", "created_at"]
_PHONE_FIELDS = ["contact_id", "number", "is_primary", "created_at"]
_MESSENGER_FIELDS = ["contact_id", "network", "handle"]
_OWNER_FIELDS = ["contact_id", "user_id", "added_at"]
_TAG_FIELDS = ["contact_id", "tag_id", "added_at", "added_by_id", "origin", "origin_label"]


@dataclass
class Author:
    """Who writes, how the timeline names them, and the origin of the tags they add."""

    actor: User | SystemActor
    label: str
    tag_origin: str = TagOrigin.USER
    # The source of a new contact whose input names none.
    source: str = Source.MANUAL

    @property
    def actor_id(self) -> int | None:
        return getattr(user_or_none(self.actor), "pk", None)


class NewContact(NamedTuple):
    """A new contact's cleaned input, what depends on it alone computed (see prepare)."""

    cleaned: dict[str, Any]
    values: tuple  # the NEW_SCALARS columns
    emails: list[str]  # the primary first
    folded: list[str]  # the same, folded
    phones: list[str]  # the primary first
    search: str  # the search text, but for a company named differently than stored
    won: bool
    details: dict | None = None  # the custom details without empty ones, or None for none
    # Whether `values` are database values (prepare's `adapt`).
    adapted: bool = False


def prepare(cleaned: dict[str, Any], *, adapt: bool = False) -> NewContact:
    """What writing cleaned input as a new contact needs that depends on the input alone, so
    an import's worker processes compute it while the writer is busy. With `adapt`, the
    column values are database values (core.bulkwrite.db_value), for a plan run in bulk
    (plan_new_contacts' `adapted`): the helpers adapt them instead of the writer."""
    get = cleaned.get
    known = lead_statuses.load()
    status = get("status") or known.default
    emails = [cleaned["email"]]
    folded = [fold_email(cleaned["email"])]
    for address in get("emails", ()):
        key = fold_email(address)
        if key not in folded:
            emails.append(address)
            folded.append(key)
    phones = get("phones") or ([cleaned["phone"]] if get("phone") else [])
    values = tuple(
        status if name == "status" else get(name, default) for name, default in _DEFAULTS
    )
    details = get("properties")
    if details:
        details = {k: v for k, v in details.items() if v is not None}
    if adapt:
        values = _adapted_scalars(values)
    return NewContact(
        cleaned,
        values,
        emails,
        folded,
        phones,
        search_text(
            get("first_name", ""), get("last_name", ""), get("company", ""), emails, phones
        ),
        known.is_won(status),
        details or None,
        adapt,
    )


@functools.cache
def _scalar_adapters() -> list[tuple[int, Any]]:
    """The database adapters of the NEW_SCALARS columns that need one, by position."""
    return [
        (index, adapt)
        for index, name in enumerate(NEW_SCALARS)
        if (adapt := db_adapter(Contact._meta.get_field(name)))
    ]


def _adapted_scalars(values: tuple) -> tuple:
    adapters = _scalar_adapters()
    if not adapters:
        return values
    values = list(values)
    for index, adapt in adapters:
        if values[index] is not None:
            values[index] = adapt(values[index])
    return tuple(values)


def _db_value(name: str, value: Any) -> Any:
    return db_value(Contact, name, value)


def search_text(first: str, last: str, company: str, emails: list[str], phones: list[str]) -> str:
    """The words quick search finds a contact by."""
    return fold_search(" ".join(w for w in (first, last, company, *emails, *phones) if w))


def display_value(value: Any) -> Any:
    """A field's value as the timeline and an import's journal keep it (JSON)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def owners_for_new_contact(
    actor: User | SystemActor, owners: list[User] | None, *, source: str
) -> list[User]:
    """The owners of a contact created by `actor`: those named, the sales user creating it,
    or the workspace's default owner for contacts nobody created by hand."""
    if owners is None or not owners:
        if actor.role == Role.SALES:
            return [actor]
        if is_system(actor) or source != Source.MANUAL:
            default = WorkspaceSettings.load().default_owner
            return [default] if default and default.is_active else []
        return []
    if actor.role == Role.SALES and actor.pk not in {u.pk for u in owners}:
        # A sales user never creates a contact they could not see afterwards.
        owners = [actor, *owners]
    return owners


@dataclass
class Names:
    """Tags and companies by folded name, created on first use; kept across the batches of a
    long import, which names the same few again and again."""

    known: dict[tuple[str, str], Tag | Company] = field(default_factory=dict)

    def resolve(
        self, model: type[Tag] | type[Company], names: Iterable[str], *, dry_run: bool = False
    ) -> dict[str, Any]:
        label = model._meta.label
        wanted: dict[str, str] = {}
        for name in names:
            wanted.setdefault(name.casefold(), name)  # the first spelling names a new one
        found = {k: self.known[(label, k)] for k in wanted if (label, k) in self.known}
        unknown = [k for k in wanted if k not in found]
        if not unknown:
            return found
        found.update({row.name_folded: row for row in in_chunks(model, "name_folded", unknown)})
        missing = [
            model.named(wanted[k]) if model is Tag else model(name=wanted[k], name_folded=k)
            for k in unknown
            if k not in found
        ]
        if missing and not dry_run:
            model.objects.bulk_create(missing, ignore_conflicts=True)
            created = [row.name_folded for row in missing]
            found.update({row.name_folded: row for row in in_chunks(model, "name_folded", created)})
        elif missing:
            found.update({row.name_folded: row for row in missing})
        if not dry_run:
            self.known.update({(label, k): row for k, row in found.items()})
        return found


def in_chunks(model: type[Model], key: str, values: list, **filters: Any) -> list:
    """model.objects.filter(key__in=values) in statements SQLite accepts."""
    rows: list = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        rows += list(model.objects.filter(**{f"{key}__in": chunk}, **filters))
    return rows


def contact_tags(cleaned: dict[str, Any], extra: list[str]) -> list[str]:
    """The row's tag names and the batch's `extra` ones, distinct."""
    if not extra:
        return cleaned.get("tags", [])  # already distinct (cleaned)
    names: dict[str, str] = {}
    for name in [*extra, *cleaned.get("tags", [])]:
        names.setdefault(name.casefold(), name)
    return list(names.values())


def plan_new_contacts(
    author: Author,
    contacts: list[NewContact],
    *,
    names: Names,
    now: dt.datetime,
    owner: User | None = None,
    extra_tags: list[str] = (),  # type: ignore[assignment]
    created_at: list[dt.datetime] | None = None,
    won_at: list[dt.datetime | None] | None = None,
    authors: list[Author] | None = None,
    adapted: bool = False,
) -> tuple[Plan, list[Ref]]:
    """The plan that creates `contacts`, and the refs that hold their ids once it ran.

    Every contact gets its e-mails, phones, messenger handles, owners (the input's, else
    `owner`, else the default rule of owners_for_new_contact) and tags (the input's and
    `extra_tags`), one "created" entry naming the tags it arrived with, and the events
    contact.created and contact.tag_added. `created_at` and `won_at` (one per contact) date
    the contacts' creation and win, and `authors` (one per contact) say who created each, in
    place of `author` (the demo's history); by default both dates are `now`. With `adapted`
    the plan's rows hold database values, for run_bulk only: the values of contacts prepared
    with `adapt` (an import's helper processes) pass through the writer as they are.
    """
    plan = Plan()
    if not contacts:
        return plan, []
    companies = names.resolve(
        Company, [c.cleaned["company"] for c in contacts if c.cleaned.get("company")]
    )
    tags = names.resolve(
        Tag, [*extra_tags, *(t for c in contacts for t in c.cleaned.get("tags", ()))]
    )
    default_owners: dict[tuple[str, str], list[User]] = {}
    refs = [Ref() for _c in contacts]
    rows: list[tuple] = []
    emails: list[tuple] = []
    phones: list[tuple] = []
    messengers: list[tuple] = []
    owners: list[tuple] = []
    links: list[tuple] = []
    # The time stamps and the empty details as the rows hold them: database values with
    # `adapted`, each adapted once while it repeats.
    stamp = _db_value("created_at", now) if adapted else now
    no_details = _db_value("properties", _NO_DETAILS) if adapted else _NO_DETAILS
    stamps: dict[dt.datetime, Any] = {now: stamp}
    # Without dates of their own, every contact is created (and won) `now`.
    dated = bool(created_at or won_at)
    events = plan.events
    actor_id, origin, label = author.actor_id, author.tag_origin, author.label
    for index, (new, ref) in enumerate(zip(contacts, refs, strict=True)):
        cleaned = new.cleaned
        if authors:
            author = authors[index]
            actor_id, origin, label = author.actor_id, author.tag_origin, author.label
        when = created_at[index] if created_at else now
        won_day = won_at[index] if won_at else None
        won = (won_day or now) if new.won else None
        company = companies[cleaned["company"].casefold()] if cleaned.get("company") else None
        source = cleaned.get("source") or author.source
        search = new.search
        if company is not None and company.name != cleaned["company"]:
            search = search_text(
                cleaned.get("first_name", ""),
                cleaned.get("last_name", ""),
                company.name,
                new.emails,
                new.phones,
            )
        values, properties = new.values, new.details or no_details
        # The row's time stamps (the timeline entry keeps `when` as it is).
        created, won_stamp, won_day_stamp = when, won, won_day
        if adapted:
            if not new.adapted:
                values = _adapted_scalars(values)
            if new.details:
                properties = _db_value("properties", new.details)
            if dated:
                created = _stamp(stamps, when)
                won_stamp, won_day_stamp = _stamp(stamps, won), _stamp(stamps, won_day)
            else:
                created, won_stamp, won_day_stamp = stamp, stamp if won else None, None
        rows.append(
            (
                *values,
                source,
                new.emails[0],
                new.phones[0] if new.phones else "",
                company.pk if company else None,
                properties,
                search,
                won_stamp,
                created,
                won_day_stamp or stamp,
                won_day_stamp or created,
            )
        )
        for position, (address, key) in enumerate(zip(new.emails, new.folded, strict=True)):
            emails.append((ref, address, key, position == 0, stamp))
        for position, number in enumerate(new.phones):
            phones.append((ref, number, position == 0, stamp))
        for network, handle in cleaned.get("messengers", ()):
            messengers.append((ref, network, handle))
        chosen = cleaned.get("owners") or ([owner] if owner else None)
        if chosen is None:
            key = (author.actor.username, source)
            if key not in default_owners:
                default_owners[key] = owners_for_new_contact(author.actor, None, source=source)
            chosen = default_owners[key]
        else:
            chosen = owners_for_new_contact(author.actor, chosen, source=source)
        for user in chosen:
            owners.append((ref, user.pk, stamp))
        tag_names = []
        for name in contact_tags(cleaned, extra_tags):
            tag = tags[name.casefold()]
            tag_names.append(tag.name)
            links.append((ref, tag.pk, stamp, actor_id, origin, label))
        plan.entries.append(
            kinds.created(
                ref,
                actor=actor_id,
                actor_label=label,
                source=source,
                email=new.emails[0],
                # The tags a contact arrives with are part of its one "created" entry: a
                # timeline row per tag as well would double what a large import writes.
                tags=tag_names,
                occurred_at=when,
            )
        )
        # Plan.announce's payloads, built without a call per event.
        events.append(("contact.created", {"contact_id": ref, "actor_id": actor_id}))
        for name in tag_names:
            events.append(("contact.tag_added", {"contact_id": ref, "tag": name}))
    plan.add(Contact, CONTACT_FIELDS, rows, refs=refs, adapted=adapted)
    plan.add(ContactEmail, _EMAIL_FIELDS, emails, linked=(0,), adapted=adapted)
    plan.add(ContactPhone, _PHONE_FIELDS, phones, linked=(0,), adapted=adapted)
    plan.add(MessengerHandle, _MESSENGER_FIELDS, messengers, linked=(0,), adapted=adapted)
    plan.add(ContactOwner, _OWNER_FIELDS, owners, linked=(0,), adapted=adapted)
    plan.add(ContactTag, _TAG_FIELDS, links, linked=(0,), adapted=adapted)
    return plan, refs


def _stamp(stamps: dict[dt.datetime, Any], value: dt.datetime | None) -> Any:
    """A time stamp's database value, adapted once however many rows share it."""
    if value is None:
        return None
    found = stamps.get(value)
    if found is None:
        found = stamps[value] = _db_value("created_at", value)
    return found


def run_rows(plan: Plan) -> None:
    """Run a contacts plan through the ORM, row by row (the card, the API)."""
    writeplan.run_rows(plan, timeline=TIMELINE)


def run_bulk(plan: Plan) -> None:
    """Run a contacts plan in bulk (imports, the demo, merges)."""
    writeplan.run_bulk(plan, timeline=TIMELINE)


def plan_deleted_contacts(author: Author, ids: list[int], *, now: dt.datetime) -> Plan:
    """The plan that deletes contacts (their e-mails, phones, tags and everything else that
    cascades with them): a "deleted" entry each, kept without the contact, and the event
    contact.deleted."""
    plan = Plan()
    plan.remove(Contact, "pk", list(ids))
    for contact_id in ids:
        plan.entries.append(
            kinds.deleted(
                contact_id, actor=author.actor_id, actor_label=author.label, occurred_at=now
            )
        )
        plan.announce("contact.deleted", contact_id=contact_id, actor_id=author.actor_id)
    return plan


# --------------------------------------------------------------------------------------------
# Merging contacts (duplicates): rows of any table moved between contacts


def plan_rows_moved(
    contact_id: int,
    moved: Iterable[tuple[type[Model], str, list[int]]],
    *,
    removed: Iterable[tuple[type[Model], list[int]]] = (),
) -> Plan:
    """The plan that points rows of any table at the contact `contact_id`: `moved` are
    (model, its column pointing at contacts, primary keys), moved after the `removed` rows
    (model, primary keys: those that would clash there) are deleted. A merge moves the merged
    contact's rows onto the survivor with it, and its undo moves them back."""
    plan = Plan()
    for model, pks in removed:
        plan.remove(model, "pk", list(pks))
    for model, column, pks in moved:
        plan.change(model, [column], [(pk, contact_id) for pk in pks])
    return plan


def plan_rows_restored(objects: Iterable[Model]) -> Plan:
    """The plan that writes rows back as they were, with their own ids: an undone merge gives
    back the merged contact, its card rows and the rows the merge dropped. One part per run of
    rows of one model, in the order given; every column holds the database value that saving
    the row raw (as a deserialised object is saved) writes, so no time stamp is set anew."""
    plan = Plan()
    for model, run in itertools.groupby(objects, key=type):
        fields = model._meta.concrete_fields
        values = [
            tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            for obj in run
        ]
        plan.add(model, [f.attname for f in fields], values, adapted=True)
    return plan


def run_restored(plan: Plan) -> None:
    """Write a plan_rows_restored plan in bulk: one statement per table (per chunk of SQLite's
    parameters). Unlike run_bulk it keeps derived data (the search index, tag ids) row by row:
    its rebuild after a suspended load covers new ids only, and these rows keep old ones.
    The caller holds the transaction. The watches of the tables written (core.writeplan) are
    told, as a plan's runners tell them."""
    for rows in plan.rows:
        insert_values(rows.model, rows.fields, rows.values, prepared=rows.adapted)
        writeplan.watched_rows_written(rows.model, rows.fields, rows.values)


def rows_saved(objects: Iterable[Model]) -> None:
    """Tell the watches of their tables (core.writeplan) about rows saved one by one with
    their own ids, outside a plan (a merge's undo, where a row clashes in bulk)."""
    for model, run in itertools.groupby(objects, key=type):
        fields = [f.attname for f in model._meta.concrete_fields]
        writeplan.watched_rows_written(
            model, fields, [tuple(getattr(obj, name) for name in fields) for obj in run]
        )


def plan_merged_contact_removed(contact_id: int) -> Plan:
    """The plan that removes a contact merged into another: its row and the card rows that
    cascade with it (the survivor's change adds their values again). No "deleted" entry and no
    contact.deleted event, whose subscribers would erase what now belongs to the survivor: the
    merge records its own entry and announces contact.merged."""
    plan = Plan()
    plan.remove(Contact, "pk", [contact_id])
    return plan


# --------------------------------------------------------------------------------------------
# Changing an existing contact


class Current(NamedTuple):
    """An existing contact as a change reads it (the contact row with its company; the lists
    that the input names, else None)."""

    contact: Contact
    emails: list[ContactEmail]  # the primary first
    phones: list[ContactPhone]  # the primary first
    tags: list[ContactTag] | None = None  # with their tag
    messengers: list[MessengerHandle] | None = None
    owners: list[ContactOwner] | None = None  # with their user


@dataclass
class ContactChanges:
    """The plan of one contact's change, and what it changes for an import's journal:
    field → old and new value (tags added under "tags" in `after`)."""

    plan: Plan = field(default_factory=Plan)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    # The contact's e-mail addresses after the change, where it changes them.
    emails: list[str] | None = None

    @property
    def changed(self) -> bool:
        return bool(self.after)


_COLUMN_ORDER = {f.attname: i for i, f in enumerate(Contact._meta.concrete_fields)}
_SEARCHED = {"first_name", "last_name", "company", "emails", "phones"}


def plan_contact_changes(
    author: Author,
    current: Current,
    cleaned: dict[str, Any],
    *,
    names: Names,
    now: dt.datetime,
    merge: bool = False,
    extra_tags: list[str] = (),  # type: ignore[assignment]
    dry_run: bool = False,
) -> ContactChanges:
    """The plan that applies cleaned input to an existing contact: only the keys present
    change. By default (the card, the API) `emails`, `phones`, `messengers`, `owners` and
    `tags` replace the whole list, `email` / `phone` alone make that one the primary, and a
    None custom detail removes it. With `merge` (an import) the lists only grow: new e-mails
    and tags (with `extra_tags`) are added, `email` is the key the contact was found by, and
    None details are left alone.

    An "updated" entry lists the field changes, a "status_changed" entry the status, with
    "owners_changed", "tag_added" and "tag_removed" entries for those lists, and the events
    contact.updated, contact.status_changed, contact.owners_changed and contact.tag_added /
    tag_removed. With `dry_run`, tags and companies named for the first time are not created
    (the plan is for counting, not for running)."""
    contact = current.contact
    result = ContactChanges()
    plan = result.plan
    actor_id = author.actor_id
    changes: list[dict] = []
    values: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        if name in cleaned and name != "status":
            old, new = getattr(contact, name), cleaned[name]
            if old != new and not (old in (None, "") and new in (None, "")):
                changes.append(
                    {"field": name, "old": display_value(old), "new": display_value(new)}
                )
                values[name] = new
    company_name = contact.company.name if contact.company_id else ""
    if "company" in cleaned and company_name != cleaned["company"]:
        changes.append({"field": "company", "old": company_name, "new": cleaned["company"]})
        company_name = cleaned["company"]
        company = (
            names.resolve(Company, [company_name], dry_run=dry_run)[company_name.casefold()]
            if company_name
            else None
        )
        values["company_id"] = company.pk if company else None
    emails = [row.email for row in current.emails]
    wanted = _wanted_emails(emails, cleaned, merge=merge)
    if wanted != emails:
        changes.append({"field": "emails", "old": emails, "new": wanted})
        values["email"] = wanted[0]
        result.emails = wanted
        _plan_emails(plan, contact, current.emails, wanted, now)
    phones = [row.number for row in current.phones]
    wanted_phones = _wanted_phones(phones, cleaned, merge=merge)
    if wanted_phones != phones:
        changes.append({"field": "phones", "old": phones, "new": wanted_phones})
        values["phone"] = wanted_phones[0] if wanted_phones else ""
        plan.remove(ContactPhone, "pk", [row.pk for row in current.phones])
        plan.add(
            ContactPhone,
            _PHONE_FIELDS,
            [(contact.pk, n, i == 0, now) for i, n in enumerate(wanted_phones)],
        )
    if "messengers" in cleaned and current.messengers is not None:
        old_handles = [(m.network, m.handle) for m in current.messengers]
        if old_handles != cleaned["messengers"]:
            changes.append(
                {
                    "field": "messengers",
                    "old": [f"{n}:{h}" for n, h in old_handles],
                    "new": [f"{n}:{h}" for n, h in cleaned["messengers"]],
                }
            )
            plan.remove(MessengerHandle, "pk", [m.pk for m in current.messengers])
            plan.add(
                MessengerHandle,
                _MESSENGER_FIELDS,
                [(contact.pk, n, h) for n, h in cleaned["messengers"]],
            )
    if "properties" in cleaned:
        merged = dict(contact.properties or {})
        for key, value in cleaned["properties"].items():
            if value is None and merge:
                continue
            old = merged.get(key)
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
            if old != value:
                changes.append({"field": f"properties.{key}", "old": old, "new": value})
        values["properties"] = merged
    status_change = None
    known = lead_statuses.load()
    if "status" in cleaned and cleaned["status"] != contact.status:
        status_change = (contact.status, cleaned["status"])
        values["status"] = cleaned["status"]
        if not known.is_won(cleaned["status"]):
            values["won_at"] = None
        elif not (known.is_won(contact.status) and contact.won_at):
            values["won_at"] = now
    if changes or status_change:
        version = contact.version + 1
        row = {**values, "version": version, "updated_at": now}
        if _SEARCHED & {c["field"] for c in changes}:
            row["search_text"] = search_text(
                values.get("first_name", contact.first_name),
                values.get("last_name", contact.last_name),
                company_name,
                result.emails or emails,
                wanted_phones,
            )
        # In the table's order, so the changes of many contacts that set the same columns
        # are one statement in bulk.
        columns = sorted(row, key=_COLUMN_ORDER.__getitem__)
        plan.change(Contact, columns, [(contact.pk, *(row[name] for name in columns))])
        result.after["version"] = version
    result.before.update({c["field"]: c["old"] for c in changes})
    result.after.update({c["field"]: c["new"] for c in changes})
    if status_change:
        result.before["status"], result.after["status"] = status_change
    if changes:
        plan.entries.append(
            kinds.updated(
                contact.pk,
                actor=actor_id,
                actor_label=author.label,
                changes=changes,
                occurred_at=now,
            )
        )
    if status_change:
        plan.entries.append(
            kinds.status_changed(
                contact.pk,
                actor=actor_id,
                actor_label=author.label,
                old=status_change[0],
                new=status_change[1],
                occurred_at=now,
                reason=cleaned.get("status_reason", ""),
                names=(known.label(status_change[0]), known.label(status_change[1])),
            )
        )
    if changes or status_change:
        plan.announce(
            "contact.updated",
            contact_id=contact.pk,
            actor_id=actor_id,
            fields=[c["field"] for c in changes] + (["status"] if status_change else []),
        )
    if status_change:
        plan.announce(
            "contact.status_changed",
            contact_id=contact.pk,
            old=status_change[0],
            new=status_change[1],
        )
    if "owners" in cleaned and current.owners is not None:
        plan.extend(plan_owners(author, contact.pk, current.owners, cleaned["owners"], now=now))
    if ("tags" in cleaned or extra_tags) and current.tags is not None:
        added = _plan_tags(
            plan,
            author,
            contact.pk,
            current.tags,
            contact_tags(cleaned, extra_tags),
            names=names,
            now=now,
            replace=not merge and "tags" in cleaned,
            dry_run=dry_run,
        )
        if added:
            result.after["tags"] = added
    return result


def _wanted_emails(current: list[str], cleaned: dict[str, Any], *, merge: bool) -> list[str]:
    if merge:
        have = {fold_email(e) for e in current}
        added = [e for e in cleaned.get("emails", ()) if fold_email(e) not in have]
        return [*current, *added] if added else current
    if "emails" in cleaned:
        return cleaned["emails"]
    if "email" in cleaned:
        primary = cleaned["email"]
        return [primary, *(e for e in current if fold_email(e) != fold_email(primary))]
    return current


def _wanted_phones(current: list[str], cleaned: dict[str, Any], *, merge: bool) -> list[str]:
    if merge:
        if cleaned.get("phones"):
            return cleaned["phones"]
        if cleaned.get("phone"):
            return [cleaned["phone"], *(n for n in current if n != cleaned["phone"])]
        return current
    if "phones" in cleaned:
        return cleaned["phones"]
    if "phone" in cleaned:
        primary = cleaned["phone"]
        return ([primary] if primary else []) + [n for n in current if n != primary and primary]
    return current


def _plan_emails(
    plan: Plan, contact: Contact, rows: list[ContactEmail], wanted: list[str], now: dt.datetime
) -> None:
    """Keep the addresses still wanted (a new primary, a new spelling), remove the others and
    add the new ones. The old primary loses its mark before the new one gets it (one primary
    per contact is a unique index, checked row by row)."""
    position = {fold_email(e): index for index, e in enumerate(wanted)}
    spelled = {fold_email(e): e for e in wanted}
    plan.remove(ContactEmail, "pk", [r.pk for r in rows if r.email_folded not in position])
    kept = [r for r in rows if r.email_folded in position]
    demoted = [r for r in kept if r.is_primary and position[r.email_folded] != 0]
    plan.change(ContactEmail, ["is_primary"], [(r.pk, False) for r in demoted])
    plan.change(
        ContactEmail,
        ["email", "is_primary"],
        [
            (r.pk, spelled[r.email_folded], position[r.email_folded] == 0)
            for r in kept
            if r.email != spelled[r.email_folded]
            or (position[r.email_folded] == 0) != (r.is_primary and r not in demoted)
        ],
    )
    have = {r.email_folded for r in rows}
    plan.add(
        ContactEmail,
        _EMAIL_FIELDS,
        [
            (contact.pk, address, fold_email(address), index == 0, now)
            for index, address in enumerate(wanted)
            if fold_email(address) not in have
        ],
    )


def plan_owners(
    author: Author,
    contact_id: int,
    current: list[ContactOwner],
    users: list[User],
    *,
    now: dt.datetime,
) -> Plan:
    """The plan that makes `users` the contact's owners: an "owners_changed" entry and the
    contact.owners_changed event, or nothing where they already are."""
    plan = Plan()
    old = sorted(link.user.username for link in current)
    new = sorted(u.username for u in users)
    if old == new:
        return plan
    wanted = {u.pk for u in users}
    have = {link.user_id for link in current}
    plan.remove(ContactOwner, "pk", [link.pk for link in current if link.user_id not in wanted])
    plan.add(
        ContactOwner, _OWNER_FIELDS, [(contact_id, u.pk, now) for u in users if u.pk not in have]
    )
    plan.entries.append(
        kinds.owners_changed(
            contact_id, actor=author.actor_id, actor_label=author.label, old=old, new=new
        )
    )
    plan.announce("contact.owners_changed", contact_id=contact_id, old=old, new=new)
    return plan


def _plan_tags(
    plan: Plan,
    author: Author,
    contact_id: int,
    current: list[ContactTag],
    tag_names: list[str],
    *,
    names: Names,
    now: dt.datetime,
    replace: bool,
    dry_run: bool,
) -> list[str]:
    """Add the tags the contact lacks (and with `replace` remove those not named); return
    the names added."""
    wanted = {name.casefold() for name in tag_names}
    if replace:
        gone = [link for link in current if link.tag.name_folded not in wanted]
        plan.remove(ContactTag, "pk", [link.pk for link in gone])
        for link in gone:
            plan.entries.append(
                kinds.tag_removed(
                    contact_id, actor=author.actor_id, actor_label=author.label, tag=link.tag.name
                )
            )
            plan.announce("contact.tag_removed", contact_id=contact_id, tag=link.tag.name)
    tags = names.resolve(Tag, tag_names, dry_run=dry_run) if tag_names else {}
    have = {link.tag_id for link in current}
    added = [
        tags[n.casefold()]
        for n in tag_names
        if tags[n.casefold()].pk not in have or tags[n.casefold()].pk is None
    ]
    plan.add(
        ContactTag,
        _TAG_FIELDS,
        [
            (contact_id, tag.pk, now, author.actor_id, author.tag_origin, author.label)
            for tag in added
        ],
    )
    for tag in added:
        plan.entries.append(
            kinds.tag_added(
                contact_id,
                actor=author.actor_id,
                actor_label=author.label,
                tag=tag.name,
                origin=author.tag_origin,
                occurred_at=now,
            )
        )
        plan.announce("contact.tag_added", contact_id=contact_id, tag=tag.name)
    return [tag.name for tag in added]


def read_current(
    contacts: list[Contact], *, tags: bool = False, messengers: bool = False, owners: bool = False
) -> dict[int, Current]:
    """The current state of `contacts` (rows with their company) that a change needs, read
    with one query per table."""
    ids = [c.pk for c in contacts]
    emails: dict[int, list[ContactEmail]] = {pk: [] for pk in ids}
    for row in sorted(
        in_chunks(ContactEmail, "contact_id", ids), key=lambda r: (not r.is_primary, r.pk)
    ):
        emails[row.contact_id].append(row)
    phones: dict[int, list[ContactPhone]] = {pk: [] for pk in ids}
    for row in sorted(
        in_chunks(ContactPhone, "contact_id", ids), key=lambda r: (not r.is_primary, r.pk)
    ):
        phones[row.contact_id].append(row)
    tag_links = _grouped(ContactTag.objects.select_related("tag"), ids) if tags else None
    handles = _grouped(MessengerHandle.objects.order_by("pk"), ids) if messengers else None
    owner_links = _grouped(ContactOwner.objects.select_related("user"), ids) if owners else None
    return {
        c.pk: Current(
            c,
            emails[c.pk],
            phones[c.pk],
            tag_links[c.pk] if tag_links is not None else None,
            handles[c.pk] if handles is not None else None,
            owner_links[c.pk] if owner_links is not None else None,
        )
        for c in contacts
    }


def _grouped(queryset, ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = {pk: [] for pk in ids}
    for start in range(0, len(ids), IN_CHUNK):
        for row in queryset.filter(contact_id__in=ids[start : start + IN_CHUNK]):
            grouped[row.contact_id].append(row)
    return grouped

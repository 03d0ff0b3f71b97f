"""The contacts write plan: from cleaned input, the rows of every contacts table (contact,
e-mails, phones, messenger handles, owners, tags), the timeline entries and the domain events.

contacts.services runs a plan row by row (the card, the API), contacts.bulk in bulk (imports,
the demo), both through core.writeplan; so a contact created either way has the same rows,
the same timeline and the same events. Input is cleaned before it gets here
(contacts.services.validate_contact_data, or contacts.bulk.clean_row, its fast form).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Model

from kartoteka.accounts.models import Role, User, WorkspaceSettings
from kartoteka.activity.services import TIMELINE
from kartoteka.contacts import kinds
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
    Status,
    Tag,
    TagOrigin,
)
from kartoteka.core import writeplan
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


def prepare(cleaned: dict[str, Any]) -> NewContact:
    """What writing cleaned input as a new contact needs that depends on the input alone, so
    an import's worker processes compute it while the writer is busy."""
    get = cleaned.get
    emails = [cleaned["email"]]
    folded = [fold_email(cleaned["email"])]
    for address in get("emails", ()):
        key = fold_email(address)
        if key not in folded:
            emails.append(address)
            folded.append(key)
    phones = get("phones") or ([cleaned["phone"]] if get("phone") else [])
    return NewContact(
        cleaned,
        tuple(get(name, default) for name, default in _DEFAULTS),
        emails,
        folded,
        phones,
        search_text(
            get("first_name", ""), get("last_name", ""), get("company", ""), emails, phones
        ),
        get("status") == Status.WON,
    )


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
        missing = [model(name=wanted[k], name_folded=k) for k in unknown if k not in found]
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
) -> tuple[Plan, list[Ref]]:
    """The plan that creates `contacts`, and the refs that hold their ids once it ran.

    Every contact gets its e-mails, phones, messenger handles, owners (the input's, else
    `owner`, else the default rule of owners_for_new_contact) and tags (the input's and
    `extra_tags`), one "created" entry naming the tags it arrived with, and the events
    contact.created and contact.tag_added. `created_at` and `won_at` (one per contact) date
    the contacts' creation and win, and `authors` (one per contact) say who created each, in
    place of `author` (the demo's history); by default both dates are `now`.
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
    for index, (new, ref) in enumerate(zip(contacts, refs, strict=True)):
        cleaned = new.cleaned
        if authors:
            author = authors[index]
        actor_id = author.actor_id
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
        properties = _NO_DETAILS
        if cleaned.get("properties"):
            properties = {k: v for k, v in cleaned["properties"].items() if v is not None}
        rows.append(
            (
                *new.values,
                source,
                new.emails[0],
                new.phones[0] if new.phones else "",
                company.pk if company else None,
                properties,
                search,
                won,
                when,
                won_day or now,
                won_day or when,
            )
        )
        for position, (address, key) in enumerate(zip(new.emails, new.folded, strict=True)):
            emails.append((ref, address, key, position == 0, now))
        for position, number in enumerate(new.phones):
            phones.append((ref, number, position == 0, now))
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
            owners.append((ref, user.pk, now))
        tag_names = [tags[name.casefold()].name for name in contact_tags(cleaned, extra_tags)]
        for name in tag_names:
            tag = tags[name.casefold()]
            links.append((ref, tag.pk, now, actor_id, author.tag_origin, author.label))
        plan.entries.append(
            kinds.created(
                ref,
                actor=actor_id,
                actor_label=author.label,
                source=source,
                email=new.emails[0],
                # The tags a contact arrives with are part of its one "created" entry: a
                # timeline row per tag as well would double what a large import writes.
                tags=tag_names,
                occurred_at=when,
            )
        )
        plan.announce("contact.created", contact_id=ref, actor_id=actor_id)
        for name in tag_names:
            plan.announce("contact.tag_added", contact_id=ref, tag=name)
    plan.add(Contact, CONTACT_FIELDS, rows, refs=refs)
    plan.add(ContactEmail, _EMAIL_FIELDS, emails, linked=(0,))
    plan.add(ContactPhone, _PHONE_FIELDS, phones, linked=(0,))
    plan.add(MessengerHandle, _MESSENGER_FIELDS, messengers, linked=(0,))
    plan.add(ContactOwner, _OWNER_FIELDS, owners, linked=(0,))
    plan.add(ContactTag, _TAG_FIELDS, links, linked=(0,))
    return plan, refs


def run_rows(plan: Plan) -> None:
    """Run a contacts plan through the ORM, row by row (the card, the API)."""
    writeplan.run_rows(plan, timeline=TIMELINE)


def run_bulk(plan: Plan) -> None:
    """Run a contacts plan in bulk (imports, the demo, merges)."""
    writeplan.run_bulk(plan, timeline=TIMELINE)

"""The bulk upsert write path for contacts: many rows per transaction, matched by e-mail.

Imports use it instead of calling create_contact / update_contact once per row: rows are
validated with the same pieces as contacts.services (with a cheap fast path for the ordinary
values most rows hold), then contacts, e-mails, phones, owners, tags and their timeline entries
are written with one bulk statement per table. The caller holds the transaction.
"""

import datetime as dt
import gc
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activity.models import Activity
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import (
    Company,
    Contact,
    ContactEmail,
    ContactOwner,
    ContactPhone,
    ContactTag,
    PropertyDefinition,
    Source,
    Tag,
    TagOrigin,
)
from kartoteka.contacts.plan import (
    IN_CHUNK,
    TEXT_FIELDS,
    Author,
    Names,
    NewContact,
    display_value,
    plan_contact_changes,
    plan_deleted_contacts,
    plan_new_contacts,
    prepare,
    read_current,
    run_bulk,
)
from kartoteka.contacts.services import (
    MAX_TAG_LENGTH,
    clean_tag_names,
    validate_contact_data,
)
from kartoteka.core import writeplan
from kartoteka.core.errors import ErrorCollector, InvalidInput
from kartoteka.core.normalise import (
    MAX_TEXT,
    clean_text,
    fold_email,
    normalise_country,
    normalise_email,
)
from kartoteka.core.scope import SystemActor, is_admin, visible_contacts

# Text without control or invisible characters and without leading, trailing, doubled or
# unusual spaces: clean_text returns it as it is when it is also NFC.
_WORD = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+"
_PLAIN_TEXT = re.compile(rf"(?:{_WORD}(?: {_WORD})*)?\Z")
_PLAIN_FIELDS = {**TEXT_FIELDS, "company": MAX_TEXT}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Every table upsert_contacts writes to.
_WRITTEN = (Contact, ContactEmail, ContactPhone, ContactOwner, ContactTag, Company, Tag, Activity)


def written_tables() -> list[str]:
    """The tables an import writes, derived data included: those whose planner statistics a
    large import outgrows."""
    return [model._meta.db_table for model in _WRITTEN] + writeplan.derived_tables()


@dataclass
class BulkOptions:
    """How a batch is written: who acts, how the timeline names it, what existing rows get."""

    actor: User | SystemActor
    label: str
    update_existing: bool = True
    tags: list[str] = field(default_factory=list)
    owner: User | None = None
    source: str = Source.IMPORT
    tag_origin: str = TagOrigin.IMPORT
    # Tags and companies already looked up, by (model, folded name): a long import names the
    # same few again and again. Cleared when a batch has to be retried.
    known: dict[tuple[str, str], Tag | Company] = field(default_factory=dict)
    # Folded e-mails a dry run counted as new, so a later row with one counts as an update.
    planned: set[str] = field(default_factory=set)
    # Whether a row whose other e-mail belongs to another contact is written without that
    # e-mail (a warning) rather than refused (an import that is not strict).
    drop_taken_emails: bool = False


@dataclass
class RowFailure:
    row_number: int
    field: str
    message: str


@dataclass
class BatchResult:
    created: list[tuple[int, int | None]] = field(default_factory=list)
    # (row number, contact id, before, after): the journal a revert reads.
    updated: list[tuple[int, int, dict, dict]] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    # Values left out of rows that were written (see BulkOptions.drop_taken_emails).
    warnings: list[RowFailure] = field(default_factory=list)

    def extend(self, other: "BatchResult") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failures += other.failures
        self.warnings += other.warnings


# --------------------------------------------------------------------------------------------
# Validation


def clean_row(
    data: dict[str, Any],
    definitions: dict[str, PropertyDefinition],
    *,
    today: dt.date | None = None,
    phone_region: str | None = None,
) -> dict[str, Any]:
    """One import row (target field → raw value) in its stored form; raise InvalidInput.

    Values the general cleaners would return unchanged (text already trimmed and NFC without
    control characters, ordinary e-mails, ISO dates, whole numbers, known statuses and country
    codes) skip them; everything else goes through contacts.services.validate_contact_data, so
    a bad value gets the same message either way. `today` bounds birthdays (a batch passes it
    once instead of every row asking for it). With `phone_region`, a phone number written
    without a country prefix is read as a number of the row's country, or of that region where
    the row names none (see _phone_region_of).
    """
    cleaned: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for name, value in data.items():
        limit = _PLAIN_FIELDS.get(name)
        if limit and isinstance(value, str) and len(value) <= limit and _is_plain(value):
            cleaned[name] = value
        elif name in _QUICK and isinstance(value, str) and _QUICK[name](value, cleaned, today):
            continue
        else:
            rest[name] = value
    email = rest.pop("email", None)
    extra = rest.pop("emails", None)
    errors = ErrorCollector()
    if email in (None, ""):
        errors.add("email", _("An e-mail address is required."))
    else:
        try:
            cleaned["email"] = normalise_email(email, field="email")
        except InvalidInput as exc:
            errors.capture(exc)
    if extra:
        cleaned["emails"] = _clean_extra_emails(extra, errors)
    region = None
    if phone_region is not None and ("phone" in rest or "phones" in rest or "fax" in rest):
        region = _phone_region_of(rest, cleaned, phone_region)
        national = _national_digits_written(rest)
        if national:
            cleaned[NATIONAL] = national
    if "tags" in rest:
        tags = rest.pop("tags")
        cleaned["tags"] = _plain_tags(tags) or clean_tag_names(tags, errors)
    if rest:
        try:
            cleaned.update(
                validate_contact_data(
                    rest, partial=True, definitions=definitions, phone_region=region
                )
            )
        except InvalidInput as exc:
            errors.capture(exc)
    errors.raise_if_any()
    if "emails" in cleaned:
        primary = fold_email(cleaned["email"])
        cleaned["emails"] = [e for e in cleaned["emails"] if fold_email(e) != primary]
    return cleaned


def clean_row_keeping_contact(
    data: dict[str, Any],
    definitions: dict[str, PropertyDefinition],
    *,
    today: dt.date | None = None,
    phone_region: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """clean_row, but a row with a good e-mail still makes a contact: the values that fail are
    left out and returned as warnings (field → messages). Raises InvalidInput only for a row
    that cannot make a contact (no valid e-mail)."""
    try:
        return clean_row(data, definitions, today=today, phone_region=phone_region), {}
    except InvalidInput as exc:
        problems = exc.errors
    if "email" in problems:
        raise InvalidInput(errors=problems)
    try:
        kept = clean_row(
            _without(data, problems), definitions, today=today, phone_region=phone_region
        )
    except InvalidInput as exc:  # a value good alone but not with the others: give up the row
        raise InvalidInput(errors={**problems, **exc.errors}) from None
    return kept, problems


_LISTS = ("phones", "emails", "tags")


def _without(data: dict[str, Any], problems: dict[str, list[str]]) -> dict[str, Any]:
    """The row without the values the problems name ("phone", "phones.2.phone", "tags.0",
    "properties.size"): one item of a list, one custom detail, or the whole field."""
    data = dict(data)
    dropped_items: dict[str, set[int]] = {}
    for name in problems:
        head, _sep, rest = name.partition(".")
        key = rest.split(".", 1)[0]
        if head == "properties" and key and isinstance(data.get("properties"), dict):
            data["properties"] = {k: v for k, v in data["properties"].items() if k != key}
        elif head in _LISTS and key.isdigit() and isinstance(data.get(head), list):
            dropped_items.setdefault(head, set()).add(int(key))
        else:
            data.pop(head, None)
    for head, indexes in dropped_items.items():
        if head in data:
            data[head] = [item for i, item in enumerate(data[head]) if i not in indexes]
    return data


# The key under which clean_row keeps the national digits of the phone numbers the row wrote
# without a country prefix (see _keeping_countries).
NATIONAL = "_national"


def _phone_region_of(rest: dict[str, Any], cleaned: dict[str, Any], default: str) -> str:
    """The country a phone number of the row without a "+" (or "00") belongs to: the row's
    own country where it names a known one, else `default`; never another country's."""
    region = cleaned.get("country")
    if not region and isinstance(rest.get("country"), str):
        try:
            region = normalise_country(clean_text(rest["country"], field="country"))
        except InvalidInput:
            region = None  # the general path reports the country
    return region if region in phonenumbers.SUPPORTED_REGIONS else default


def _national_digits_written(rest: dict[str, Any]) -> set[int]:
    """The digits (without leading zeros: the usual trunk prefix) of the row's phone numbers
    written without a country prefix."""
    written = [rest.get("phone"), rest.get("fax")]
    if isinstance(rest.get("phones"), list):
        written += rest["phones"]
    digits = set()
    for raw in written:
        if isinstance(raw, str) and raw.strip() and not raw.lstrip().startswith(("+", "00")):
            only = "".join(ch for ch in raw if ch.isdigit())
            if only and len(only) <= 17:
                digits.add(int(only))
    return digits


def _is_plain(value: str) -> bool:
    """Whether clean_text would return the text as it is."""
    return bool(_PLAIN_TEXT.match(value)) and unicodedata.is_normalized("NFC", value)


def _plain_tags(value: Any) -> list[str] | None:
    """Plain, distinct tag names as they are, or None when clean_tag_names must look."""
    if not isinstance(value, list) or not value:
        return None
    for name in value:
        if not isinstance(name, str) or len(name) > MAX_TAG_LENGTH or not _is_plain(name):
            return None
    return value if len({name.casefold() for name in value}) == len(value) else None


def _quick_birthday(value: str, cleaned: dict, today: dt.date | None) -> bool:
    if today is None or not _ISO_DATE.match(value):
        return False
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return False
    if day.year < 1900 or day > today:
        return False
    cleaned["birthday"] = day
    return True


def _quick_score(value: str, cleaned: dict, _today: Any) -> bool:
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        return False
    cleaned["score"] = int(value)
    return True


def _quick_status(value: str, cleaned: dict, _today: Any) -> bool:
    # A key or a name in any language; the statuses are read once for many rows (see
    # contacts.statuses.load), never a query per row.
    key = lead_statuses.load().resolve(value)
    if key is None:
        return False
    cleaned["status"] = key
    return True


def _quick_country(value: str, cleaned: dict, _today: Any) -> bool:
    if not _is_plain(value):
        return False
    try:
        cleaned["country"] = normalise_country(value)
    except InvalidInput:
        return False  # the general path reports it
    return True


# Fields with a fast path: (raw text, cleaned, today) → whether it stored the value.
_QUICK = {
    "birthday": _quick_birthday,
    "score": _quick_score,
    "status": _quick_status,
    "country": _quick_country,
}


def _clean_extra_emails(value: Any, errors: ErrorCollector) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value))
    result: list[str] = []
    for index, item in enumerate(items):
        if not item:
            continue
        try:
            address = normalise_email(item, field=f"emails.{index}")
        except InvalidInput as exc:
            errors.capture(exc)
            continue
        if fold_email(address) not in {fold_email(a) for a in result}:
            result.append(address)
    return result


# --------------------------------------------------------------------------------------------
# Preparing a new contact's row in advance

# The key under which prepare_new_contact leaves what a cleaned row needs to be written as a
# new contact; the writer ignores it for rows that update an existing contact.
PREPARED = "_prepared"


def prepare_new_contact(cleaned: dict[str, Any]) -> None:
    """Compute what writing the row as a new contact needs that depends on the row alone
    (contacts.plan.prepare), so an import's worker processes do it while the writer is busy.
    Adds PREPARED to `cleaned`."""
    # Without the row itself, which the writer has: the pair is sent between processes. Its
    # columns as the database takes them, so the writer passes them through (see _create).
    cleaned[PREPARED] = prepare(cleaned, adapt=True)._replace(cleaned=None)


def _new_contact(cleaned: dict[str, Any]) -> NewContact:
    prepared = cleaned.get(PREPARED)
    if prepared is not None:
        return NewContact(cleaned, *prepared[1:])
    return prepare(cleaned, adapt=True)


# --------------------------------------------------------------------------------------------
# Writing


def upsert_contacts(
    rows: list[tuple[int, dict[str, Any]]], options: BulkOptions, *, dry_run: bool = False
) -> BatchResult:
    """Create or update one contact per cleaned row, matched by its (folded) primary e-mail.

    A row whose e-mail appeared earlier in the same call is written after the earlier one, so a
    file listing a person twice updates the contact it just created. With `dry_run` nothing is
    written and created contacts have no id.
    """
    result = BatchResult()
    pending = rows
    with _collector_paused():
        while pending:
            seen: set[str] = set()
            now_rows, later = [], []
            for row in pending:
                keys = _folded_emails(row[1])
                (now_rows if seen.isdisjoint(keys) else later).append(row)
                seen.update(keys)
            result.extend(_upsert_distinct(now_rows, options, dry_run=dry_run))
            pending = later
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is written. A batch's plan holds
    some ten objects per contact (rows, refs, entries, events) until it is written, so the
    allocations set off the collector's full passes, each over every object alive in the
    process: they cost the writer more CPU than the plan's own work. What a batch leaves is
    freed by reference counting as it ends; the collector, on again, finds any cycle later."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _folded_emails(cleaned: dict[str, Any]) -> list[str]:
    """The row's e-mails folded, the primary first: from a worker process when it prepared
    the row, so the writer does not fold them again."""
    prepared = cleaned.get(PREPARED)
    if prepared is not None:
        return prepared.folded
    return [fold_email(email) for email in (cleaned["email"], *cleaned.get("emails", ()))]


def _owner_map(folded: Iterable[str]) -> dict[str, int]:
    """Contact id by folded e-mail, for the addresses already taken (plain SQL: the ORM's
    per-parameter work showed in profiles of large imports)."""
    found: dict[str, int] = {}
    folded = list(folded)
    table = connection.ops.quote_name(ContactEmail._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(folded), IN_CHUNK):
            chunk = folded[start : start + IN_CHUNK]
            cursor.execute(
                f"SELECT email_folded, contact_id FROM {table}"
                f" WHERE email_folded IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found.update(cursor.fetchall())
    return found


def _upsert_distinct(
    rows: list[tuple[int, dict[str, Any]]], options: BulkOptions, *, dry_run: bool
) -> BatchResult:
    result = BatchResult()
    taken = _owner_map({key for _n, cleaned in rows for key in _folded_emails(cleaned)})
    new_rows: list[tuple[int, dict]] = []
    existing_rows: list[tuple[int, dict, int]] = []
    for number, cleaned in rows:
        contact_id = taken.get(_folded_emails(cleaned)[0])
        clashes = [
            e
            for e in cleaned.get("emails", [])
            if taken.get(fold_email(e), contact_id) != contact_id
        ]
        if clashes and options.drop_taken_emails:
            result.warnings += [
                RowFailure(
                    number,
                    "emails",
                    _("The e-mail address %(email)s belongs to another contact.") % {"email": e},
                )
                for e in clashes
            ]
            cleaned = {k: v for k, v in cleaned.items() if k != PREPARED}
            cleaned["emails"] = [e for e in cleaned["emails"] if e not in clashes]
            clashes = []
        if clashes:
            result.failures.append(
                RowFailure(
                    number,
                    "emails",
                    _("The e-mail address %(email)s belongs to another contact.")
                    % {"email": clashes[0]},
                )
            )
        elif contact_id is None and fold_email(cleaned["email"]) in options.planned:
            # A dry run met this e-mail earlier in the file: the run would update that contact.
            if options.update_existing:
                result.updated.append((number, 0, {}, {}))
            else:
                result.unchanged.append(number)
        elif contact_id is None:
            new_rows.append((number, cleaned))
            if dry_run:
                options.planned.add(fold_email(cleaned["email"]))
        elif not options.update_existing:
            result.unchanged.append(number)
        else:
            existing_rows.append((number, cleaned, contact_id))
    if not is_admin(options.actor) and existing_rows:
        owned = set(
            visible_contacts(options.actor)
            .filter(pk__in=[c for _n, _d, c in existing_rows])
            .values_list("pk", flat=True)
        )
        for number, cleaned, contact_id in existing_rows:
            if contact_id not in owned:
                message = _("The e-mail address %(email)s belongs to another contact.") % {
                    "email": cleaned["email"]
                }
                result.failures.append(RowFailure(number, "email", message))
        existing_rows = [row for row in existing_rows if row[2] in owned]
    names = Names(options.known)
    now = timezone.now()
    _create(new_rows, options, names, now, result, dry_run=dry_run)
    _update(existing_rows, options, names, now, result, dry_run=dry_run)
    return result


def _create(rows, options, names, now, result, *, dry_run: bool) -> None:
    if not rows:
        return
    if dry_run:
        result.created += [(number, None) for number, _c in rows]
        return
    author = Author(options.actor, options.label, options.tag_origin, options.source)
    plan, refs = plan_new_contacts(
        author,
        [_new_contact(cleaned) for _n, cleaned in rows],
        names=names,
        now=now,
        owner=options.owner,
        extra_tags=options.tags,
        adapted=True,
    )
    run_bulk(plan)
    result.created += [(number, ref.id) for (number, _c), ref in zip(rows, refs, strict=True)]


def _update(rows, options, names, now, result, *, dry_run: bool) -> None:
    if not rows:
        return
    ids = [contact_id for _n, _c, contact_id in rows]
    contacts: list[Contact] = []
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        contacts += Contact.objects.select_related("company").filter(pk__in=chunk)
    tags = bool(options.tags) or any(cleaned.get("tags") for _n, cleaned, _i in rows)
    current = read_current(contacts, tags=tags)
    author = Author(options.actor, options.label, options.tag_origin, options.source)
    plan = writeplan.Plan()
    for number, cleaned, contact_id in rows:
        state = current[contact_id]
        if cleaned.get(NATIONAL):
            cleaned = _keeping_countries(
                state.contact, cleaned, [phone.number for phone in state.phones]
            )
        change = plan_contact_changes(
            author,
            state,
            cleaned,
            names=names,
            now=now,
            merge=True,
            extra_tags=options.tags,
            dry_run=dry_run,
        )
        if not change.changed:
            result.unchanged.append(number)
            continue
        result.updated.append((number, contact_id, change.before, change.after))
        plan.extend(change.plan)
    if not dry_run:
        run_bulk(plan)


def _keeping_countries(contact: Contact, cleaned: dict[str, Any], phones: list[str]) -> dict:
    """The row with each number it wrote without a country prefix replaced by the contact's
    own number with the same digits, where he has one in another country: the file's
    "600 100 200" is his "+48 600 100 200", never a Spanish number instead of it."""
    national = cleaned[NATIONAL]
    have = [*phones, *([contact.fax] if contact.fax else [])]
    if not have:
        return cleaned
    by_digits = {_national_digits(number): number for number in have}

    def own(number: str) -> str:
        if number in have:
            return number
        digits = _national_digits(number)
        return by_digits.get(digits, number) if digits in national else number

    cleaned = dict(cleaned)
    for name in ("phone", "fax"):
        if cleaned.get(name):
            cleaned[name] = own(cleaned[name])
    if cleaned.get("phones"):
        cleaned["phones"] = list(dict.fromkeys(own(number) for number in cleaned["phones"]))
    return cleaned


def _national_digits(number: str) -> int | None:
    try:
        return phonenumbers.parse(number, None).national_number
    except phonenumbers.NumberParseException:
        return None


# --------------------------------------------------------------------------------------------
# Undoing a batch (an import's revert)


def delete_created(
    options: BulkOptions, contact_ids: list[int], *, versions: dict[int, int] | None = None
) -> tuple[list[int], list[int]]:
    """Delete the contacts a batch created unless edited since; return (deleted, kept) ids.

    `versions` gives the version the batch itself left a contact at where it wrote it more
    than once (a file listing a person twice: the later row updates the contact the earlier
    one created); such a contact is untouched since if it still has that version, others if
    they still have their first."""
    versions = versions or {}
    deleted: list[int] = []
    for start in range(0, len(contact_ids), IN_CHUNK):
        chunk = contact_ids[start : start + IN_CHUNK]
        deleted += [
            pk
            for pk, version in Contact.objects.filter(pk__in=chunk).values_list("pk", "version")
            if version == versions.get(pk, 1)
        ]
    author = Author(options.actor, options.label, options.tag_origin, options.source)
    run_bulk(plan_deleted_contacts(author, deleted, now=timezone.now()))
    gone = set(deleted)
    existing = set(_pks(Contact.objects.filter(pk__in=[i for i in contact_ids if i not in gone])))
    return deleted, sorted(existing)


def _pks(contacts) -> list[int]:
    return list(contacts.values_list("pk", flat=True))


def restore_fields(options: BulkOptions, entries: list[tuple[int, dict, dict]]) -> list[str]:
    """Give fields a batch changed their previous values back, where they still hold what the
    batch wrote; return one sentence per field or tag left alone because it changed since."""
    from kartoteka.contacts import services

    kept: list[str] = []
    for contact_id, before, after in entries:
        contact = Contact.objects.select_related("company").filter(pk=contact_id).first()
        if contact is None:
            kept.append(_("Contact #%(id)s was deleted since.") % {"id": contact_id})
            continue
        current = _current_values(contact, list(before))
        data: dict[str, Any] = {}
        for name, old in before.items():
            if current[name] != after.get(name):
                kept.append(
                    _("Contact #%(id)s: %(field)s was changed since; kept.")
                    % {"id": contact_id, "field": name}
                )
            elif name.startswith("properties."):
                data.setdefault("properties", {})[name.split(".", 1)[1]] = old
            else:
                data[name] = "" if old is None and name != "birthday" else old
        if data:
            services.update_contact(options.actor, contact, data=data, actor_label=options.label)
        have = {
            link.tag.name_folded
            for link in ContactTag.objects.filter(contact=contact).select_related("tag")
        }
        for name in after.get("tags", []):
            if name.casefold() in have:
                services.remove_tag(options.actor, contact, name=name, actor_label=options.label)
    return kept


def _current_values(contact: Contact, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        if name == "company":
            values[name] = contact.company.name if contact.company else ""
        elif name == "phones":
            values[name] = list(
                contact.phones.order_by("-is_primary", "id").values_list("number", flat=True)
            )
        elif name == "emails":
            values[name] = list(
                contact.emails.order_by("-is_primary", "id").values_list("email", flat=True)
            )
        elif name.startswith("properties."):
            values[name] = (contact.properties or {}).get(name.split(".", 1)[1])
        else:
            values[name] = display_value(getattr(contact, name))
    return values

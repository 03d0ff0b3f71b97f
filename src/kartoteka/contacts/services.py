"""Every write to contacts, their e-mails, phones, owners, tags and custom detail definitions.

Each service validates the whole input first, then writes, records the timeline entry and
announces the domain event, all in one transaction.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import Role, User
from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import services as timeline
from kartoteka.contacts import kinds, tag_colors
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import (
    ATTRIBUTION_FIELDS,
    BulkChange,
    BulkChangeStatus,
    Company,
    Contact,
    ContactEmail,
    ContactOwner,
    ContactPhone,
    ContactTag,
    MessengerHandle,
    PropertyDefinition,
    Source,
    Tag,
    TagOrigin,
)
from kartoteka.contacts.plan import (
    SCALAR_FIELDS,
    TEXT_FIELDS,
    Author,
    Names,
    plan_contact_changes,
    plan_deleted_contacts,
    plan_new_contacts,
    plan_owners,
    prepare,
    read_current,
    run_bulk,
    run_rows,
    search_text,
)
from kartoteka.contacts.properties import coerce_value, validate_definition
from kartoteka.core import events
from kartoteka.core.bulkwrite import listed
from kartoteka.core.errors import (
    Conflict,
    ErrorCollector,
    Forbidden,
    InvalidInput,
    KartotekaError,
    NotFound,
)
from kartoteka.core.normalise import (
    DATE_FORMATS_SHOWN,
    clean_text,
    fold_email,
    normalise_country,
    normalise_email,
    normalise_phone,
    parse_day,
)
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import (
    SystemActor,
    is_admin,
    require_actor,
    system_label,
    user_or_none,
    visible_contacts,
)

KNOWN_KEYS = {
    *SCALAR_FIELDS,
    "email",
    "emails",
    "phone",
    "phones",
    "messengers",
    "company",
    "owners",
    "properties",
    "tags",
    "address",
    "attribution",
    "status_reason",
}
MAX_EMAILS = 20
MAX_PHONES = 20
MAX_TAG_LENGTH = 100
STATUS_REASON_LENGTH = 500


# --------------------------------------------------------------------------------------------
# Validation: turns raw input (API, form, import row) into clean values, collecting every error.


def validate_contact_data(
    data: Mapping[str, Any],
    *,
    partial: bool,
    definitions: dict[str, PropertyDefinition] | None = None,
    phone_region: str | None = None,
) -> dict[str, Any]:
    """Return the cleaned subset of `data`; raise InvalidInput naming every bad field.

    `address` and `attribution` objects are flattened to their columns. With `partial` False an
    e-mail is required. Phone numbers without a country prefix are read as numbers of
    `phone_region` (default: the workspace's).
    """
    data = dict(data)
    for group in ("address", "attribution"):
        nested = data.pop(group, None)
        if nested is not None:
            if not isinstance(nested, Mapping):
                raise InvalidInput(group, _("%(group)s must be an object.") % {"group": group})
            allowed = (
                ("street", "city", "postal_code", "region", "country")
                if group == "address"
                else ATTRIBUTION_FIELDS
            )
            for key, value in nested.items():
                if key not in allowed:
                    raise InvalidInput(
                        f"{group}.{key}",
                        _("Unknown field; allowed: %(join_allowed)s.")
                        % {"join_allowed": ", ".join(allowed)},
                    )
                data[key] = value
    errors = ErrorCollector()
    unknown = sorted(set(data) - KNOWN_KEYS)
    for key in unknown:
        errors.add(key, _("Unknown field."))
    cleaned: dict[str, Any] = {}

    for name, limit in TEXT_FIELDS.items():
        if name in data:
            try:
                cleaned[name] = clean_text(data[name], field=name, max_length=limit)
            except InvalidInput as exc:
                errors.capture(exc)
    if "country" in data:
        try:
            cleaned["country"] = normalise_country(clean_text(data["country"], field="country"))
        except InvalidInput as exc:
            errors.capture(exc)
    if "fax" in data:
        try:
            cleaned["fax"] = (
                normalise_phone(data["fax"], field="fax", region=phone_region)
                if data["fax"]
                else ""
            )
        except InvalidInput as exc:
            errors.capture(exc)
    if "birthday" in data:
        cleaned["birthday"] = _clean_birthday(data["birthday"], errors)
    if "score" in data:
        score = data["score"]
        if (
            isinstance(score, bool)
            or not isinstance(score, (int, str))
            or not str(score).strip().lstrip("-").isdigit()
        ):
            errors.add("score", _("Score must be a whole number."))
        elif abs(int(score)) > 1_000_000_000:
            errors.add("score", _("Score is out of range."))
        else:
            cleaned["score"] = int(score)
    if "status" in data:
        known = lead_statuses.load()
        key = known.resolve(data["status"]) if isinstance(data["status"], str) else None
        if key is not None:
            cleaned["status"] = key
        else:
            errors.add(
                "status",
                _("Status must be one of: %(join_status_values)s.")
                % {"join_status_values": ", ".join(known.keys)},
            )
    if "status_reason" in data:
        reason = data["status_reason"]
        if reason is None:
            reason = ""
        if not isinstance(reason, str):
            errors.add("status_reason", _("The reason must be text."))
        else:
            try:
                cleaned["status_reason"] = clean_text(
                    reason, field="status_reason", max_length=STATUS_REASON_LENGTH
                )
            except InvalidInput as exc:
                errors.capture(exc)
    if "source" in data:
        if data["source"] in Source.values:
            cleaned["source"] = data["source"]
        else:
            errors.add(
                "source",
                _("Source must be one of: %(join_source_values)s.")
                % {"join_source_values": ", ".join(Source.values)},
            )
    if "created_ip" in data:
        cleaned["created_ip"] = _clean_ip(data["created_ip"], errors)
    if "company" in data:
        try:
            cleaned["company"] = clean_text(data["company"], field="company")
        except InvalidInput as exc:
            errors.capture(exc)

    _clean_emails(data, cleaned, errors, partial=partial)
    _clean_phones(data, cleaned, errors, phone_region)
    if "messengers" in data:
        cleaned["messengers"] = _clean_messengers(data["messengers"], errors)
    if "owners" in data:
        cleaned["owners"] = _clean_owners(data["owners"], errors)
    if "tags" in data:
        cleaned["tags"] = clean_tag_names(data["tags"], errors)
    if "properties" in data:
        cleaned["properties"] = _clean_properties(data["properties"], errors, definitions)
    errors.raise_if_any()
    return cleaned


def _birthday_problem(text: str) -> str:
    if text.startswith("--"):  # how vCard and Google Contacts write a birthday without a year
        return _("A birthday needs its year; this one has only the day and month.")
    return _("Birthday must be a date (%(formats)s).") % {"formats": DATE_FORMATS_SHOWN}


def _clean_birthday(value: Any, errors: ErrorCollector) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        day = parse_day(text)
        if day is None:
            errors.add("birthday", _birthday_problem(text))
            return None
    if day > timezone.localdate() or day.year < 1900:
        errors.add("birthday", _("Birthday must be between 1900 and today."))
        return None
    return day


def _clean_ip(value: Any, errors: ErrorCollector) -> str | None:
    import ipaddress

    if value in (None, ""):
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        errors.add("created_ip", _("Not an IP address."))
        return None


def _clean_emails(data: Mapping, cleaned: dict, errors: ErrorCollector, *, partial: bool) -> None:
    """Fill cleaned["emails"] (full list, primary first) and/or cleaned["email"] (primary)."""
    primary = None
    if data.get("email") not in (None, ""):
        try:
            primary = normalise_email(data["email"], field="email")
        except InvalidInput as exc:
            errors.capture(exc)
    elif "email" in data and not partial:
        errors.add("email", _("An e-mail address is required."))
    if "emails" in data:
        entries = data["emails"] or []
        if not isinstance(entries, list):
            errors.add("emails", _("emails must be a list."))
            return
        if len(entries) > MAX_EMAILS:
            errors.add(
                "emails",
                _("A contact has at most %(max_emails)s e-mail addresses.")
                % {"max_emails": MAX_EMAILS},
            )
            return
        result: list[tuple[str, bool]] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            address, is_primary = (
                (entry, False)
                if isinstance(entry, str)
                else (
                    (entry.get("email"), bool(entry.get("primary")))
                    if isinstance(entry, Mapping)
                    else (None, False)
                )
            )
            try:
                address = normalise_email(address, field=f"emails.{index}.email")
            except InvalidInput as exc:
                errors.capture(exc)
                continue
            if fold_email(address) in seen:
                errors.add(
                    f"emails.{index}.email",
                    _("%(address)s is listed twice.") % {"address": address},
                )
                continue
            seen.add(fold_email(address))
            result.append((address, is_primary))
        if primary and fold_email(primary) not in seen:
            result.insert(0, (primary, True))
        marked = [a for a, p in result if p or (primary and fold_email(a) == fold_email(primary))]
        if len(marked) > 1:
            errors.add("emails", _("Mark exactly one e-mail address as primary."))
            return
        if result:
            main = marked[0] if marked else result[0][0]
            cleaned["emails"] = [main] + [a for a, _p in result if a != main]
            cleaned["email"] = main
        elif not partial:
            errors.add("email", _("An e-mail address is required."))
        else:
            errors.add("emails", _("A contact keeps at least one e-mail address."))
    elif primary:
        cleaned["email"] = primary
    elif not partial and "email" not in data:
        errors.add("email", _("An e-mail address is required."))


def _clean_phones(
    data: Mapping, cleaned: dict, errors: ErrorCollector, region: str | None = None
) -> None:
    primary = None
    if "phone" in data:
        if data["phone"] in (None, ""):
            cleaned["phone"] = ""
        else:
            try:
                primary = normalise_phone(data["phone"], field="phone", region=region)
                cleaned["phone"] = primary
            except InvalidInput as exc:
                errors.capture(exc)
    if "phones" not in data:
        return
    entries = data["phones"] or []
    if not isinstance(entries, list) or len(entries) > MAX_PHONES:
        errors.add(
            "phones",
            _("phones must be a list of at most %(max_phones)s numbers.")
            % {"max_phones": MAX_PHONES},
        )
        return
    result: list[tuple[str, bool]] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping):
            raw, is_primary = entry.get("phone") or entry.get("number"), bool(entry.get("primary"))
        else:
            raw, is_primary = entry, False
        try:
            number = normalise_phone(raw, field=f"phones.{index}.phone", region=region)
        except InvalidInput as exc:
            errors.capture(exc)
            continue
        if number not in (n for n, _p in result):
            result.append((number, is_primary))
    if primary and primary not in (n for n, _p in result):
        result.insert(0, (primary, True))
    marked = [n for n, p in result if p or n == primary]
    if len(set(marked)) > 1:
        errors.add("phones", _("Mark exactly one phone number as primary."))
        return
    main = marked[0] if marked else (result[0][0] if result else "")
    cleaned["phones"] = ([main] if main else []) + [n for n, _p in result if n != main]
    cleaned["phone"] = main


def _clean_messengers(value: Any, errors: ErrorCollector) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        errors.add("messengers", _("messengers must be a list of {network, handle}."))
        return []
    result = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            errors.add(f"messengers.{index}", _("Each messenger is an object {network, handle}."))
            continue
        network = entry.get("network")
        if network not in MessengerHandle.Network.values:
            errors.add(
                f"messengers.{index}.network",
                _("Network must be one of: %(values)s.")
                % {"values": ", ".join(MessengerHandle.Network.values)},
            )
            continue
        try:
            handle = clean_text(entry.get("handle"), field=f"messengers.{index}.handle")
        except InvalidInput as exc:
            errors.capture(exc)
            continue
        if not handle:
            errors.add(f"messengers.{index}.handle", _("Enter the handle."))
            continue
        if (network, handle) not in result:
            result.append((network, handle))
    return result


def _clean_owners(value: Any, errors: ErrorCollector) -> list[User]:
    if not isinstance(value, list):
        errors.add("owners", _("owners must be a list of usernames."))
        return []
    names = [v.username if isinstance(v, User) else str(v) for v in value]
    found = users_by_username(names)
    missing = [n for n in names if n.casefold() not in found]
    if missing:
        errors.add(
            "owners",
            _("No active user named: %(join_missing)s.") % {"join_missing": ", ".join(missing)},
        )
    return list({u.pk: u for u in found.values()}.values())


def clean_tag_names(value: Any, errors: ErrorCollector | None = None) -> list[str]:
    """Tag names, trimmed, de-duplicated case-insensitively, each 1–100 characters."""
    collector = errors or ErrorCollector()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        collector.add("tags", _("tags must be a list of names."))
        value = []
    names: list[str] = []
    for index, raw in enumerate(value):
        try:
            name = clean_text(raw, field=f"tags.{index}", max_length=MAX_TAG_LENGTH)
        except InvalidInput as exc:
            collector.capture(exc)
            continue
        if not name:
            collector.add(f"tags.{index}", _("A tag needs a name."))
        elif name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    if errors is None:
        collector.raise_if_any()
    return names


def _clean_properties(
    value: Any, errors: ErrorCollector, definitions: dict[str, PropertyDefinition] | None
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        errors.add("properties", _("properties must be an object keyed by custom detail."))
        return {}
    definitions = definitions if definitions is not None else property_definitions()
    result: dict[str, Any] = {}
    for key, raw in value.items():
        definition = definitions.get(key)
        if definition is None:
            errors.add(
                f"properties.{key}", _("Unknown custom detail %(key)s.") % {"key": repr(key)}
            )
            continue
        try:
            result[key] = coerce_value(definition, raw)
        except InvalidInput as exc:
            errors.capture(exc)
    return result


def property_definitions() -> dict[str, PropertyDefinition]:
    return {d.key: d for d in PropertyDefinition.objects.all()}


# --------------------------------------------------------------------------------------------
# Contacts


def can_edit(actor: User | SystemActor, contact: Contact) -> bool:
    """Whoever sees a contact edits it (`core.scope`): admins and the system every contact,
    sales users the ones they own."""
    if is_admin(actor):
        return True
    return visible_contacts(actor).filter(pk=contact.pk).exists()


def _require_edit(actor: User | SystemActor, contact: Contact) -> None:
    if not can_edit(actor, contact):
        raise NotFound(_("No such contact."))


def _label(actor: User | SystemActor, actor_label: str) -> str:
    return actor_label or system_label(actor)


@transaction.atomic
def create_contact(
    actor: User | SystemActor,
    *,
    data: Mapping[str, Any],
    source: str | None = None,
    actor_label: str = "",
    tag_origin: str = TagOrigin.USER,
    created_at: dt.datetime | None = None,
) -> Contact:
    """Create a contact from raw input. Raises InvalidInput, or Conflict if an e-mail is taken."""
    cleaned = validate_contact_data(data, partial=False)
    if source:
        cleaned.setdefault("source", source)
    new = prepare(cleaned)
    _ensure_emails_free(actor, new.emails, contact=None)
    now = timezone.now()
    plan, (ref,) = plan_new_contacts(
        Author(actor, _label(actor, actor_label), tag_origin),
        [new],
        names=Names(),
        now=now,
        created_at=[created_at or now],
    )
    try:
        with transaction.atomic():
            run_rows(plan)
    except IntegrityError:
        # Another transaction took an address between our check and our insert.
        raise Conflict(
            _("One of these e-mail addresses was just taken by another contact."), field="email"
        ) from None
    return Contact.objects.select_related("company").get(pk=ref.id)


@transaction.atomic
def create_contacts_by_email(
    actor: User | SystemActor, *, emails: Iterable[str], source: str, actor_label: str = ""
) -> dict[str, int]:
    """Contacts with nothing but an e-mail address, created in bulk (many people sent in one
    batch of events): the plan create_contact runs row by row, run with one statement per
    table, so they get the same rows, owners, "created" entries and events. Each address is
    checked as create_contact checks it (InvalidInput). An address a contact holds already is
    left out, also one that a concurrent transaction writes meanwhile (PostgreSQL makes this
    one wait for it to commit, then the address is looked up again). Returns {folded address:
    new contact id}."""
    pending: dict[str, dict[str, Any]] = {}
    for email in emails:
        cleaned = validate_contact_data({"email": email, "source": source}, partial=False)
        pending.setdefault(fold_email(cleaned["email"]), cleaned)
    author = Author(actor, _label(actor, actor_label), source=source)
    raced = False
    while pending:
        taken = set(
            ContactEmail.objects.filter(email_folded__in=listed(pending, text=True)).values_list(
                "email_folded", flat=True
            )
        )
        if raced and not taken:
            raise Conflict(
                _("One of these e-mail addresses was just taken by another contact."),
                field="email",
            )
        pending = {key: cleaned for key, cleaned in pending.items() if key not in taken}
        if not pending:
            break
        plan, refs = plan_new_contacts(
            author,
            [prepare(cleaned, adapt=True) for cleaned in pending.values()],
            names=Names(),
            now=timezone.now(),
            adapted=True,
        )
        try:
            with transaction.atomic():
                run_bulk(plan)
        except IntegrityError:
            raced = True
            continue
        return {key: ref.id for key, ref in zip(pending, refs, strict=True)}
    return {}


def _company(name: str) -> Company | None:
    if not name:
        return None
    company, _created = Company.objects.get_or_create(
        name_folded=name.casefold(), defaults={"name": name}
    )
    return company


def _ensure_emails_free(
    actor: User | SystemActor, emails: Iterable[str], *, contact: Contact | None
) -> None:
    folded = [fold_email(e) for e in emails]
    taken = ContactEmail.objects.filter(email_folded__in=folded)
    if contact is not None:
        taken = taken.exclude(contact=contact)
    clash = taken.first()
    if clash is not None:
        _raise_taken(actor, clash.email, clash.contact_id)


def _raise_taken(actor: User | SystemActor, email: str, contact_id: int | None) -> None:
    visible = contact_id is not None and visible_contacts(actor).filter(pk=contact_id).exists()
    if visible:
        raise Conflict(
            _("The e-mail address %(email)s belongs to contact #%(contact_id)s.")
            % {"email": email, "contact_id": contact_id},
            field="email",
            existing_id=contact_id,
        )
    raise Conflict(
        _("The e-mail address %(email)s belongs to another contact.") % {"email": email},
        field="email",
    )


@transaction.atomic
def update_contact(
    actor: User | SystemActor,
    contact: Contact,
    *,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    actor_label: str = "",
    tag_origin: str = TagOrigin.USER,
) -> Contact:
    """Apply a partial update. Only the keys present in `data` change.

    `properties` merges (a None value removes the detail); `emails`, `phones`, `messengers`,
    `owners` and `tags` replace the whole list; `email` / `phone` alone make that address the
    primary one, keeping the others.
    """
    _require_edit(actor, contact)
    cleaned = validate_contact_data(data, partial=True)
    if (
        "owners" in cleaned
        and actor.role == Role.SALES
        and actor.pk not in {u.pk for u in cleaned["owners"]}
    ):
        raise InvalidInput(
            "owners", _("You would lose access to this contact; ask an admin to hand it over.")
        )
    # FOR NO KEY UPDATE, what the UPDATE itself takes (no column of a contact is a key that
    # rows refer to but its id): concurrent updates still wait for each other, while rows that
    # refer to the contact (timeline entries, a worker's visits) may be written meanwhile and
    # no transaction holding such a row waits for this one in turn (a deadlock).
    contact = (
        Contact.objects.select_for_update(of=("self",), no_key=True)
        .select_related("company")
        .get(pk=contact.pk)
    )
    if expected_version is not None and contact.version != expected_version:
        raise Conflict(
            _(
                "This contact was changed by someone else (version %(contact_version)s, "
                "you had %(expected_version)s). Reload and try again."
            )
            % {"contact_version": contact.version, "expected_version": expected_version},
            field="version",
        )
    lists = {name: name in cleaned for name in ("tags", "messengers", "owners")}
    current = read_current([contact], **lists)[contact.pk]
    changes = plan_contact_changes(
        Author(actor, _label(actor, actor_label), tag_origin),
        current,
        cleaned,
        names=Names(),
        now=timezone.now(),
    )
    if changes.emails is not None:
        _ensure_emails_free(actor, changes.emails, contact=contact)
    try:
        with transaction.atomic():
            run_rows(changes.plan)
    except IntegrityError:
        # Another transaction took an address between our check and our write.
        raise Conflict(
            _("One of these e-mail addresses was just taken by another contact."), field="email"
        ) from None
    return Contact.objects.select_related("company").get(pk=contact.pk)


def _contact_with_email(address: str) -> int | None:
    return (
        ContactEmail.objects.filter(email_folded=fold_email(address))
        .values_list("contact_id", flat=True)
        .first()
    )


@transaction.atomic
def upsert_contact_by_email(
    actor: User | SystemActor,
    *,
    email: str,
    data: Mapping[str, Any],
    source: str | None = None,
    actor_label: str = "",
) -> tuple[Contact, bool]:
    """Create the contact with this e-mail or update the one that has it; return (contact, created).

    A contact the actor may not see counts as taken: the actor gets a Conflict, not a write.
    """
    address = normalise_email(email, field="email")
    existing = _contact_with_email(address)
    if existing is None:
        # The address in hand is the primary one, even when `emails` lists others.
        payload = {**data, "email": address}
        try:
            with transaction.atomic():
                contact = create_contact(
                    actor, data=payload, source=source, actor_label=actor_label
                )
            return contact, True
        except Conflict:
            # The same request running at the same moment may have created it first: then
            # this one is an update of that contact, as if it had come a moment later.
            existing = _contact_with_email(address)
            if existing is None:
                raise
    contact = Contact.objects.get(pk=existing)
    if not can_edit(actor, contact):
        _raise_taken(actor, address, existing)
    payload = {k: v for k, v in data.items() if k != "email"}
    return update_contact(actor, contact, data=payload, actor_label=actor_label), False


@transaction.atomic
def delete_contact(actor: User | SystemActor, contact: Contact, *, actor_label: str = "") -> None:
    _require_edit(actor, contact)
    author = Author(actor, _label(actor, actor_label))
    run_rows(plan_deleted_contacts(author, [contact.pk], now=timezone.now()))


@transaction.atomic
def set_owners(
    actor: User | SystemActor, contact: Contact, *, owners: list, actor_label: str = ""
) -> None:
    """Replace the contact's owners by the given users or usernames."""
    _require_edit(actor, contact)
    errors = ErrorCollector()
    users = _clean_owners(list(owners), errors)
    errors.raise_if_any()
    _set_owners(actor, contact, users, actor_label=_label(actor, actor_label))


def _set_owners(
    actor: User | SystemActor, contact: Contact, users: list[User], *, actor_label: str
) -> None:
    current = list(ContactOwner.objects.filter(contact=contact).select_related("user"))
    run_rows(
        plan_owners(Author(actor, actor_label), contact.pk, current, users, now=timezone.now())
    )


def change_status(
    actor: User | SystemActor, contact: Contact, *, status: str, reason: str = ""
) -> Contact:
    """Move the contact to another lead status; the timeline entry keeps `reason`."""
    return update_contact(actor, contact, data={"status": status, "status_reason": reason})


# Up to _FEW_TIMES different times are moved with one plain UPDATE each; more, with joined
# UPDATEs naming at most this many contacts each (SQLite's oldest builds bind 999 parameters).
_IDS_PER_STATEMENT = 900
_FEW_TIMES = 4


def move_last_activity(latest: Mapping[int, dt.datetime]) -> None:
    """Move contacts' last-activity time forward to {contact id: time}, never back.

    Registered with the timeline (ContactsConfig.ready), which calls it in the transaction
    that records entries counting as activity, row by row and in bulk alike.
    """
    by_time: dict[dt.datetime, list[int]] = {}
    for contact_id, when in latest.items():
        by_time.setdefault(when, []).append(contact_id)
    if len(by_time) <= _FEW_TIMES:
        # Row by row, and a bulk load's batch (one time for all), by time: WHERE id IN (…),
        # the ids as one parameter.
        for when, ids in by_time.items():
            older = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
            Contact.objects.filter(older, pk__in=listed(sorted(ids))).update(last_activity_at=when)
        return
    # Many different times (demo data, merged histories): one joined UPDATE per chunk.
    pairs = sorted(latest.items())
    table = connection.ops.quote_name(Contact._meta.db_table)
    cast = ("::bigint", "::timestamptz") if connection.vendor == "postgresql" else ("", "")
    row = f"(%s{cast[0]}, %s{cast[1]})"
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), _IDS_PER_STATEMENT // 2):
            chunk = pairs[start : start + _IDS_PER_STATEMENT // 2]
            cursor.execute(
                f"UPDATE {table} SET last_activity_at = moved.column2"
                f" FROM (VALUES {', '.join([row] * len(chunk))}) AS moved"
                f" WHERE {table}.id = moved.column1 AND ({table}.last_activity_at IS NULL"
                f" OR {table}.last_activity_at < moved.column2)",
                [value for contact_id, when in chunk for value in (contact_id, adapt(when))],
            )


# --------------------------------------------------------------------------------------------
# Tags


def _tag_for(name: str) -> Tag:
    tag, _created = Tag.objects.get_or_create(
        name_folded=name.casefold(),
        defaults={"name": name, "color": tag_colors.color_for(name)},
    )
    return tag


def _add_tags(
    actor: User | SystemActor, contact: Contact, names: list[str], *, origin: str, origin_label: str
) -> list[str]:
    tags = [_tag_for(n) for n in names]
    have = set(ContactTag.objects.filter(contact=contact).values_list("tag_id", flat=True))
    added = []
    for tag in tags:
        if tag.pk in have:
            continue
        try:
            # A savepoint: another request adding the same tag at the same moment wins the
            # unique constraint, and then the tag was simply already there.
            with transaction.atomic():
                ContactTag.objects.create(
                    contact=contact,
                    tag=tag,
                    added_by=user_or_none(actor),
                    origin=origin,
                    origin_label=origin_label,
                )
        except IntegrityError:
            continue
        timeline.record_entry(
            kinds.tag_added(
                contact, actor=actor, actor_label=origin_label, tag=tag.name, origin=origin
            )
        )
        events.publish("contact.tag_added", contact_id=contact.pk, tag=tag.name)
        added.append(tag.name)
    return added


@transaction.atomic
def add_tags(
    actor: User | SystemActor,
    contact: Contact,
    *,
    names: list[str],
    origin: str = TagOrigin.USER,
    origin_label: str = "",
) -> list[str]:
    """Add tags (created on first use); return the names that were new on this contact."""
    _require_edit(actor, contact)
    if origin not in TagOrigin.values:
        raise InvalidInput(
            "origin",
            _("Origin must be one of: %(values)s.") % {"values": ", ".join(TagOrigin.values)},
        )
    cleaned = clean_tag_names(names)
    if not cleaned:
        raise InvalidInput("tags", _("Give at least one tag."))
    return _add_tags(
        actor, contact, cleaned, origin=origin, origin_label=_label(actor, origin_label)
    )


@transaction.atomic
def remove_tag(
    actor: User | SystemActor, contact: Contact, *, name: str, actor_label: str = ""
) -> None:
    _require_edit(actor, contact)
    link = (
        ContactTag.objects.filter(contact=contact, tag__name_folded=name.strip().casefold())
        .select_related("tag")
        .first()
    )
    if link is None:
        raise NotFound(_("The contact has no tag %(name)s.") % {"name": repr(name)})
    link.delete()
    timeline.record_entry(
        kinds.tag_removed(
            contact, actor=actor, actor_label=_label(actor, actor_label), tag=link.tag.name
        )
    )
    events.publish("contact.tag_removed", contact_id=contact.pk, tag=link.tag.name)


def _require_admin(actor: User | SystemActor, what: str) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only admins may %(what)s.") % {"what": what})


@transaction.atomic
def update_tag(
    actor: User | SystemActor, tag: Tag, *, name: str | None = None, color: str | None = None
) -> Tag:
    """Rename or recolour a tag (admins)."""
    _require_admin(actor, "edit tags")
    if name is not None:
        new_name = clean_tag_names([name])[0] if name.strip() else ""
        if not new_name:
            raise InvalidInput("name", _("A tag needs a name."))
        if Tag.objects.filter(name_folded=new_name.casefold()).exclude(pk=tag.pk).exists():
            raise Conflict(
                _("A tag named %(new_name)s exists; merge the two instead.")
                % {"new_name": repr(new_name)},
                field="name",
            )
        tag.name, tag.name_folded = new_name, new_name.casefold()
    if color is not None:
        if color.lower() not in tag_colors.PALETTE:
            raise InvalidInput("color", _("Choose one of the tag colours."))
        tag.color = color.lower()
    tag.save()
    return tag


@transaction.atomic
def merge_tags(actor: User | SystemActor, *, source: Tag, target: Tag) -> int:
    """Move every contact of `source` onto `target` and delete `source`; returns contacts moved."""
    _require_admin(actor, "merge tags")
    if source.pk == target.pk:
        raise InvalidInput("target", _("Pick a different tag to merge into."))
    have = ContactTag.objects.filter(tag=target).values_list("contact_id", flat=True)
    moved = ContactTag.objects.filter(tag=source).exclude(contact_id__in=have).update(tag=target)
    source.delete()
    return moved


@transaction.atomic
def delete_tag(actor: User | SystemActor, tag: Tag) -> None:
    _require_admin(actor, "delete tags")
    tag.delete()


# --------------------------------------------------------------------------------------------
# Custom detail definitions


@transaction.atomic
def define_property(
    actor: User | SystemActor, *, key: str, label: str, type: str, choices: list[str] | None = None
) -> PropertyDefinition:
    _require_admin(actor, "define custom details")
    cleaned = validate_definition(key=key, label=label, type=type, choices=choices)
    if PropertyDefinition.objects.filter(key=cleaned["key"]).exists():
        raise Conflict(
            _("A custom detail with the key %(cleaned_key)s exists.")
            % {"cleaned_key": repr(cleaned["key"])},
            field="key",
        )
    last = (
        PropertyDefinition.objects.order_by("-position").values_list("position", flat=True).first()
    )
    definition = PropertyDefinition.objects.create(**cleaned, position=(last or 0) + 1)
    # Segments builds the detail's expression index from this event.
    events.publish("property.defined", key=definition.key, type=definition.type)
    return definition


@transaction.atomic
def update_property(
    actor: User | SystemActor,
    definition: PropertyDefinition,
    *,
    label: str | None = None,
    choices: list[str] | None = None,
    position: int | None = None,
) -> PropertyDefinition:
    """Change a definition's label, choices or position. Its key and type never change, so
    stored values stay valid; choices may only grow or be renamed by adding."""
    _require_admin(actor, "edit custom details")
    cleaned = validate_definition(
        key=definition.key,
        label=definition.label if label is None else label,
        type=definition.type,
        choices=definition.choices if choices is None else choices,
    )
    removed = {c.casefold() for c in definition.choices} - {
        c.casefold() for c in cleaned["choices"]
    }
    if removed and _choice_in_use(definition, removed):
        raise Conflict(
            _("A removed choice is still used by contacts; change those first."), field="choices"
        )
    definition.label, definition.choices = cleaned["label"], cleaned["choices"]
    if position is not None:
        if position < 0:
            raise InvalidInput("position", _("Position must be 0 or more."))
        definition.position = position
    definition.save()
    return definition


def _choice_in_use(definition: PropertyDefinition, removed: set[str]) -> bool:
    for value in (
        Contact.objects.filter(properties__has_key=definition.key)
        .values_list(f"properties__{definition.key}", flat=True)
        .iterator()
    ):
        values = value if isinstance(value, list) else [value]
        if any(str(v).casefold() in removed for v in values):
            return True
    return False


@transaction.atomic
def delete_property(actor: User | SystemActor, definition: PropertyDefinition) -> int:
    """Delete a definition and its value on every contact, so no filter meets a stale value.

    Returns the number of contacts that lost a value.
    """
    _require_admin(actor, "delete custom details")
    key = definition.key
    touched = 0
    batch: list[Contact] = []
    for contact in (
        Contact.objects.filter(properties__has_key=key).only("pk", "properties").iterator(2000)
    ):
        contact.properties.pop(key, None)
        batch.append(contact)
        if len(batch) >= 2000:
            Contact.objects.bulk_update(batch, ["properties"])
            touched += len(batch)
            batch = []
    if batch:
        Contact.objects.bulk_update(batch, ["properties"])
        touched += len(batch)
    definition.delete()
    events.publish("property.deleted", key=key)
    return touched


# --------------------------------------------------------------------------------------------
# Company records: their name and domain, and which company is a contact's primary one. The
# companies app owns everything else about a company and calls these.


def clean_company_domain(value: Any) -> str:
    """A web domain as stored: lower case, without scheme, path or "www."; "" for none."""
    import re

    text = str(value or "").strip().casefold()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/")[0].split("?")[0]
    text = text.removeprefix("www.").rstrip(".")
    if not text:
        return ""
    if len(text) > 253 or not re.fullmatch(
        r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", text
    ):
        raise InvalidInput("domain", _("Enter a web domain such as example.com."))
    return text


def clean_company(name: Any, domain: Any, *, company: Company | None) -> tuple[str, str]:
    errors = ErrorCollector()
    cleaned_name = ""
    if not isinstance(name, str) or not name.strip():
        errors.add("name", _("A company needs a name."))
    else:
        try:
            cleaned_name = clean_text(name, field="name")
        except InvalidInput as exc:
            errors.capture(exc)
        if not cleaned_name and "name" not in errors.errors:
            errors.add("name", _("A company needs a name."))
    cleaned_domain = ""
    if domain is not None and not isinstance(domain, str):
        errors.add("domain", _("Enter a web domain such as example.com."))
    else:
        try:
            cleaned_domain = clean_company_domain(domain)
        except InvalidInput as exc:
            errors.capture(exc)
    errors.raise_if_any()
    taken = Company.objects.filter(name_folded=cleaned_name.casefold())
    if company is not None:
        taken = taken.exclude(pk=company.pk)
    other = taken.first()
    if other is not None:
        raise Conflict(
            _("A company named %(name)s exists already (#%(company_id)s); merge the two instead.")
            % {"name": other.name, "company_id": other.pk},
            field="name",
            existing_id=other.pk,
        )
    return cleaned_name, cleaned_domain


def _refresh_search_text(contact_ids: Iterable[int]) -> None:
    """Recompute the search text of these contacts (their company's name is part of it)."""
    ids = list(contact_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        emails: dict[int, list[str]] = {}
        for contact_id, address in (
            ContactEmail.objects.filter(contact_id__in=chunk)
            .order_by("-is_primary", "pk")
            .values_list("contact_id", "email")
        ):
            emails.setdefault(contact_id, []).append(address)
        phones: dict[int, list[str]] = {}
        for contact_id, number in (
            ContactPhone.objects.filter(contact_id__in=chunk)
            .order_by("-is_primary", "pk")
            .values_list("contact_id", "number")
        ):
            phones.setdefault(contact_id, []).append(number)
        rows = list(
            Contact.objects.filter(pk__in=chunk)
            .select_related("company")
            .only("pk", "first_name", "last_name", "company__name", "search_text")
        )
        for row in rows:
            row.search_text = search_text(
                row.first_name,
                row.last_name,
                row.company.name if row.company_id else "",
                emails.get(row.pk, []),
                phones.get(row.pk, []),
            )
        Contact.objects.bulk_update(rows, ["search_text"])


@transaction.atomic
def create_company(
    actor: User | SystemActor, *, name: Any, domain: Any = "", restore_id: int | None = None
) -> Company:
    """A new company record; `restore_id` brings back a merged company under its old id."""
    require_actor(actor)
    cleaned_name, cleaned_domain = clean_company(name, domain, company=None)
    if restore_id is not None and Company.objects.filter(pk=restore_id).exists():
        raise Conflict(_("That company exists already."), field="id")
    return Company.objects.create(
        pk=restore_id, name=cleaned_name, name_folded=cleaned_name.casefold(), domain=cleaned_domain
    )


@transaction.atomic
def update_company(
    actor: User | SystemActor, company: Company, *, name: Any = None, domain: Any = None
) -> Company:
    """Rename a company or change its domain; its people's search text follows the name."""
    require_actor(actor)
    cleaned_name, cleaned_domain = clean_company(
        company.name if name is None else name,
        company.domain if domain is None else domain,
        company=company,
    )
    renamed = cleaned_name != company.name
    company.name, company.name_folded, company.domain = (
        cleaned_name,
        cleaned_name.casefold(),
        cleaned_domain,
    )
    company.save(update_fields=["name", "name_folded", "domain"])
    if renamed:
        _refresh_search_text(company.contacts.values_list("pk", flat=True))
    return company


@transaction.atomic
def delete_company(actor: User | SystemActor, company: Company) -> list[int]:
    """Delete a company record; its people keep their card without a company. Returns them."""
    require_actor(actor)
    people = list(company.contacts.values_list("pk", flat=True))
    company.delete()
    _refresh_search_text(people)
    return people


@transaction.atomic
def set_primary_companies(actor: User | SystemActor, companies: Mapping[int, int | None]) -> None:
    """Make company `companies[c]` (or none) the primary company of contact c: one UPDATE per
    company, then the search text of the contacts whose company changed."""
    require_actor(actor)
    by_company: dict[int | None, list[int]] = {}
    for contact_id, company_id in companies.items():
        by_company.setdefault(company_id, []).append(contact_id)
    changed: list[int] = []
    for company_id, contact_ids in by_company.items():
        for start in range(0, len(contact_ids), 500):
            chunk = contact_ids[start : start + 500]
            moving = Contact.objects.filter(pk__in=chunk).exclude(company_id=company_id)
            if company_id is None:
                moving = Contact.objects.filter(pk__in=chunk, company_id__isnull=False)
            ids = list(moving.values_list("pk", flat=True))
            Contact.objects.filter(pk__in=ids).update(
                company_id=company_id, updated_at=timezone.now(), version=F("version") + 1
            )
            changed += ids
    _refresh_search_text(changed)


@transaction.atomic
def set_company_domains(actor: User | SystemActor, domains: Mapping[int, str]) -> None:
    """Give companies their (already cleaned) domains, in one statement."""
    require_actor(actor)
    rows = list(Company.objects.filter(pk__in=list(domains)))
    for row in rows:
        row.domain = domains[row.pk]
    Company.objects.bulk_update(rows, ["domain"])


# --------------------------------------------------------------------------------------------
# Bulk actions of the contact list

BULK_ACTIONS = ("add_tag", "remove_tag", "set_owner", "set_status", "delete")
# Every matching contact up to this many is changed in the request, all or nothing; more are
# changed by a background task (start_bulk_change), batch by batch.
BULK_NOW_LIMIT = 500
BULK_BATCH = 200


def check_bulk_action(action: str, value: str) -> str:
    """The action's value made sure of before any contact is changed; InvalidInput if wrong."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("action", _("Choose an action."))
    if action == "delete":
        return ""
    if not (value or "").strip():
        raise InvalidInput("value", _("Enter a tag name or a username."))
    if action in ("add_tag", "remove_tag"):
        names = clean_tag_names([value])
        if not names:
            raise InvalidInput("value", _("Give at least one tag."))
        return names[0]
    if action == "set_owner":
        errors = ErrorCollector()
        _clean_owners([value], errors)
        errors.raise_if_any()
    elif (known := lead_statuses.load()).resolve(value) is None:
        raise InvalidInput(
            "value",
            _("Status must be one of: %(join_status_values)s.")
            % {"join_status_values": ", ".join(known.keys)},
        )
    return value


@transaction.atomic
def apply_bulk_action(
    actor: User | SystemActor, contacts: Iterable[Contact], *, action: str, value: str
) -> int:
    """One action on each of the contacts, all or nothing; each change lands on its timeline.
    Returns how many contacts it went through."""
    changed = 0
    for contact in contacts:
        if action == "add_tag":
            add_tags(actor, contact, names=[value])
        elif action == "remove_tag":
            if contact.tags.filter(name_folded=value.casefold()).exists():
                remove_tag(actor, contact, name=value)
        elif action == "set_owner":
            set_owners(actor, contact, owners=[value])
        elif action == "set_status":
            # A key or a name in any language.
            change_status(actor, contact, status=value)
        elif action == "delete":
            delete_contact(actor, contact)
        else:
            raise InvalidInput("action", _("Choose an action."))
        changed += 1
    return changed


def start_bulk_change(
    actor: User,
    *,
    action: str,
    value: str,
    params: Mapping[str, str],
    clients: bool,
    language: str = "",
) -> BulkChange:
    """Queue one action on every contact the list (its parameters, the Clients view or not)
    matches for `actor`: the contacts they see, no others."""
    from kartoteka.contacts.listing import LIST_PARAMETERS, list_contacts
    from kartoteka.contacts.tasks import run_bulk_change_task

    value = check_bulk_action(action, value)
    params = {k: str(v) for k, v in params.items() if k in LIST_PARAMETERS and v}
    contacts, _filters, errors = list_contacts(actor, params, clients=clients)
    if errors:
        raise InvalidInput(errors=errors)
    newest = contacts.order_by("-pk").values_list("pk", flat=True).first()
    change = BulkChange.objects.create(
        created_by=actor,
        action=action,
        value=value,
        params=params,
        clients=clients,
        language=language,
        up_to_pk=newest or 0,
        total=contacts.count(),
    )
    transaction.on_commit(lambda: run_bulk_change_task.enqueue(change.pk))
    return change


def run_bulk_change(change_id: int) -> BulkChange:
    """Apply a queued bulk change batch by batch, each batch in its own transaction, from where
    it stopped: safe to run again after an interruption."""
    from kartoteka.contacts.listing import list_contacts

    change = BulkChange.objects.select_related("created_by").get(pk=change_id)
    if change.status in (BulkChangeStatus.DONE, BulkChangeStatus.FAILED):
        return change
    actor = change.created_by
    change.status = BulkChangeStatus.RUNNING
    change.save(update_fields=["status"])
    contacts, _filters, errors = list_contacts(actor, change.params, clients=change.clients)
    try:
        if errors:
            raise InvalidInput(errors=errors)
        while True:
            batch = list(
                contacts.filter(pk__gt=change.last_pk, pk__lte=change.up_to_pk).order_by("pk")[
                    :BULK_BATCH
                ]
            )
            if not batch:
                break
            with transaction.atomic():
                changed = apply_bulk_action(actor, batch, action=change.action, value=change.value)
                change.last_pk = batch[-1].pk
                change.done += changed
                change.save(update_fields=["last_pk", "done"])
    except KartotekaError as exc:
        # The batches before this one stay changed; the page says how many and why it stopped.
        change.status = BulkChangeStatus.FAILED
        messages = getattr(exc, "errors", {}).values()
        change.message = " ".join(m for ms in messages for m in ms) or str(exc)
    else:
        change.status = BulkChangeStatus.DONE
    change.finished_at = timezone.now()
    change.save(update_fields=["status", "message", "finished_at"])
    return change


def forget_mentions(mentions: Mentions) -> int:
    """Take the person out of bulk changes' list queries and messages (a query was typed to find
    people, so a first or last name alone counts); returns the rows changed."""
    return forget_mentions_in(BulkChange, mentions.with_name_parts())

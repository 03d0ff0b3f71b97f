"""Every write of companies: the record and its profile, people, notes, merges and their undo,
and forget's sweep of the company timeline. Each service validates, writes and records the
company's timeline entry in one transaction."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.companies.models import (
    CompanyField,
    CompanyMerge,
    Entry,
    EntryKind,
    Membership,
    Profile,
    Size,
)
from kartoteka.companies.queries import get_company
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Company, Contact, PropertyDefinition
from kartoteka.contacts.properties import merge_typed_values, validate_definition
from kartoteka.core import events
from kartoteka.core.errors import Conflict, ErrorCollector, Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import clean_text, normalise_country, normalise_phone
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import is_admin, is_system, user_or_none, visible_contacts

PROFILE_TEXT = ("industry", "street", "city", "postal_code")
PROFILE_FIELDS = (*PROFILE_TEXT, "size", "phone", "country")
KNOWN_KEYS = {"name", "domain", *PROFILE_FIELDS, "properties", "people", "remove_people"}
RECORD_KEYS = ("name", "domain", "people", "remove_people")


def require_admin(actor, what: str = "") -> None:
    if not (is_system(actor) or is_admin(actor)):
        raise Forbidden(
            _("Only admins may %(what)s.") % {"what": what}
            if what
            else _("Only admins may do this.")
        )


def _entry(company: Company, kind: str, actor, **values: Any) -> Entry:
    return Entry.objects.create(
        company=company,
        kind=kind,
        occurred_at=timezone.now(),
        actor=user_or_none(actor),
        **values,
    )


def _field_definition(field: CompanyField) -> PropertyDefinition:
    return PropertyDefinition(
        key=field.key, label=field.label, type=field.type, choices=field.choices
    )


def _properties(value: Any, current: dict, errors: ErrorCollector) -> dict:
    return merge_typed_values(
        value,
        current,
        {f.key: _field_definition(f) for f in CompanyField.objects.all()},
        errors,
        not_an_object=_("Expected an object of custom details."),
        unknown_key=_("No company detail with this key."),
    )


def validate_profile(data: Mapping[str, Any], current: Profile | None) -> dict[str, Any]:
    """The profile fields present in `data`, cleaned; InvalidInput naming every bad field."""
    errors = ErrorCollector()
    cleaned: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        raise InvalidInput("__all__", _("Expected an object."))
    for key in data:
        if key not in KNOWN_KEYS:
            errors.add(str(key)[:64], _("Unknown field."))
    for name in PROFILE_TEXT:
        if name in data:
            value = data[name]
            if value is not None and not isinstance(value, str):
                errors.add(name, _("Expected text."))
                continue
            try:
                cleaned[name] = clean_text(
                    value, field=name, max_length=32 if name == "postal_code" else 255
                )
            except InvalidInput as exc:
                errors.capture(exc)
    if "size" in data:
        size = data["size"] or ""
        if size not in ("", *Size.values):
            errors.add(
                "size",
                _("Choose a size among %(sizes)s.") % {"sizes": ", ".join(Size.values)},
            )
        else:
            cleaned["size"] = size
    if "phone" in data:
        value = data["phone"]
        if value in (None, ""):
            cleaned["phone"] = ""
        elif not isinstance(value, str):
            errors.add("phone", _("Expected text."))
        else:
            try:
                cleaned["phone"] = normalise_phone(value)
            except InvalidInput as exc:
                errors.capture(exc)
    if "country" in data:
        value = data["country"]
        if value is not None and not isinstance(value, str):
            errors.add("country", _("Expected text."))
        else:
            try:
                cleaned["country"] = normalise_country(value or "")
            except InvalidInput as exc:
                errors.capture(exc)
    if "properties" in data:
        cleaned["properties"] = _properties(
            data["properties"], dict(current.properties) if current else {}, errors
        )
    errors.raise_if_any()
    return cleaned


def _profile(company: Company) -> Profile | None:
    return Profile.objects.filter(company=company).first()


def _profile_part(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in RECORD_KEYS}


def _check_record(data: Mapping[str, Any], errors: ErrorCollector) -> None:
    for name in ("name", "domain"):
        if name in data and data[name] is not None and not isinstance(data[name], str):
            errors.add(name, _("Expected text."))
    for name in ("people", "remove_people"):
        if data.get(name) is not None and not isinstance(data[name], list):
            errors.add(name, _("Expected a list."))


def _apply_people(actor, company: Company, data: Mapping[str, Any]) -> None:
    """The people a create or update lists, each checked; errors name the entry."""
    errors = ErrorCollector()
    for index, person in enumerate(data.get("people") or []):
        if not isinstance(person, Mapping):
            errors.add(f"people.{index}", _("Expected an object."))
            continue
        try:
            set_person(
                actor,
                company,
                contact_id=person.get("contact"),
                role=person.get("role"),
                job_title=person.get("job_title"),
                primary=person.get("primary", False),
            )
        except InvalidInput as exc:
            errors.capture(exc, prefix=f"people.{index}.")
    for index, contact_id in enumerate(data.get("remove_people") or []):
        try:
            remove_person(actor, company, contact_id=contact_id)
        except InvalidInput as exc:
            errors.capture(exc, prefix=f"remove_people.{index}.")
    errors.raise_if_any()


@transaction.atomic
def create_company(actor, *, data: Mapping[str, Any]) -> Company:
    """A new company with its profile. Anyone may create one; its creator sees it."""
    errors = ErrorCollector()
    if not isinstance(data, Mapping):
        raise InvalidInput("__all__", _("Expected an object."))
    _check_record(data, errors)
    errors.raise_if_any()
    profile = {}
    try:
        profile = validate_profile(_profile_part(data), None)
    except InvalidInput as exc:
        errors.capture(exc)
    try:
        contact_services.clean_company(data.get("name"), data.get("domain"), company=None)
    except InvalidInput as exc:
        errors.capture(exc)
    errors.raise_if_any()
    company = contact_services.create_company(
        actor, name=data.get("name"), domain=data.get("domain") or ""
    )
    Profile.objects.create(company=company, **profile)
    _entry(company, EntryKind.CREATED, actor)
    _apply_people(actor, company, data)
    events.publish("company.created", company_id=company.pk)
    return company


@transaction.atomic
def update_company(actor, company: Company, *, data: Mapping[str, Any]) -> Company:
    """Change the fields present in `data`; the timeline names what changed."""
    if not isinstance(data, Mapping):
        raise InvalidInput("__all__", _("Expected an object."))
    errors = ErrorCollector()
    _check_record(data, errors)
    errors.raise_if_any()
    current = _profile(company)
    profile: dict[str, Any] = {}
    try:
        profile = validate_profile(_profile_part(data), current)
    except InvalidInput as exc:
        errors.capture(exc)
    if "name" in data or "domain" in data:
        try:
            contact_services.clean_company(
                company.name if data.get("name") is None else data["name"],
                company.domain if data.get("domain") is None else data["domain"],
                company=company,
            )
        except InvalidInput as exc:
            errors.capture(exc)
    errors.raise_if_any()
    changes = []
    if "name" in data or "domain" in data:
        old = (company.name, company.domain)
        company = contact_services.update_company(
            actor, company, name=data.get("name"), domain=data.get("domain")
        )
        for name, before, after in (
            ("name", old[0], company.name),
            ("domain", old[1], company.domain),
        ):
            if before != after:
                changes.append({"field": name, "old": before, "new": after})
    if current is None:
        current = Profile(company=company)
    for name, value in profile.items():
        before = getattr(current, name)
        if before != value:
            changes.append(
                {"field": name, "old": before, "new": value}
                if name != "properties"
                else {"field": name}
            )
            setattr(current, name, value)
    current.save()
    if changes:
        _entry(company, EntryKind.UPDATED, actor, payload={"changes": changes})
    _apply_people(actor, company, data)
    return company


@transaction.atomic
def delete_company(actor, company: Company) -> None:
    """Delete a company (admins): its people keep their cards, without it."""
    require_admin(actor, _("delete companies"))
    company_id = company.pk
    Profile.objects.filter(company=company).delete()
    contact_services.delete_company(actor, company)
    events.publish("company.deleted", company_id=company_id)


# --------------------------------------------------------------------------------------------
# People


def _visible_contact(actor, contact_id: Any) -> Contact:
    if (
        isinstance(contact_id, bool)
        or not isinstance(contact_id, int)
        or not 0 < contact_id < 2**63
    ):
        raise InvalidInput("contact", _("Give the id of a contact."))
    contact = visible_contacts(actor).filter(pk=contact_id).first()
    if contact is None:
        raise InvalidInput("contact", _("No contact with this id."))
    return contact


def _role_and_title(role: Any, job_title: Any) -> tuple[str | None, str | None]:
    errors = ErrorCollector()
    values: list[str | None] = []
    for name, value in (("role", role), ("job_title", job_title)):
        if value is None:
            values.append(None)
            continue
        if not isinstance(value, str):
            errors.add(name, _("Expected text."))
            values.append("")
            continue
        try:
            values.append(clean_text(value, field=name, max_length=255))
        except InvalidInput as exc:
            errors.capture(exc)
            values.append("")
    errors.raise_if_any()
    return values[0], values[1]


@transaction.atomic
def set_person(
    actor,
    company: Company,
    *,
    contact_id: Any,
    role: Any = None,
    job_title: Any = None,
    primary: Any = False,
) -> Membership:
    """Add a contact to a company or change their role and job title there (None keeps what is
    stored). `primary` makes it the contact's primary company (the one the card names): a
    contact has exactly one, and the one it had stays among its companies."""
    if not isinstance(primary, bool):
        raise InvalidInput("primary", _("Expected true or false."))
    role, job_title = _role_and_title(role, job_title)
    contact = _visible_contact(actor, contact_id)
    if not contact_services.can_edit(actor, contact):
        raise InvalidInput("contact", _("You may not edit this contact."))
    membership, created = Membership.objects.get_or_create(
        company=company,
        contact=contact,
        defaults={"role": role or "", "job_title": job_title or ""},
    )
    if not created:
        changed = {
            name: value
            for name, value in (("role", role), ("job_title", job_title))
            if value is not None and getattr(membership, name) != value
        }
        if changed:
            for name, value in changed.items():
                setattr(membership, name, value)
            membership.save(update_fields=list(changed))
    if primary and contact.company_id != company.pk:
        if contact.company_id is not None:
            Membership.objects.get_or_create(
                company_id=contact.company_id,
                contact=contact,
                defaults={"job_title": contact.job_title},
            )
        contact_services.set_primary_companies(actor, {contact.pk: company.pk})
    if created:
        _entry(
            company, EntryKind.PERSON_ADDED, actor, contact=contact, payload={"role": role or ""}
        )
        events.publish("company.person_added", company_id=company.pk, contact_id=contact.pk)
    return membership


@transaction.atomic
def remove_person(actor, company: Company, *, contact_id: Any) -> None:
    """Take a contact off a company; if it was their primary company, another of theirs (the
    oldest) becomes primary, or none."""
    contact = _visible_contact(actor, contact_id)
    if not contact_services.can_edit(actor, contact):
        raise InvalidInput("contact", _("You may not edit this contact."))
    deleted, _rows = Membership.objects.filter(company=company, contact=contact).delete()
    if contact.company_id == company.pk:
        other = (
            Membership.objects.filter(contact=contact)
            .order_by("created_at", "pk")
            .values_list("company_id", flat=True)
            .first()
        )
        contact_services.set_primary_companies(actor, {contact.pk: other})
    elif not deleted:
        raise InvalidInput("contact", _("This contact is not at this company."))
    _entry(company, EntryKind.PERSON_REMOVED, actor, contact=contact)


# --------------------------------------------------------------------------------------------
# Notes


@transaction.atomic
def add_note(actor, company: Company, *, body: Any) -> Entry:
    if not isinstance(body, str):
        raise InvalidInput("body", _("Write the note."))
    text = body.strip()
    if len(text) > 20_000:
        raise InvalidInput("body", _("A note has at most 20,000 characters."))
    if not text:
        raise InvalidInput("body", _("Write the note."))
    return _entry(company, EntryKind.NOTE, actor, body=text)


# --------------------------------------------------------------------------------------------
# Custom details


@transaction.atomic
def add_company_field(
    actor, *, key: Any, label: Any, type: Any, choices: Any = None
) -> CompanyField:
    require_admin(actor, _("manage company details"))
    cleaned = validate_definition(key=key, label=label, type=type, choices=choices)
    if CompanyField.objects.filter(key=cleaned["key"]).exists():
        raise Conflict(_("There is already a company detail with this key."), field="key")
    position = (CompanyField.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    return CompanyField.objects.create(**cleaned, position=position)


def get_company_field(key: Any) -> CompanyField:
    found = CompanyField.objects.filter(key=str(key)[:64]).first()
    if found is None:
        raise NotFound(_("No company detail with this key."))
    return found


def company_field_uses(field: CompanyField) -> int:
    """How many companies have a value of the detail."""
    return Profile.objects.filter(properties__has_key=field.key).count()


@transaction.atomic
def update_company_field(
    actor, field: CompanyField, *, label: Any = None, choices: Any = None, position: Any = None
) -> CompanyField:
    """Change a detail's label, choices or position. Its key and type stay, so stored values
    stay valid; a choice companies still use cannot be taken away."""
    require_admin(actor, _("manage company details"))
    errors = ErrorCollector()
    if label is not None and not isinstance(label, str):
        errors.add("label", _("Expected text."))
    if choices is not None and not (
        isinstance(choices, list) and all(isinstance(c, str) for c in choices)
    ):
        errors.add("choices", _("Expected a list of texts."))
    if position is not None and (
        isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 2**31
    ):
        errors.add("position", _("Position must be 0 or more."))
    errors.raise_if_any()
    cleaned = validate_definition(
        key=field.key,
        label=field.label if label is None else label,
        type=field.type,
        choices=field.choices if choices is None else choices,
    )
    removed = {c.casefold() for c in field.choices} - {c.casefold() for c in cleaned["choices"]}
    if removed and _choice_in_use(field, removed):
        raise Conflict(
            _("A removed choice is still used by companies; change those first."),
            field="choices",
        )
    field.label, field.choices = cleaned["label"], cleaned["choices"]
    if position is not None:
        field.position = position
    field.save()
    return field


def _choice_in_use(field: CompanyField, removed: set[str]) -> bool:
    for value in (
        Profile.objects.filter(properties__has_key=field.key)
        .values_list("properties", flat=True)
        .iterator()
    ):
        stored = value.get(field.key)
        values = stored if isinstance(stored, list) else [stored]
        if any(str(v).casefold() in removed for v in values):
            return True
    return False


@transaction.atomic
def delete_company_field(actor, field: CompanyField) -> int:
    """Delete a detail and its value on every company; the number of companies that lost one."""
    require_admin(actor, _("manage company details"))
    batch = []
    for profile in (
        Profile.objects.filter(properties__has_key=field.key)
        .only("pk", "properties")
        .iterator(2000)
    ):
        profile.properties.pop(field.key, None)
        batch.append(profile)
    Profile.objects.bulk_update(batch, ["properties"], batch_size=2000)
    field.delete()
    return len(batch)


# --------------------------------------------------------------------------------------------
# Merging duplicate companies, and undoing it


def _merge_ids(actor, survivor_id: Any, merged_id: Any) -> tuple[Company, Company]:
    errors = ErrorCollector()
    for name, value in (("survivor", survivor_id), ("merged", merged_id)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            errors.add(name, _("Give the id of a company."))
    errors.raise_if_any()
    if survivor_id == merged_id:
        raise InvalidInput("merged", _("Pick two different companies."))
    companies = {}
    for name, value in (("survivor", survivor_id), ("merged", merged_id)):
        try:
            companies[name] = get_company(actor, value)
        except NotFound:
            errors.add(name, _("No company with this id."))
    errors.raise_if_any()
    return companies["survivor"], companies["merged"]


@transaction.atomic
def merge_companies(actor, *, survivor_id: Any, merged_id: Any) -> CompanyMerge:
    """Move everything of company `merged_id` onto `survivor_id` and delete it (admins): its
    primary people, members, timeline, the domain and profile fields the survivor lacks. The
    merge keeps what undo needs."""
    require_admin(actor, _("merge companies"))
    survivor, merged = _merge_ids(actor, survivor_id, merged_id)
    survivor = Company.objects.select_for_update().get(pk=survivor.pk)
    merged = Company.objects.select_for_update().get(pk=merged.pk)
    merged_profile = _profile(merged)
    survivor_profile = _profile(survivor) or Profile.objects.create(company=survivor)
    primary = list(Contact.objects.filter(company=merged).values_list("pk", flat=True))
    already = set(Membership.objects.filter(company=survivor).values_list("contact_id", flat=True))
    members = list(Membership.objects.filter(company=merged).order_by("pk"))
    moved = [m.pk for m in members if m.contact_id not in already]
    dropped = [
        {"contact": m.contact_id, "role": m.role, "job_title": m.job_title}
        for m in members
        if m.contact_id in already
    ]
    entries = list(Entry.objects.filter(company=merged).values_list("pk", flat=True))
    filled: dict[str, Any] = {}
    if merged_profile is not None:
        for name in PROFILE_FIELDS:
            if not getattr(survivor_profile, name) and getattr(merged_profile, name):
                filled[name] = getattr(merged_profile, name)
                setattr(survivor_profile, name, filled[name])
        added = {
            k: v
            for k, v in merged_profile.properties.items()
            if k not in survivor_profile.properties
        }
        if added:
            filled["properties"] = sorted(added)
            survivor_profile.properties = {**survivor_profile.properties, **added}
        survivor_profile.save()
    took_domain = not survivor.domain and bool(merged.domain)
    snapshot = {
        "name": merged.name,
        "domain": merged.domain,
        "created_at": merged.created_at.isoformat(),
        "profile": {
            **{name: getattr(merged_profile, name) for name in PROFILE_FIELDS},
            "properties": merged_profile.properties,
        }
        if merged_profile
        else None,
        "primary": primary,
        "moved_members": moved,
        "dropped_members": dropped,
        "entries": entries,
        "filled": filled,
        "took_domain": took_domain,
    }
    Membership.objects.filter(pk__in=moved).update(company=survivor)
    # Earlier merges into the duplicate stay undoable: they now name the survivor.
    CompanyMerge.objects.filter(survivor=merged).update(survivor=survivor)
    Entry.objects.filter(pk__in=entries).update(company=survivor)
    contact_services.set_primary_companies(actor, dict.fromkeys(primary, survivor.pk))
    domain, merged_id = merged.domain, merged.pk
    Profile.objects.filter(company=merged).delete()
    contact_services.delete_company(actor, merged)
    if took_domain:
        contact_services.update_company(actor, survivor, domain=domain)
    merge = CompanyMerge.objects.create(
        survivor=survivor,
        merged_company_id=merged_id,
        snapshot=snapshot,
        merged_at=timezone.now(),
        merged_by=user_or_none(actor),
    )
    _entry(
        survivor,
        EntryKind.MERGED,
        actor,
        payload={
            "merged": snapshot["name"],
            "merge": merge.pk,
            "people": len(primary) + len(moved),
        },
    )
    events.publish("company.merged", company_id=survivor.pk, merged_id=merge.merged_company_id)
    return merge


@transaction.atomic
def undo_merge(actor, merge: CompanyMerge) -> Company:
    """Bring the merged company back under its old id with its people, members, timeline and
    profile, and take back from the survivor what the merge filled in (unless edited since)."""
    require_admin(actor, _("undo merges"))
    merge = CompanyMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict(_("This merge was undone already."), field="merge")
    snap = merge.snapshot
    survivor = merge.survivor
    if snap["took_domain"] and survivor.domain == snap["domain"]:
        contact_services.update_company(actor, survivor, domain="")
    try:
        restored = contact_services.create_company(
            actor, name=snap["name"], domain=snap["domain"], restore_id=merge.merged_company_id
        )
    except Conflict as exc:
        raise Conflict(
            _("The merged company cannot come back: %(reason)s") % {"reason": exc.message},
            field="merge",
        ) from None
    Company.objects.filter(pk=restored.pk).update(
        created_at=dt.datetime.fromisoformat(snap["created_at"])
    )
    if snap["profile"] is not None:
        Profile.objects.create(company=restored, **snap["profile"])
    survivor_profile = _profile(survivor)
    if survivor_profile is not None and snap["filled"]:
        for name, value in snap["filled"].items():
            if name == "properties":
                old = snap["profile"]["properties"] if snap["profile"] else {}
                survivor_profile.properties = {
                    k: v
                    for k, v in survivor_profile.properties.items()
                    if not (k in value and old.get(k) == v)
                }
            elif getattr(survivor_profile, name) == value:
                setattr(survivor_profile, name, "")
        survivor_profile.save()
    back = list(
        Contact.objects.filter(pk__in=snap["primary"], company=survivor).values_list(
            "pk", flat=True
        )
    )
    contact_services.set_primary_companies(actor, dict.fromkeys(back, restored.pk))
    Membership.objects.filter(pk__in=snap["moved_members"], company=survivor).update(
        company=restored
    )
    existing = set(
        Contact.objects.filter(pk__in=[d["contact"] for d in snap["dropped_members"]]).values_list(
            "pk", flat=True
        )
    )
    Membership.objects.bulk_create(
        [
            Membership(
                company=restored, contact_id=d["contact"], role=d["role"], job_title=d["job_title"]
            )
            for d in snap["dropped_members"]
            if d["contact"] in existing
        ],
        ignore_conflicts=True,
    )
    Entry.objects.filter(pk__in=snap["entries"], company=survivor).update(company=restored)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    _entry(survivor, EntryKind.UNMERGED, actor, payload={"merged": snap["name"]})
    events.publish("company.unmerged", company_id=survivor.pk, merged_id=restored.pk)
    return restored


# --------------------------------------------------------------------------------------------
# Forget


def forget_in_merges(actor, contact: Contact) -> None:
    """Take a contact about to be forgotten out of what merges keep for their undo."""
    for merge in CompanyMerge.objects.filter(undone_at__isnull=True).iterator():
        snap = merge.snapshot
        primary = [i for i in snap.get("primary", []) if i != contact.pk]
        dropped = [d for d in snap.get("dropped_members", []) if d["contact"] != contact.pk]
        if primary != snap.get("primary", []) or dropped != snap.get("dropped_members", []):
            merge.snapshot = {**snap, "primary": primary, "dropped_members": dropped}
            merge.save(update_fields=["snapshot"])


def forget_mentions(mentions: Mentions) -> int:
    """Replace every quote of a forgotten person in the company timeline and in the roles and
    job titles people have at companies."""
    return forget_mentions_in(Entry, mentions) + forget_mentions_in(Membership, mentions)

"""Data-subject requests: stop or start monitoring a contact, record a data export, and forget a
contact everywhere while keeping anonymous aggregates and an audit record."""

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activity import services as timeline
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Contact
from kartoteka.core import events
from kartoteka.core.errors import Forbidden, NotFound
from kartoteka.core.scope import can_see_contact, is_admin
from kartoteka.duplicates import relations
from kartoteka.privacy import kinds
from kartoteka.privacy.models import ForgetRecord


def _label(actor: User | None, actor_label: str) -> str:
    return actor_label or ("" if actor is not None else "system")


@transaction.atomic
def set_monitoring(
    actor: User | None, contact: Contact, *, enabled: bool, actor_label: str = ""
) -> Contact:
    """Stop (or start again) tracking this contact; tracking code checks Contact.is_monitored."""
    if not contacts.can_edit(actor, contact):
        raise NotFound("No such contact.")
    contact = Contact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
    if contact.is_monitored == enabled:
        return contact
    Contact.objects.filter(pk=contact.pk).update(is_monitored=enabled, updated_at=timezone.now())
    contact.is_monitored = enabled
    timeline.record_entry(
        kinds.monitoring_changed(
            contact, enabled=enabled, actor=actor, actor_label=_label(actor, actor_label)
        )
    )
    events.publish("contact.monitoring_changed", contact_id=contact.pk, enabled=enabled)
    return contact


@transaction.atomic
def record_data_export(actor: User | None, contact: Contact, *, files: int) -> None:
    """The export itself is a read; this leaves the proof on the timeline that it was given."""
    timeline.record_entry(kinds.data_exported(contact, actor=actor, files=files))
    events.publish("contact.data_exported", contact_id=contact.pk)


def _identifiers(contact: Contact) -> list[str]:
    found = {e.casefold() for e in contact.emails.values_list("email", flat=True)}
    found |= set(contact.phones.values_list("number", flat=True))
    found |= {v for v in (contact.email.casefold(), contact.phone, contact.fax) if v}
    return sorted(found)


# A name identifies someone in free text only as the whole name: first and last name together,
# in either order, as whole words. A first name alone ("Anna") or a last name alone ("García")
# is in countless texts about other people, and a one-letter part ("J") would match inside any
# word; so both parts must be there, each of at least MIN_NAME_PART characters. Between the
# words any run of up to three spaces or punctuation marks counts (a CSV export has
# "Anna,Nowak"), but never a letter: "Annabelle Nowakowska" is somebody else.
MIN_NAME_PART = 2
NAME_GAP = r"[\W_]{1,3}"
# A run of XML tags between two cells of a sheet, read as one space.
XML_TAG = re.compile(rb"(?:\s*<[^>]*>\s*)+")


@dataclass(frozen=True)
class _Name:
    pattern: re.Pattern
    # Lower-case texts a column must contain to be looked at (the database narrows first): the
    # words as typed, and as a JSON column stores them with \u escapes.
    needles: tuple[str, ...]


def _names(contact: Contact) -> list[_Name]:
    first = re.findall(r"[^\W_]+", contact.first_name.lower())
    last = re.findall(r"[^\W_]+", contact.last_name.lower())
    if not first or not last or min(len(w) for w in [*first, *last]) < MIN_NAME_PART:
        return []
    names = []
    for words in ([*first, *last], [*last, *first]):
        longest = max(words, key=len)
        escaped = json.dumps(longest)[1:-1]
        names.append(
            _Name(
                pattern=re.compile(
                    r"(?<!\w)" + NAME_GAP.join(re.escape(w) for w in words) + r"(?!\w)"
                ),
                needles=tuple(dict.fromkeys([longest, escaped])),
            )
        )
    return names


def _quotes_name(text: str, names: list[_Name]) -> bool:
    return any(name.pattern.search(text) for name in names)


def _empty(model, name: str):
    model_field = model._meta.get_field(name)
    if model_field.get_internal_type() == "JSONField":
        return model_field.default() if callable(model_field.default) else {}
    return None if model_field.null else ""


@transaction.atomic
def forget_contact(actor: User | None, contact: Contact, *, actor_label: str = "") -> ForgetRecord:
    """Erase the contact's personal data everywhere (GDPR art. 17); admins only.

    Every table that points at the contact is handled by its policy in duplicates.relations;
    rows kept for aggregates lose the link and their personal fields; files leave storage once
    the transaction commits. What was erased is counted in a ForgetRecord without the data.
    """
    if actor is not None and not can_see_contact(actor, contact.pk):
        raise NotFound("No such contact.")
    if actor is not None and not is_admin(actor):
        raise Forbidden("Only admins may forget a contact.")
    label = _label(actor, actor_label)
    contact = Contact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
    identifiers = _identifiers(contact)
    names = _names(contact)
    erased: dict[str, int] = {}
    stored_files: list[str] = []
    for relation in relations.checked_relations():
        policy = relation.policy
        manager = relation.model._default_manager
        if policy.forget == relations.KEEP:
            continue
        rows = relation.rows(contact.pk)
        count = rows.count()
        if not count:
            continue
        erased[relation.model._meta.label] = count
        if policy.forget == relations.ANONYMISE:
            changes = {name: _empty(relation.model, name) for name in policy.scrub}
            rows.update(**{relation.column: None, **changes, **policy.clear})
            continue
        for name in policy.files:
            stored_files += [n for n in rows.values_list(name, flat=True) if n]
        followed = {name: list(rows.values_list(name, flat=True)) for name in policy.follow}
        rows.delete()
        for name, ids in followed.items():
            target = relation.model._meta.get_field(name).related_model
            orphans = target._default_manager.filter(pk__in=ids).exclude(
                pk__in=manager.values_list(name, flat=True)
            )
            erased[f"{target._meta.label} (only linked to this contact)"] = orphans.count()
            orphans.delete()
    swept = _sweep(identifiers, names)
    if swept:
        erased["mentions elsewhere"] = swept
    files_with_person = _sweep_files(identifiers, names)
    if files_with_person:
        erased["import and export files"] = len(files_with_person)
    stored_files += files_with_person
    if stored_files:
        erased["files in storage"] = len(stored_files)
    contact_id = contact.pk
    contacts.delete_contact(actor, contact, actor_label=label)
    record = ForgetRecord.objects.create(
        contact_id=contact_id,
        forgotten_at=timezone.now(),
        forgotten_by=actor,
        forgotten_by_label=label,
        erased=erased,
    )
    transaction.on_commit(lambda: _delete_files(stored_files))
    events.publish("contact.forgotten", contact_id=contact_id, record_id=record.pk)
    return record


def _delete_files(names: list[str]) -> None:
    for name in names:
        if os.path.isabs(name):
            if os.path.exists(name):
                os.remove(name)
        else:
            default_storage.delete(name)


def _file_mentions(path: str, identifiers: list[str], names: list[_Name]) -> bool:
    """Whether a stored file (plain text, or a ZIP such as XLSX) contains an identifier or the
    person's name."""
    try:
        if os.path.isabs(path):
            with open(path, "rb") as handle:
                data = handle.read()
        else:
            with default_storage.open(path, "rb") as handle:
                data = handle.read()
    except OSError:
        return False
    texts = [data]
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # Tags out, so the cells of one row of a sheet read as words side by side.
                texts = [XML_TAG.sub(b" ", archive.read(name)) for name in archive.namelist()]
        except zipfile.BadZipFile:
            pass
    needles = [i.encode() for i in identifiers]
    if any(needle in text.lower() for text in texts for needle in needles):
        return True
    return any(_quotes_name(text.decode("utf-8", "replace").lower(), names) for text in texts)


def _sweep_files(identifiers: list[str], names: list[_Name]) -> list[str]:
    """Blank the path of import and export files that contain the person; return the paths
    (deleted once the transaction commits)."""
    found: list[str] = []
    for label, column in relations.FILE_SWEEPS.items():
        model = relations.installed(label)
        if model is None:
            continue
        for pk, path in model._default_manager.exclude(**{column: ""}).values_list("pk", column):
            if path and _file_mentions(path, identifiers, names):
                model._default_manager.filter(pk=pk).update(**{column: ""})
                found.append(path)
    return found


def _as_text(value) -> str:
    if isinstance(value, str):
        return value.lower()
    return json.dumps(value, ensure_ascii=False, default=str).lower()


def _sweep(identifiers: list[str], names: list[_Name]) -> int:
    """Blank the sweep fields of rows that quote one of the identifiers or the person's name;
    returns rows touched.

    The database picks the candidate rows by plain substring; a name is then confirmed here as
    whole words, so a row that only contains a longer word ("Nowakowska" for "Nowak") is left.
    """
    needles = identifiers + [n for name in names for n in name.needles]
    touched = 0
    for label, fields in relations.SWEEPS.items():
        model = relations.installed(label)
        if model is None:
            continue  # that app has not added the table yet
        present = [n for n in fields if any(f.name == n for f in model._meta.concrete_fields)]
        if not present or not needles:
            continue
        condition = Q()
        annotations = {}
        for name in present:
            alias = f"_swept_{name}"
            annotations[alias] = Lower(Cast(name, TextField()))
            for value in needles:
                condition |= Q(**{f"{alias}__contains": value})
        rows = model._default_manager.annotate(**annotations).filter(condition)
        ids = [
            pk
            for pk, *values in rows.values_list("pk", *present)
            if any(i in _as_text(v) for v in values for i in identifiers)
            or any(_quotes_name(_as_text(v), names) for v in values)
        ]
        if ids:
            model._default_manager.filter(pk__in=ids).update(
                **{name: _empty(model, name) for name in present}
            )
            touched += len(ids)
    return touched

"""Everything stored about one contact (GDPR art. 15 and 20), gathered for the data export.

It walks the same relation table as merging and forgetting, so data kept by apps added later
(consents, deals, events) is in the export without changes here.
"""

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from kartoteka.activity import timeline
from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display, relations
from kartoteka.privacy.models import ForgetRecord

# Internal columns that say nothing about the person.
SKIPPED = {"search_text", "version"}


@dataclass
class ExportedFile:
    path: str  # inside the ZIP
    storage_name: str


@dataclass
class ContactData:
    contact: Contact
    document: dict[str, Any]
    files: list[ExportedFile] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def _row(instance: models.Model, names: dict, *, skip: str = "") -> dict[str, Any]:
    """The row's columns as stored, and beside each code the words a person reads: a choice's
    label (`status_label`), a linked record's name (`group_name`), an entry kind's label, an
    actor label in the reader's language ("member" → "Members' area")."""
    row = {}
    for model_field in instance._meta.concrete_fields:
        name = model_field.name
        if name in SKIPPED or name == skip:
            continue
        value = getattr(instance, model_field.attname)
        row[name] = _plain(value)
        if value in (None, ""):
            continue
        if model_field.choices:
            row[f"{name}_label"] = str(dict(model_field.flatchoices).get(value, value))
        elif model_field.is_relation and model_field.related_model is not Contact:
            if named := _name_of(model_field.related_model, value, names):
                row[f"{name}_name"] = named
        elif name == "kind" and isinstance(instance, Activity):
            row["kind_label"] = timeline.label(value)
        elif name.endswith("_label") and isinstance(value, str):
            row[name] = display.actor_name(value)
    return row


def _name_of(model: type[models.Model], pk: Any, names: dict) -> str:
    """How a linked record names itself (a member group's name, a user's username); nothing
    for a model that gives itself no name. `names` keeps those read, once per export."""
    if model.__str__ is models.Model.__str__:
        return ""
    if (model, pk) not in names:
        found = model._default_manager.filter(pk=pk).first()
        names[model, pk] = str(found) if found is not None else ""
    return names[model, pk]


def contact_data(actor, contact_id: int) -> ContactData:
    """The export document of a contact the actor may see; NotFound otherwise."""
    contact = get_contact(actor, contact_id)
    names: dict = {}
    document: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "contact": {
            **_row(contact, names),
            "company": contact.company.name if contact.company else "",
            "emails": [{"email": e.email, "primary": e.is_primary} for e in contact.emails.all()],
            "phones": [{"number": p.number, "primary": p.is_primary} for p in contact.phones.all()],
            "messengers": [
                {"network": m.network, "handle": m.handle} for m in contact.messengers.all()
            ],
            "owners": [u.username for u in contact.owners.all()],
            "tags": [
                {
                    "name": link.tag.name,
                    "added_at": _plain(link.added_at),
                    "origin": link.origin,
                    "origin_label": display.actor_name(link.origin_label)
                    or str(link.get_origin_display()),
                }
                for link in contact.tag_links.all()
            ],
        },
        "records": {},
    }
    files: list[ExportedFile] = []
    for relation in relations.checked_relations():
        if (
            relation.policy.merge == relations.CARD
            or relation.policy.derived
            or relation.model is Contact
        ):
            continue
        rows = relation.rows(contact.pk).order_by("pk")
        exported = []
        for instance in rows:
            row = _row(instance, names, skip=relation.field_name)
            for name in relation.policy.follow:
                row[name] = _row(getattr(instance, name), names)
            for name in relation.policy.files:
                stored = getattr(instance, name)
                if stored and stored.name:
                    label = getattr(instance, "name", "") or stored.name.rsplit("/", 1)[-1]
                    path = f"files/{instance.pk}-{label}"
                    files.append(ExportedFile(path, stored.name))
                    row[f"{name}_in_zip"] = path
            exported.append(row)
        if exported:
            document["records"].setdefault(relation.model._meta.label, []).extend(exported)
    document["files"] = [f.path for f in files]
    return ContactData(contact, document, files)


def forget_records():
    return ForgetRecord.objects.select_related("forgotten_by")

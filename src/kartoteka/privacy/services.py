"""Data-subject requests: stop or start monitoring a contact, record a data export, and forget a
contact everywhere while keeping anonymous aggregates and an audit record."""

import os
from importlib import import_module

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activity import services as timeline
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Contact
from kartoteka.core import database, events, relations
from kartoteka.core.errors import Forbidden, NotFound
from kartoteka.core.scope import (
    SystemActor,
    can_see_contact,
    is_admin,
    system_label,
    user_or_none,
)
from kartoteka.privacy import kinds
from kartoteka.privacy.mentions import Mentions
from kartoteka.privacy.models import ForgetRecord


def _label(actor: User | SystemActor, actor_label: str) -> str:
    return actor_label or system_label(actor)


@transaction.atomic
def set_monitoring(
    actor: User | SystemActor, contact: Contact, *, enabled: bool, actor_label: str = ""
) -> Contact:
    """Stop (or start again) tracking this contact; tracking code checks Contact.is_monitored."""
    if not contacts.can_edit(actor, contact):
        raise NotFound(_("No such contact."))
    # NO KEY UPDATE as in contacts.services.update_contact: rows referring to the contact wait
    # for nothing.
    contact = Contact.objects.select_for_update(of=("self",), no_key=True).get(pk=contact.pk)
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
def record_data_export(actor: User | SystemActor, contact: Contact, *, files: int) -> None:
    """The export itself is a read; this leaves the proof on the timeline that it was given."""
    timeline.record_entry(kinds.data_exported(contact, actor=actor, files=files))
    events.publish("contact.data_exported", contact_id=contact.pk)


def _mentions(contact: Contact) -> Mentions:
    emails = {contact.email, *contact.emails.values_list("email", flat=True)}
    phones = {contact.phone, contact.fax, *contact.phones.values_list("number", flat=True)}
    return Mentions.of(
        emails=emails, phones=phones, first_name=contact.first_name, last_name=contact.last_name
    )


def _empty(model, name: str):
    model_field = model._meta.get_field(name)
    if model_field.get_internal_type() == "JSONField":
        return model_field.default() if callable(model_field.default) else {}
    return None if model_field.null else ""


@transaction.atomic
def forget_contact(
    actor: User | SystemActor, contact: Contact, *, actor_label: str = ""
) -> ForgetRecord:
    """Erase the contact's personal data everywhere (GDPR art. 17); admins only.

    Every table that points at the contact is handled by the policy its owner declares;
    rows kept for aggregates lose the link and their personal fields; files leave storage once
    the transaction commits. What was erased is counted in a ForgetRecord without the data.
    """
    if not can_see_contact(actor, contact.pk):
        raise NotFound(_("No such contact."))
    if not is_admin(actor):
        raise Forbidden(_("Only admins may forget a contact."))
    label = _label(actor, actor_label)
    contact = Contact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
    for before_forget in relations.BEFORE_FORGET:
        before_forget(actor, contact)
    mentions = _mentions(contact)
    erased: dict[str, int] = {}
    touched = {Contact._meta.db_table}
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
        touched.add(relation.model._meta.db_table)
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
    swept = files_with_person = 0
    for owner in relations.mention_owners():
        services = import_module(owner)
        swept += services.forget_mentions(mentions)
        if hasattr(services, "forget_files_mentioning"):
            found = services.forget_files_mentioning(mentions)
            files_with_person += len(found)
    if swept:
        erased["mentions elsewhere"] = swept
    if files_with_person:
        erased["import and export files"] = files_with_person
    if stored_files or files_with_person:
        erased["files in storage"] = len(stored_files) + files_with_person
    touched |= {model._meta.db_table for model in relations.mention_tables()}
    contact_id = contact.pk
    contacts.delete_contact(actor, contact, actor_label=label)
    record = ForgetRecord.objects.create(
        contact_id=contact_id,
        forgotten_at=timezone.now(),
        forgotten_by=user_or_none(actor),
        forgotten_by_label=label,
        erased=erased,
    )
    transaction.on_commit(lambda: _delete_files(stored_files))
    # The deleted rows are zeroed in the database file as they go (SQLite's secure_delete); what
    # the database keeps besides (SQLite's write-ahead log, PostgreSQL's dead row versions) is
    # cleared once the transaction has committed.
    transaction.on_commit(lambda: database.purge_deleted_rows(sorted(touched)))
    events.publish("contact.forgotten", contact_id=contact_id, record_id=record.pk)
    return record


def _delete_files(names: list[str]) -> None:
    for name in names:
        if os.path.isabs(name):
            if os.path.exists(name):
                os.remove(name)
        else:
            default_storage.delete(name)

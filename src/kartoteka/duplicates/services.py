"""Merging duplicate contacts, undoing a merge, and the matching rules admins configure.

A merge walks every table that points at contacts (core.relations), so rows of tables added later
move too. It keeps what the undo needs: the merged contact's own rows as they were, the ids and
fingerprints of the rows moved onto the survivor, and the survivor's values it replaced.
"""

import hashlib
import itertools
import json
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.contacts import plan as contact_plan
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Company, Contact
from kartoteka.core import relations
from kartoteka.core.bulkwrite import insert_values
from kartoteka.core.errors import Conflict, ErrorCollector, Forbidden, InvalidInput, NotFound
from kartoteka.core.scope import (
    SystemActor,
    is_admin,
    system_label,
    user_or_none,
    visible_contacts,
)
from kartoteka.core.writeplan import Plan
from kartoteka.duplicates import kinds, queries
from kartoteka.duplicates.matching import EXACT, FIELDS, FUZZY, FUZZY_FIELDS, find_groups
from kartoteka.duplicates.models import (
    ACTIVE_STATES,
    Combine,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    MatchingRule,
    MergeRecord,
    ScanState,
)
from kartoteka.duplicates.queries import UNDO_DAYS

MAX_MERGED = 50
BULK_MAX_GROUP = 3

# Card fields whose value can be picked from any of the merged contacts.
CHOOSABLE = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "fax",
    "birthday",
    "status",
    "source",
    "score",
    "email",
    "phone",
)


def field_value(contact: Contact, name: str) -> Any:
    """A card field as a merge compares and stores it (dates as ISO text, company by name)."""
    if name == "company":
        return contact.company.name if contact.company else ""
    if name.startswith("properties."):
        return (contact.properties or {}).get(name.split(".", 1)[1])
    value = getattr(contact, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _clean_choices(fields: Any, survivor: Contact, merged: list[Contact]) -> dict[str, Contact]:
    """{field: contact whose value to keep}; every error named before anything is written."""
    if fields in (None, ""):
        return {}
    if not isinstance(fields, Mapping):
        raise InvalidInput("fields", _("fields must be an object: {field: contact id}."))
    by_id = {c.pk: c for c in [survivor, *merged]}
    errors = ErrorCollector()
    chosen: dict[str, Contact] = {}
    for name, source in fields.items():
        if name not in CHOOSABLE and not name.startswith("properties."):
            errors.add(
                f"fields.{name}",
                _("Cannot choose this field; choose from %(join_choosable)s or properties.<key>.")
                % {"join_choosable": ", ".join(CHOOSABLE)},
            )
            continue
        try:
            source_id = int(source)
        except (TypeError, ValueError):
            errors.add(f"fields.{name}", _("Give the id of the contact whose value to keep."))
            continue
        if source_id not in by_id:
            errors.add(
                f"fields.{name}",
                _("Contact #%(source_id)s is not part of this merge.") % {"source_id": source_id},
            )
            continue
        chosen[name] = by_id[source_id]
    errors.raise_if_any()
    return chosen


def _rows(queryset) -> list[dict]:
    return json.loads(serializers.serialize("json", queryset))


def _fingerprints(rows, *, column: str = "", value: int | None = None) -> dict[str, str]:
    """A short digest of each row, to tell at undo time whether it was edited since.

    With `column`, the digest is of the row as it will be once that column holds `value`, so
    it can be taken before a bulk re-pointing. 80 bits are plenty to notice an edit and keep the
    undo record small on long timelines. Rows are read in chunks, never named in one IN list.
    """
    prints = {}
    pk_name = rows.model._meta.pk.attname
    for row in rows.values().iterator(chunk_size=2000):
        if column:
            row[column] = value
        text = json.dumps(row, sort_keys=True, cls=DjangoJSONEncoder)
        prints[str(row[pk_name])] = hashlib.sha256(text.encode()).hexdigest()[:20]
    return prints


def _resolve(actor: User | SystemActor, contact_ids: list[int]) -> dict[int, Contact]:
    contacts_in_reach = visible_contacts(actor)
    found = {
        c.pk: c
        for c in contacts_in_reach.select_for_update(of=("self",))
        .select_related("company")
        .filter(pk__in=contact_ids)
    }
    missing = [i for i in contact_ids if i not in found]
    if missing:
        raise NotFound(
            _("No such contact: %(missing)s.") % {"missing": ", ".join(f"#{i}" for i in missing)}
        )
    for contact in found.values():
        if not contacts.can_edit(actor, contact):
            raise NotFound(_("No such contact: #%(contact_pk)s.") % {"contact_pk": contact.pk})
    return found


def _clean_ids(survivor_id: Any, merged_ids: Any) -> tuple[int, list[int]]:
    errors = ErrorCollector()
    survivor = None
    try:
        survivor = int(survivor_id)
    except (TypeError, ValueError):
        errors.add("survivor", _("Give the id of the contact that stays."))
    merged: list[int] = []
    if not isinstance(merged_ids, list) or not merged_ids:
        errors.add("merged", _("Give the ids of the contacts to merge into the survivor."))
    else:
        for index, value in enumerate(merged_ids):
            try:
                merged.append(int(value))
            except (TypeError, ValueError):
                errors.add(f"merged.{index}", _("Not a contact id."))
        if len(merged) > MAX_MERGED:
            errors.add(
                "merged",
                _("Merge at most %(max_merged)s contacts at once.") % {"max_merged": MAX_MERGED},
            )
        if len(set(merged)) != len(merged):
            errors.add("merged", _("A contact is listed twice."))
        if survivor is not None and survivor in merged:
            errors.add("merged", _("The survivor cannot be merged into itself."))
    errors.raise_if_any()
    return survivor, merged


@transaction.atomic
def merge_contacts(
    actor: User | SystemActor,
    *,
    survivor_id: Any,
    merged_ids: Any,
    fields: Any = None,
    actor_label: str = "",
) -> list[MergeRecord]:
    """Merge `merged_ids` into `survivor_id`; `fields` picks, per card field, whose value stays.

    The survivor keeps its own values (and its primary e-mail and phone) unless a field is
    chosen from another contact. Everything else moves onto the survivor. One transaction.
    """
    survivor_pk, merged_pks = _clean_ids(survivor_id, merged_ids)
    found = _resolve(actor, [survivor_pk, *merged_pks])
    survivor = found[survivor_pk]
    merged = [found[i] for i in merged_pks]
    choices = _clean_choices(fields, survivor, merged)
    all_relations = relations.checked_relations()
    records = []
    for contact in merged:
        own = {name: source for name, source in choices.items() if source.pk == contact.pk}
        records.append(_merge_one(actor, survivor, contact, own, all_relations, actor_label))
        survivor = Contact.objects.select_related("company").get(pk=survivor.pk)
    return records


def _card_lists(contact: Contact) -> dict[str, list]:
    return {
        "emails": list(
            contact.emails.order_by("-is_primary", "id").values_list("email", flat=True)
        ),
        "phones": list(
            contact.phones.order_by("-is_primary", "id").values_list("number", flat=True)
        ),
        "messengers": [[m.network, m.handle] for m in contact.messengers.all()],
        "owners": sorted(contact.owners.values_list("username", flat=True)),
    }


def _added(before: list, extra: list) -> list:
    return [item for item in extra if item not in before]


def _merge_one(
    actor: User | SystemActor,
    survivor: Contact,
    merged: Contact,
    chosen: dict[str, Contact],
    all_relations: list[relations.Relation],
    actor_label: str,
) -> MergeRecord:
    label = actor_label or system_label(actor)
    # No value is lost: a field the survivor leaves blank is filled from the merged contact.
    gaps = {
        name: merged
        for name in CHOOSABLE
        if name not in ("email", "phone")
        and field_value(survivor, name) in ("", None)
        and field_value(merged, name) not in ("", None)
    }
    chosen = {**gaps, **chosen}
    kept, dropped, card_rows = {}, [], {}
    # What moves onto the survivor and what goes, written through the contacts write plan.
    moved: list[tuple[Any, str, list]] = []
    removed: list[tuple[Any, list]] = []
    for relation in all_relations:
        policy = relation.policy
        rows = relation.rows(merged.pk)
        if policy.merge == relations.KEEP:
            continue
        if policy.merge == relations.CARD:
            card_rows[relation.key] = _rows(rows)
            continue
        clashing: list = []
        if policy.merge == relations.MOVE_UNIQUE:
            if policy.unique:
                taken = set(relation.rows(survivor.pk).values_list(*policy.unique))
            else:  # one row per contact: the survivor's own one stays
                taken = {()} if relation.rows(survivor.pk).exists() else set()
            clashing = [
                row.pk
                for row in rows
                if tuple(
                    getattr(row, f"{name}_id", getattr(row, name, None)) for name in policy.unique
                )
                in taken
            ]
            if clashing:
                dropped.extend(_rows(relation.model._default_manager.filter(pk__in=clashing)))
                removed.append((relation.model, clashing))
        elif policy.merge == relations.DELETE:
            rows_dropped = _rows(rows)
            dropped.extend(rows_dropped)
            removed.append((relation.model, [row["pk"] for row in rows_dropped]))
            continue
        prints = _fingerprints(rows, column=relation.column, value=survivor.pk)
        if clashing:
            gone = {str(pk) for pk in clashing}
            prints = {pk: digest for pk, digest in prints.items() if pk not in gone}
        if prints:
            pk_field = relation.model._meta.pk
            moved.append(
                (relation.model, relation.column, [pk_field.to_python(pk) for pk in prints])
            )
            kept[relation.key] = prints
    contact_plan.run_rows(contact_plan.plan_rows_moved(survivor.pk, moved, removed=removed))

    before = _card_lists(survivor)
    theirs = _card_lists(merged)
    survivor_fields = {name: field_value(survivor, name) for name in chosen}
    merged_properties = dict(merged.properties or {})
    snapshot = {
        "contact": _rows(Contact.objects.filter(pk=merged.pk)),
        "card": card_rows,
        "dropped": dropped,
        "moved": kept,
        "survivor_before": {**before, "fields": survivor_fields},
        "merged_card": theirs,
    }
    merged_pk, merged_name, merged_email = merged.pk, merged.full_name, merged.email
    # Not contacts.delete_contact: its "contact.deleted" event erases the contact's stored files,
    # which now belong to the survivor. Only the card rows (kept in the snapshot) go with it;
    # subscribers learn of the merge from "contact.merged".
    contact_plan.run_rows(contact_plan.plan_merged_contact_removed(merged_pk))

    data: dict[str, Any] = {}
    for name, source in chosen.items():
        if name in ("email", "phone"):
            continue
        if name.startswith("properties."):
            data.setdefault("properties", {})[name.split(".", 1)[1]] = field_value(source, name)
        else:
            data[name] = field_value(source, name)
    missing_details = {
        key: value
        for key, value in merged_properties.items()
        if key not in (survivor.properties or {}) and f"properties.{key}" not in chosen
    }
    if missing_details:
        data.setdefault("properties", {}).update(missing_details)
    emails = before["emails"] + _added(before["emails"], theirs["emails"])
    if "email" in chosen:
        primary = chosen["email"].email
        emails = [primary] + [e for e in emails if e != primary]
    phones = before["phones"] + _added(before["phones"], theirs["phones"])
    if "phone" in chosen and chosen["phone"].phone:
        primary = chosen["phone"].phone
        phones = [primary] + [p for p in phones if p != primary]
    data["emails"] = emails
    data["phones"] = phones
    data["messengers"] = [
        {"network": n, "handle": h}
        for n, h in before["messengers"] + _added(before["messengers"], theirs["messengers"])
    ]
    owners = before["owners"] + _added(before["owners"], theirs["owners"])
    if owners != before["owners"]:
        data["owners"] = owners
    survivor = contacts.update_contact(actor, survivor, data=data, actor_label=label)
    snapshot["survivor_after"] = {
        name: field_value(survivor, name)
        for name in [*chosen, *[f"properties.{k}" for k in missing_details]]
    }
    snapshot["survivor_before"]["fields"].update({f"properties.{k}": None for k in missing_details})

    now = timezone.now()
    record = MergeRecord.objects.create(
        survivor=survivor,
        merged_contact_id=merged_pk,
        snapshot=snapshot,
        merged_at=now,
        expires_at=now + timedelta(days=UNDO_DAYS),
        merged_by=user_or_none(actor),
        merged_by_label=label,
    )
    if merged.last_activity_at:
        # The merged contact's timeline is the survivor's now, and so is its latest activity.
        contacts.move_last_activity({survivor.pk: merged.last_activity_at})
    done = Plan()
    done.entries.append(
        kinds.merged(
            survivor,
            actor=actor,
            actor_label=label,
            record=record,
            merged_contact_id=merged_pk,
            name=merged_name,
            email=merged_email,
            moved={key: len(ids) for key, ids in kept.items()},
            fields=sorted(chosen),
            undo_until=record.expires_at,
        )
    )
    done.announce(
        "contact.merged",
        contact_id=survivor.pk,
        merged_contact_id=merged_pk,
        merge_id=record.pk,
        actor_id=getattr(actor, "pk", None),
    )
    contact_plan.run_rows(done)
    return record


def describe_problem(problem: dict) -> str:
    """One line of an undo report, for people."""
    where = problem.get("field") or f"{problem.get('table')} #{problem.get('id')}"
    return f"{where}: {problem.get('problem')}"


# Rows an undo gives back in one bulk write (a statement per table, two on SQLite past its
# parameters); a chunk that clashes with data added since goes again row by row.
RESTORE_CHUNK = 500


def _restore_rows(rows: list[dict], report: list[dict], what: str) -> None:
    """Put `rows` (as the merge kept them) back with their own ids, through contacts' write
    plan in bulk, a chunk of one table at a time. Only a chunk whose bulk write fails is written
    again row by row, so the report still names each row that could not come back."""
    items = list(serializers.deserialize("python", rows))
    for _model, run in itertools.groupby(items, key=lambda item: type(item.object)):
        run = list(run)
        for start in range(0, len(run), RESTORE_CHUNK):
            chunk = run[start : start + RESTORE_CHUNK]
            # Many-to-many lists are saved with their row, as deserialised objects save them.
            if not any(item.m2m_data for item in chunk):
                try:
                    with transaction.atomic():
                        plan = contact_plan.plan_rows_restored(item.object for item in chunk)
                        contact_plan.run_restored(plan)
                    continue
                except IntegrityError:
                    pass
            _restore_one_by_one(chunk, report, what)


def _restore_one_by_one(items: list, report: list[dict], what: str) -> None:
    for item in items:
        try:
            with transaction.atomic():
                item.save()
                contact_plan.rows_saved([item.object])
        except IntegrityError:
            report.append(
                {
                    "table": item.object._meta.label,
                    "id": item.object.pk,
                    "problem": _(
                        "%(what)s could not be put back: it clashes with data added since."
                    )
                    % {"what": what},
                }
            )


@transaction.atomic
def undo_merge(actor: User | SystemActor, merge: MergeRecord) -> MergeRecord:
    """Bring the merged contact back with its own data and rows; report what was edited since.

    Rows edited or removed since the merge stay where they are and are listed in the report.
    """
    if not is_admin(actor):
        raise Forbidden(_("Only admins may undo a merge."))
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict(_("This merge was already undone."))
    if merge.expires_at <= timezone.now():
        raise Conflict(
            _("Merges can be undone for %(undo_days)s days; this one is older.")
            % {"undo_days": UNDO_DAYS}
        )
    if Contact.objects.filter(pk=merge.merged_contact_id).exists():
        raise Conflict(
            _("Contact #%(id)s exists again; nothing to restore.") % {"id": merge.merged_contact_id}
        )
    all_relations = {r.key: r for r in relations.checked_relations()}
    snapshot = merge.snapshot
    label = system_label(actor)
    report: list[dict] = []
    survivor = Contact.objects.select_for_update(of=("self",)).get(pk=merge.survivor_id)

    # Give back the survivor what it had, field by field, unless someone changed it since.
    before, theirs = snapshot["survivor_before"], snapshot["merged_card"]
    current = _card_lists(survivor)
    data: dict[str, Any] = {}
    for name, old in before["fields"].items():
        now_value = field_value(survivor, name)
        if now_value != snapshot["survivor_after"].get(name):
            report.append(
                {"field": name, "problem": "edited on the survivor since the merge; kept"}
            )
        elif name.startswith("properties."):
            data.setdefault("properties", {})[name.split(".", 1)[1]] = old
        elif name not in ("email", "phone"):
            data[name] = old if old is not None else ""
    emails = [e for e in current["emails"] if e not in _added(before["emails"], theirs["emails"])]
    if emails and before["emails"] and before["emails"][0] in emails:
        emails = [before["emails"][0]] + [e for e in emails if e != before["emails"][0]]
    if emails != current["emails"]:
        data["emails"] = emails
    added_phones = _added(before["phones"], theirs["phones"])
    phones = [p for p in current["phones"] if p not in added_phones]
    if before["phones"] and before["phones"][0] in phones:
        phones = [before["phones"][0]] + [p for p in phones if p != before["phones"][0]]
    if phones != current["phones"]:
        data["phones"] = phones
    added_messengers = _added(before["messengers"], theirs["messengers"])
    messengers = [m for m in current["messengers"] if m not in added_messengers]
    if messengers != current["messengers"]:
        data["messengers"] = [{"network": n, "handle": h} for n, h in messengers]
    added_owners = _added(before["owners"], theirs["owners"])
    owners = [o for o in current["owners"] if o not in added_owners]
    if owners != current["owners"] and owners:
        data["owners"] = owners
    if data.get("birthday") == "":
        data["birthday"] = None
    if data:
        contacts.update_contact(actor, survivor, data=data, actor_label=label)

    # The merged contact itself, then its own rows, then the rows that moved.
    contact_rows = snapshot["contact"]
    for row in contact_rows:
        company_id = row["fields"].get("company")
        if company_id and not Company.objects.filter(pk=company_id).exists():
            row["fields"]["company"] = None
    _restore_rows(contact_rows, report, "The contact")
    restored = Contact.objects.get(pk=merge.merged_contact_id)
    for key, rows in snapshot["card"].items():
        if key in all_relations:
            _restore_rows(rows, report, "A card entry")
    _restore_rows(snapshot["dropped"], report, "A row")
    moved_back: list[tuple[Any, str, list]] = []
    for key, prints in snapshot["moved"].items():
        relation = all_relations.get(key)
        if relation is None:
            continue
        still = _fingerprints(relation.rows(survivor.pk))
        movable = []
        for pk, fingerprint in prints.items():
            if pk not in still:
                report.append(
                    {
                        "table": relation.model._meta.label,
                        "id": int(pk),
                        "problem": "removed from the survivor since the merge",
                    }
                )
            elif still[pk] != fingerprint:
                report.append(
                    {
                        "table": relation.model._meta.label,
                        "id": int(pk),
                        "problem": "edited since the merge; left on the survivor",
                    }
                )
            else:
                movable.append(relation.model._meta.pk.to_python(pk))
        moved_back.append((relation.model, relation.column, movable))
    contact_plan.run_rows(contact_plan.plan_rows_moved(restored.pk, moved_back))
    primary = restored.emails.order_by("-is_primary", "id").first()
    if primary is None:
        report.append({"field": "email", "problem": "no e-mail address could be given back"})
    else:
        contacts.update_contact(actor, restored, data={"email": primary.email}, actor_label=label)
        restored.refresh_from_db()

    merge.undone_at = timezone.now()
    merge.undone_by = user_or_none(actor)
    merge.undo_report = report
    merge.save(update_fields=["undone_at", "undone_by", "undo_report"])
    done = Plan()
    done.entries += kinds.merge_undone(
        survivor, restored, actor=actor, actor_label=label, merge_id=merge.pk, problems=len(report)
    )
    done.announce("contact.merge_undone", contact_id=survivor.pk, restored_contact_id=restored.pk)
    contact_plan.run_rows(done)
    return merge


def merge_exact_groups(actor: User | SystemActor, *, actor_label: str = "") -> list[MergeRecord]:
    """Merge every stored group of at most BULK_MAX_GROUP contacts found by exact conditions
    only, the oldest contact surviving.

    Each group is its own transaction, so one refused group does not undo the others.
    """
    scan = queries.last_scan()
    if scan is None:
        raise Conflict(_("No scan for duplicates has finished yet. Scan first, then merge."))
    records: list[MergeRecord] = []
    # A big group sharing one value (a switchboard number) is rarely one person: by hand.
    groups = queries.stored_groups(actor, scan).filter(exact=True, live__lte=BULK_MAX_GROUP)
    for group in queries.with_contact_ids(groups):
        survivor, *others = group.contact_ids
        records.extend(
            merge_contacts(actor, survivor_id=survivor, merged_ids=others, actor_label=actor_label)
        )
    return records


# --------------------------------------------------------------------------------------------
# Scans: finding the groups in the background and storing them


def request_scan(actor: User | SystemActor, *, trigger: str = "manual") -> DuplicateScan:
    """Queue a scan of the whole workspace (admins), or return the one already queued or running.

    Not in a transaction of its own: the scan row must be committed before a worker picks the
    task up.
    """
    from kartoteka.duplicates.tasks import scan_duplicates_task

    if not is_admin(actor):
        raise Forbidden(_("Only admins may start a scan for duplicates."))
    running = queries.running_scan()
    if running is not None:
        return running
    scan = _new_scan(actor, trigger)
    scan_duplicates_task.enqueue(scan.pk)
    scan.refresh_from_db()  # a worker may have moved it on already (at once, in tests)
    return scan


def scan_now(actor: User | SystemActor, *, trigger: str = "cli") -> DuplicateScan:
    """Scan in this process, without the queue (the CLI on the server); admins only.

    One scan at a time: a scan queued for a worker is run here instead (the worker then finds
    it done), and one a worker is running is waited for and returned rather than comparing the
    whole workspace twice at once. Only if that one fails or stalls does this scan anew.
    """
    if not is_admin(actor):
        raise Forbidden(_("Only admins may start a scan for duplicates."))
    while True:
        pending = queries.running_scan()
        scan = run_scan((pending or _new_scan(actor, trigger)).pk)
        if scan.state in ACTIVE_STATES:  # another process is running it
            scan = wait_for_scan(scan)
        if scan.state == ScanState.DONE:
            return scan


def _new_scan(actor: User | SystemActor, trigger: str) -> DuplicateScan:
    now = timezone.now()
    return DuplicateScan.objects.create(
        trigger=trigger, requested_by=user_or_none(actor), requested_at=now, updated_at=now
    )


def _advance(scan: DuplicateScan, **changes: Any) -> None:
    changes["updated_at"] = timezone.now()
    DuplicateScan.objects.filter(pk=scan.pk).update(**changes)
    for name, value in changes.items():
        setattr(scan, name, value)


# How often a caller waiting for another scan looks at it again.
WAIT_SECONDS = 1.0


def _pause() -> None:
    time.sleep(WAIT_SECONDS)


def wait_for_scan(scan: DuplicateScan) -> DuplicateScan:
    """Wait until the scan is done or failed, or stalls (its worker died); return it as it is."""
    while True:
        scan = DuplicateScan.objects.get(pk=scan.pk)
        stalled = scan.updated_at <= timezone.now() - queries.STALLED_AFTER
        if scan.state not in ACTIVE_STATES or stalled:
            return scan
        _pause()


def _claim(scan: DuplicateScan) -> bool | None:
    """Make this the one scan running: True if it now is, False while another scan holds the
    claim, None if this scan is already being run (it is past queued and still moving)."""
    now = timezone.now()
    stalled = now - queries.STALLED_AFTER
    # A claim whose scan stopped moving lost its worker: it blocks nobody.
    DuplicateScan.objects.filter(running=True, updated_at__lte=stalled).exclude(pk=scan.pk).update(
        running=None
    )
    try:
        with transaction.atomic():
            claimed = (
                DuplicateScan.objects.filter(pk=scan.pk, state__in=ACTIVE_STATES)
                .filter(Q(state=ScanState.QUEUED) | Q(updated_at__lte=stalled))
                .update(running=True, state=ScanState.READING, started_at=now, updated_at=now)
            )
    except IntegrityError:
        return False
    return True if claimed else None


def run_scan(scan_id: int) -> DuplicateScan:
    """Find the groups with the active rules and store them; older scans are dropped.

    One scan runs at a time: while another holds the claim, this one stays queued and waits for
    it. Safe to run twice: a finished or failed scan, or one being run, is left as it is.
    Progress is written as it goes (contacts read, then the stage), so the page can show how far
    it is.
    """
    scan = queries.get_scan(scan_id)
    while True:
        if scan.state in (ScanState.DONE, ScanState.FAILED):
            return scan
        claimed = _claim(scan)
        if claimed:
            break
        if claimed is None:
            return scan
        holder = DuplicateScan.objects.filter(running=True).first()
        if holder is not None:
            wait_for_scan(holder)
        scan = queries.get_scan(scan_id)
    try:
        _advance(
            scan,
            state=ScanState.READING,
            contacts_total=Contact.objects.count(),
            contacts_read=0,
        )
        records = queries.finder_records(progress=lambda read: _advance(scan, contacts_read=read))
        _advance(scan, state=ScanState.MATCHING, contacts_read=len(records))
        result = find_groups(records, queries.active_rules())
        del records
        _advance(scan, state=ScanState.SAVING)
        _store_groups(scan, result.groups)
        _advance(
            scan,
            state=ScanState.DONE,
            running=None,
            finished_at=timezone.now(),
            groups_found=len(result.groups),
            pairs_compared=result.pairs_compared,
            oversized_blocks=result.oversized_blocks,
        )
    except Exception as exc:
        _advance(
            scan,
            state=ScanState.FAILED,
            running=None,
            finished_at=timezone.now(),
            message=str(exc)[:2000],
        )
        raise
    _drop_older_scans(scan)
    return scan


@transaction.atomic
def _store_groups(scan: DuplicateScan, groups: list) -> None:
    """Groups in rank order (their ids keep it), then their members, through the bulk insert
    of imports (no model instance per row: a million contacts' scan stores tens of
    thousands)."""
    ids = insert_values(
        DuplicateGroup,
        ["scan_id", "reasons", "confidence", "exact"],
        [(scan.pk, group.reasons, group.confidence, group.exact) for group in groups],
        returning=True,
    )
    insert_values(
        DuplicateMember,
        ["group_id", "contact_id"],
        [
            (group_id, contact_id)
            for group_id, group in zip(ids, groups, strict=True)
            for contact_id in group.contact_ids
        ],
        prepared=True,
    )


def _drop_older_scans(scan: DuplicateScan) -> None:
    """Only the newest finished scan is shown: older ones go, and so do runs that stalled."""
    older = DuplicateScan.objects.filter(requested_at__lt=scan.requested_at).exclude(
        state__in=ACTIVE_STATES, updated_at__gt=timezone.now() - queries.STALLED_AFTER
    )
    # Members first in one statement, so the cascade from the groups has nothing left to fetch.
    DuplicateMember.objects.filter(group__scan__in=older).delete()
    DuplicateGroup.objects.filter(scan__in=older).delete()
    older.delete()


def _rules_changed(actor: User | SystemActor) -> None:
    """The stored groups follow the old rules: scan again once the change is committed."""
    transaction.on_commit(lambda: request_scan(actor, trigger="rules"))


# --------------------------------------------------------------------------------------------
# Matching rules


def _require_admin(actor: User | SystemActor) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only admins may change the matching rules."))


def clean_rule(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a rule's fields; raise InvalidInput naming each bad one."""
    errors = ErrorCollector()
    cleaned: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors.add("name", _("Give the rule a name."))
    elif len(name) > 100:
        errors.add("name", _("A rule name has at most 100 characters."))
    cleaned["name"] = name
    conditions = data.get("conditions")
    cleaned["conditions"] = []
    if not isinstance(conditions, list) or not conditions:
        errors.add("conditions", _("Add at least one condition."))
    else:
        for index, condition in enumerate(conditions):
            if not isinstance(condition, Mapping):
                errors.add(f"conditions.{index}", _("Each condition is {field, match}."))
                continue
            field, match = condition.get("field"), condition.get("match", EXACT)
            if field not in FIELDS:
                errors.add(
                    f"conditions.{index}.field",
                    _("Field must be one of: %(join_fields)s.")
                    % {"join_fields": ", ".join(FIELDS)},
                )
            elif match not in (EXACT, FUZZY):
                errors.add(f"conditions.{index}.match", _("Match must be exact or fuzzy."))
            elif match == FUZZY and field not in FUZZY_FIELDS:
                errors.add(
                    f"conditions.{index}.match",
                    _("Only %(join_fuzzy_fields)s can be compared fuzzily.")
                    % {"join_fuzzy_fields": ", ".join(FUZZY_FIELDS)},
                )
            elif {"field": field, "match": match} in cleaned["conditions"]:
                errors.add(f"conditions.{index}", _("This condition is listed twice."))
            else:
                cleaned["conditions"].append({"field": field, "match": match})
    combine = data.get("combine", Combine.ALL)
    if combine not in Combine.values:
        errors.add("combine", _("Combine must be all or any."))
    cleaned["combine"] = combine
    for key, label, low, default in (
        ("min_similarity", _("Similarity"), 50, 88),
        ("confidence", _("Confidence"), 1, 80),
    ):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            errors.add(
                key,
                _("%(field)s must be a whole number.") % {"field": label},
            )
        elif not low <= int(value) <= 100:
            errors.add(
                key,
                _("%(field)s must be between %(low)s and 100.") % {"field": label, "low": low},
            )
        else:
            cleaned[key] = int(value)
    cleaned["is_active"] = bool(data.get("is_active", True))
    errors.raise_if_any()
    return cleaned


@transaction.atomic
def create_rule(actor: User | SystemActor, *, data: Mapping[str, Any]) -> MatchingRule:
    _require_admin(actor)
    cleaned = clean_rule(data)
    last = MatchingRule.objects.order_by("-position").values_list("position", flat=True).first()
    rule = MatchingRule.objects.create(**cleaned, position=(last or 0) + 1)
    _rules_changed(actor)
    return rule


@transaction.atomic
def update_rule(
    actor: User | SystemActor, rule: MatchingRule, *, data: Mapping[str, Any]
) -> MatchingRule:
    _require_admin(actor)
    current = {
        "name": rule.name,
        "conditions": rule.conditions,
        "combine": rule.combine,
        "min_similarity": rule.min_similarity,
        "confidence": rule.confidence,
        "is_active": rule.is_active,
    }
    cleaned = clean_rule({**current, **data})
    for key, value in cleaned.items():
        setattr(rule, key, value)
    rule.save()
    _rules_changed(actor)
    return rule


@transaction.atomic
def delete_rule(actor: User | SystemActor, rule: MatchingRule) -> None:
    _require_admin(actor)
    rule.delete()
    _rules_changed(actor)

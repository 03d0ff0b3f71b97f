"""Every write of the deals app: pipelines and their stages, deal types, deals, their moves
between stages (with a version check) and their notes.

A service validates, writes, records the timeline entries on the deal's contacts and announces
the domain event, in one transaction. A move is computed by `plan_move` alone, which both the
single move and the bulk move run.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Exists, F, Max, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import services as activity
from kartoteka.activity.services import record_many
from kartoteka.activity.timeline import Entry
from kartoteka.contacts.models import Contact, ContactOwner, PropertyDefinition
from kartoteka.contacts.properties import merge_typed_values, validate_definition
from kartoteka.core import events
from kartoteka.core.errors import Conflict, ErrorCollector, Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import clean_text
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import is_admin, require_actor, user_or_none, visible_contacts
from kartoteka.deals import kinds
from kartoteka.deals.models import (
    Deal,
    DealActivity,
    DealContact,
    DealField,
    DealNote,
    DealType,
    DealViewer,
    Pipeline,
    Stage,
    StageKind,
    StageMove,
)

NAME_LENGTH = 255
REASON_LENGTH = 500
MAX_AMOUNT = Decimal("999999999999.99")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _require_admin(actor, what: str) -> None:
    if not is_admin(require_actor(actor)):
        raise Forbidden(_("Only admins may %(what)s.") % {"what": what})


def _text(value: Any, field: str, errors: ErrorCollector, *, max_length: int, required=False):
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _("Expected text."))
        return ""
    try:
        cleaned = clean_text(value, field=field, max_length=max_length)
    except InvalidInput as exc:
        errors.capture(exc)
        return ""
    if required and not cleaned:
        errors.add(field, _("This field is required."))
    return cleaned


# --------------------------------------------------------------------------------------------
# Who may see a deal through its contacts (DealViewer): links joined with ownership rows


# Ids a statement takes at once (SQLite's oldest builds bind at most 999 parameters).
_VIEWER_CHUNK = 900


def _viewers_sql(where: str = "") -> tuple[str, str]:
    """The DELETE of DealViewer rows and the INSERT … SELECT of what they should be, from the
    links and the owners as they are now, both narrowed by `where` (a condition on a column
    the two tables share, "{column} IN (…)")."""
    quote = connection.ops.quote_name
    viewers, links, owners = (
        quote(m._meta.db_table) for m in (DealViewer, DealContact, ContactOwner)
    )
    delete = f"DELETE FROM {viewers}" + (f" WHERE {where.format(column='')}" if where else "")
    insert = (
        f"INSERT INTO {viewers} (user_id, deal_id, contact_id)"
        f" SELECT o.user_id, l.deal_id, l.contact_id FROM {links} l"
        f" JOIN {owners} o ON o.contact_id = l.contact_id"
    ) + (f" WHERE {where.format(column='l.')}" if where else "")
    return delete, insert


def _lock_contacts(cursor, ids: list, *, share: bool) -> None:
    """On PostgreSQL, lock the contacts' rows (sorted, so two writers take them in one order)
    until the transaction ends: a change of a contact's owners takes them exclusively, a
    change of a deal's links shared. Whichever of two such writers comes second waits for the
    first to commit, and its statements then see what the first wrote (READ COMMITTED), so
    neither recomputes a viewer row from a state the other is changing. (Not on SQLite, which
    serialises write transactions already.)"""
    if not ids:
        return
    table = connection.ops.quote_name(Contact._meta.db_table)
    mode = "FOR SHARE" if share else "FOR NO KEY UPDATE"
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(f"SELECT id FROM {table} WHERE id IN ({marks}) ORDER BY id {mode}", ids)


def _refresh_viewers(column: str, ids, *, contacts=()) -> None:
    """Recompute the DealViewer rows whose `column` ("deal_id" or "contact_id") is one of
    `ids`: one DELETE and one INSERT … SELECT per chunk of ids, in the caller's transaction,
    after locking the contacts concerned (those given, and by deal those linked now)."""
    ids = sorted(ids)
    locking = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if column == "deal_id" and locking:
            locked = {c for c in contacts if c is not None}
            for start in range(0, len(ids), _VIEWER_CHUNK):
                links = DealContact.objects.filter(
                    deal_id__in=ids[start : start + _VIEWER_CHUNK], contact__isnull=False
                )
                locked.update(links.values_list("contact_id", flat=True))
            locked = sorted(locked)
            for start in range(0, len(locked), _VIEWER_CHUNK):
                _lock_contacts(cursor, locked[start : start + _VIEWER_CHUNK], share=True)
        for start in range(0, len(ids), _VIEWER_CHUNK):
            chunk = ids[start : start + _VIEWER_CHUNK]
            if column == "contact_id" and locking:
                _lock_contacts(cursor, chunk, share=False)
            delete, insert = _viewers_sql(
                "{column}" + column + " IN (" + ", ".join(["%s"] * len(chunk)) + ")"
            )
            cursor.execute(delete, chunk)
            cursor.execute(insert, chunk)


def refresh_viewers_of_deals(deal_ids, *, unlinked=()) -> None:
    """After the contacts of these deals changed (or the deals were created); `unlinked`: the
    contacts whose links to them went."""
    _refresh_viewers("deal_id", deal_ids, contacts=unlinked)


def refresh_viewers_of_contacts(contact_ids) -> None:
    """After the owners or the deal links of these contacts changed: registered from
    DealsConfig.ready() as a watch (core.writeplan) of contacts' owners and of deals' links,
    which every contacts write plan (the card, the API, bulk changes, imports, merges and
    their undo) calls in its transaction."""
    _refresh_viewers("contact_id", contact_ids)


@transaction.atomic
def rebuild_viewers() -> None:
    """Every DealViewer row anew, from all links and owners (after a load written around the
    services, e.g. bench/deals.py's)."""
    with connection.cursor() as cursor:
        for statement in _viewers_sql():
            cursor.execute(statement)


# --------------------------------------------------------------------------------------------
# Pipelines and stages

# What ships with the app, made on first use: the "Sales" pipeline's stages (key, win
# probability, kind) and the deal types. Their names stay empty, so each reads in the reader's
# language until an admin renames it.
DEFAULT_STAGES = [
    ("new", 10, StageKind.OPEN),
    ("qualified", 25, StageKind.OPEN),
    ("proposal", 50, StageKind.OPEN),
    ("negotiation", 75, StageKind.OPEN),
    ("won", 100, StageKind.WON),
    ("lost", 0, StageKind.LOST),
]
DEFAULT_TYPES = ["new_business", "upsell", "cross_sell", "renewal"]


def install_defaults() -> None:
    """Make the default pipeline and deal types unless there are some already (retired ones
    count: an admin who retired them all does not get them back). Every page of the board
    calls it: once they exist it reads, without opening a write transaction."""
    if Pipeline.objects.exists() and DealType.objects.exists():
        return
    _install_defaults()


@transaction.atomic
def _install_defaults() -> None:
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(key="sales", position=0)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, key=key, probability=probability, kind=kind, position=index)
            for index, (key, probability, kind) in enumerate(DEFAULT_STAGES)
        )
    if not DealType.objects.exists():
        DealType.objects.bulk_create(
            DealType(key=key, position=index) for index, key in enumerate(DEFAULT_TYPES)
        )


def _clean_stages(stages: Any, errors: ErrorCollector) -> list[dict]:
    if not isinstance(stages, list) or not stages:
        errors.add("stages", _("A pipeline needs at least one stage."))
        return []
    cleaned = []
    for index, stage in enumerate(stages):
        prefix = f"stages.{index}."
        if not isinstance(stage, dict):
            errors.add(f"stages.{index}", _("Each stage is an object with a name."))
            continue
        name = _text(stage.get("name"), prefix + "name", errors, max_length=100)
        if not name and not stage.get("id"):
            errors.add(prefix + "name", _("This field is required."))
        probability = stage.get("probability", 0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int)
            or not 0 <= probability <= 100
        ):
            errors.add(prefix + "probability", _("A whole percentage from 0 to 100."))
            probability = 0
        kind = stage.get("kind", StageKind.OPEN)
        if kind not in StageKind.values:
            errors.add(
                prefix + "kind",
                _("Kind must be one of: %(values)s.") % {"values": ", ".join(StageKind.values)},
            )
        stage_id = stage.get("id")
        if stage_id is not None and (isinstance(stage_id, bool) or not isinstance(stage_id, int)):
            errors.add(prefix + "id", _("Expected a stage id."))
            stage_id = None
        cleaned.append({"id": stage_id, "name": name, "probability": probability, "kind": kind})
    kinds_given = [s["kind"] for s in cleaned]
    if cleaned and StageKind.OPEN not in kinds_given:
        errors.add("stages", _("A pipeline needs at least one open stage."))
    return cleaned


@transaction.atomic
def create_pipeline(actor, *, name: str, stages: list[dict]) -> Pipeline:
    _require_admin(actor, _("manage pipelines"))
    errors = ErrorCollector()
    name = _text(name, "name", errors, max_length=100, required=True)
    cleaned = _clean_stages(stages, errors)
    if any(s["id"] for s in cleaned):
        errors.add("stages", _("A new pipeline's stages have no ids yet."))
    errors.raise_if_any()
    position = (Pipeline.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    pipeline = Pipeline.objects.create(name=name, position=position)
    Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            name=s["name"],
            probability=s["probability"],
            kind=s["kind"],
            position=index,
        )
        for index, s in enumerate(cleaned)
    )
    events.publish("pipeline.changed", pipeline_id=pipeline.pk)
    return pipeline


@transaction.atomic
def update_pipeline(
    actor, pipeline: Pipeline, *, name: str | None = None, stages: list[dict] | None = None
) -> Pipeline:
    """Rename the pipeline; with `stages`, the whole ordered list: stages with an id are renamed,
    re-weighted and put in this order, stages without one are added, and stages left out are
    retired (they keep their history; one that still holds open deals is refused)."""
    _require_admin(actor, _("manage pipelines"))
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    errors = ErrorCollector()
    if name is not None:
        name = _text(name, "name", errors, max_length=100, required=True)
    cleaned = _clean_stages(stages, errors) if stages is not None else None
    current = {s.pk: s for s in pipeline.stages.filter(retired_at__isnull=True)}
    if cleaned is not None:
        given = [s["id"] for s in cleaned if s["id"]]
        for index, stage in enumerate(cleaned):
            if stage["id"] and stage["id"] not in current:
                errors.add(f"stages.{index}.id", _("No such stage in this pipeline."))
        if len(given) != len(set(given)):
            errors.add("stages", _("A stage is listed twice."))
        leaving = [s for pk, s in current.items() if pk not in given]
        busy = [s.label for s in leaving if s.deals.filter(status=StageKind.OPEN).exists()]
        if busy:
            errors.add(
                "stages",
                _("Move the open deals out of %(stages)s before retiring it.")
                % {"stages": ", ".join(busy)},
            )
    errors.raise_if_any()
    now = timezone.now()
    if name is not None:
        pipeline.name = name
        pipeline.save(update_fields=["name"])
    if cleaned is not None:
        Stage.objects.filter(pk__in=[s.pk for s in leaving]).update(retired_at=now)
        for index, stage in enumerate(cleaned):
            if stage["id"]:
                row = current[stage["id"]]
                if stage["kind"] != row.kind and row.deals.exists():
                    raise InvalidInput(
                        f"stages.{index}.kind",
                        _("A stage that holds deals keeps its kind; add a new stage instead."),
                    )
                row.name = stage["name"] or row.name
                row.probability = stage["probability"]
                row.kind = stage["kind"]
                row.position = index
                row.save(update_fields=["name", "probability", "kind", "position"])
            else:
                Stage.objects.create(
                    pipeline=pipeline,
                    name=stage["name"],
                    probability=stage["probability"],
                    kind=stage["kind"],
                    position=index,
                )
    events.publish("pipeline.changed", pipeline_id=pipeline.pk)
    return pipeline


@transaction.atomic
def retire_pipeline(actor, pipeline: Pipeline) -> None:
    """Take the pipeline off the boards; its deals and history stay for the reports."""
    _require_admin(actor, _("manage pipelines"))
    open_deals = pipeline.deals.filter(status=StageKind.OPEN).count()
    if open_deals:
        raise Conflict(
            ngettext(
                "This pipeline still has %(count)s open deal; move or close it first.",
                "This pipeline still has %(count)s open deals; move or close them first.",
                open_deals,
            )
            % {"count": open_deals}
        )
    now = timezone.now()
    Pipeline.objects.filter(pk=pipeline.pk).update(retired_at=now)
    pipeline.stages.filter(retired_at__isnull=True).update(retired_at=now)
    events.publish("pipeline.changed", pipeline_id=pipeline.pk)


@transaction.atomic
def add_deal_type(actor, *, name: str) -> DealType:
    _require_admin(actor, _("manage deal types"))
    errors = ErrorCollector()
    name = _text(name, "name", errors, max_length=100, required=True)
    errors.raise_if_any()
    if any(t.label.casefold() == name.casefold() for t in DealType.objects.all()):
        raise Conflict(_("There is already a deal type with this name."), field="name")
    position = (DealType.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    return DealType.objects.create(name=name, position=position)


# --------------------------------------------------------------------------------------------
# Deals


DEAL_FIELDS = (
    "name",
    "amount",
    "currency",
    "owner",
    "pipeline",
    "stage",
    "type",
    "expected_close_date",
    "contacts",
    "primary_contact",
    "properties",
)


def _amount(value: Any, errors: ErrorCollector) -> Decimal:
    if isinstance(value, bool) or value is None:
        errors.add("amount", _("Expected an amount, e.g. 1200.50."))
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        errors.add("amount", _("Expected an amount, e.g. 1200.50."))
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        errors.add("amount", _("An amount from 0 to 999,999,999,999.99."))
        return Decimal(0)
    if amount != amount.quantize(Decimal("0.01")):
        errors.add("amount", _("At most two decimals."))
    return amount.quantize(Decimal("0.01"))


def _close_date(value: Any, errors: ErrorCollector) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add("expected_close_date", _("Use a date (YYYY-MM-DD)."))
        return None


def _definition(field: DealField) -> PropertyDefinition:
    """The deal field as a detail definition (unsaved), so its values are typed like a
    contact's custom details."""
    return PropertyDefinition(
        key=field.key, label=field.label, type=field.type, choices=field.choices
    )


def _properties(value: Any, current: dict, errors: ErrorCollector) -> dict:
    return merge_typed_values(
        value,
        current,
        {f.key: _definition(f) for f in DealField.objects.all()},
        errors,
        not_an_object=_("Expected an object of custom fields."),
        unknown_key=_("No deal field with this key."),
    )


def _stage_for(pipeline: Pipeline, stage_id: Any, errors: ErrorCollector) -> Stage | None:
    if stage_id in (None, ""):
        stage = pipeline.stages.filter(retired_at__isnull=True, kind=StageKind.OPEN).first()
        if stage is None:
            errors.add("stage", _("This pipeline has no open stage."))
        return stage
    stage = (
        Stage.objects.filter(pk=stage_id, pipeline=pipeline, retired_at__isnull=True).first()
        if isinstance(stage_id, int) and not isinstance(stage_id, bool)
        else None
    )
    if stage is None:
        errors.add("stage", _("No such stage in this pipeline."))
    return stage


@dataclass
class _Cleaned:
    values: dict
    contacts: list[int] | None
    primary: int | None


def _clean_deal(actor, data: dict, *, deal: Deal | None) -> _Cleaned:
    """Validate a deal's fields (all of them for a new deal, those present for an edit)."""
    errors = ErrorCollector()
    unknown = sorted(set(data) - set(DEAL_FIELDS))
    for name in unknown:
        errors.add(name, _("Not a field of a deal."))
    values: dict[str, Any] = {}
    creating = deal is None
    if creating or "name" in data:
        values["name"] = _text(
            data.get("name"), "name", errors, max_length=NAME_LENGTH, required=True
        )
    if "amount" in data:
        values["amount"] = _amount(data["amount"], errors)
    if "currency" in data:
        currency = str(data["currency"] or "").strip().upper()
        if not _CURRENCY.match(currency):
            errors.add("currency", _("A three-letter currency code, e.g. EUR."))
        values["currency"] = currency
    if "owner" in data:
        owner = data["owner"]
        if owner in (None, ""):
            values["owner"] = None
        else:
            found = users_by_username([str(owner)]).get(str(owner))
            if found is None:
                errors.add("owner", _("No active team member with this username."))
            values["owner"] = found
    elif creating:
        values["owner"] = user_or_none(actor)
    if "type" in data:
        type_value = data["type"]
        if type_value in (None, ""):
            values["type"] = None
        else:
            found = _deal_type(type_value)
            if found is None:
                errors.add("type", _("No such deal type."))
            values["type"] = found
    if "expected_close_date" in data:
        values["expected_close_date"] = _close_date(data["expected_close_date"], errors)
    if "properties" in data:
        values["properties"] = _properties(
            data["properties"], deal.properties if deal else {}, errors
        )
    # Pipeline and stage: a new deal's (the first pipeline and its first open stage unless
    # given); an edit may change them only through a move.
    if creating:
        install_defaults()
        pipeline_id = data.get("pipeline")
        pipelines = Pipeline.objects.filter(retired_at__isnull=True)
        if pipeline_id in (None, ""):
            pipeline = pipelines.first()
        elif isinstance(pipeline_id, int) and not isinstance(pipeline_id, bool):
            pipeline = pipelines.filter(pk=pipeline_id).first()
        else:
            pipeline = None
        if pipeline is None:
            errors.add("pipeline", _("No such pipeline."))
        else:
            values["pipeline"] = pipeline
            values["stage"] = _stage_for(pipeline, data.get("stage"), errors)
    else:
        for name in ("pipeline", "stage"):
            if name in data and data[name] != getattr(deal, f"{name}_id"):
                errors.add(name, _("Move the deal to change its stage or pipeline."))
    contacts = None
    primary = None
    if creating or "contacts" in data or "primary_contact" in data:
        contacts, primary = _clean_contacts(actor, data, deal, errors)
    errors.raise_if_any()
    return _Cleaned(values, contacts, primary)


def _deal_type(value: Any) -> DealType | None:
    types = DealType.objects.filter(retired_at__isnull=True)
    if isinstance(value, int) and not isinstance(value, bool):
        return types.filter(pk=value).first()
    text = str(value).strip().casefold()
    return next((t for t in types if t.key == text or t.label.casefold() == text), None)


def _clean_contacts(actor, data: dict, deal: Deal | None, errors: ErrorCollector):
    if "contacts" in data:
        raw = data["contacts"] or []
        if not isinstance(raw, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in raw
        ):
            errors.add("contacts", _("Expected a list of contact ids."))
            return None, None
        ids = list(dict.fromkeys(raw))
    else:
        ids = list(deal.contact_links.values_list("contact_id", flat=True)) if deal else []
    seen = set(visible_contacts(actor).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [c for c in ids if c not in seen]
    if missing:
        errors.add(
            "contacts",
            _("No such contact: %(ids)s.") % {"ids": ", ".join(str(c) for c in missing)},
        )
    primary = data.get("primary_contact")
    if primary is None and ids:
        current = (
            deal.contact_links.filter(is_primary=True).values_list("contact_id", flat=True).first()
            if deal
            else None
        )
        primary = current if current in ids else ids[0]
    if primary is not None:
        if isinstance(primary, bool) or not isinstance(primary, int):
            errors.add("primary_contact", _("Expected a contact id."))
        elif primary not in ids:
            if primary in set(
                visible_contacts(actor).filter(pk=primary).values_list("pk", flat=True)
            ):
                ids.insert(0, primary)
            else:
                errors.add("primary_contact", _("No such contact: %(ids)s.") % {"ids": primary})
    return ids, primary


def _deal_contact_ids(deal: Deal) -> list[int]:
    return list(
        deal.contact_links.order_by("-is_primary", "id").values_list("contact_id", flat=True)
    )


def _set_contacts(deal: Deal, ids: list[int], primary: int | None) -> None:
    unlinked = list(
        deal.contact_links.exclude(contact_id__in=ids).values_list("contact_id", flat=True)
    )
    deal.contact_links.exclude(contact_id__in=ids).delete()
    deal.contact_links.filter(is_primary=True).exclude(contact_id=primary).update(is_primary=False)
    existing = set(deal.contact_links.values_list("contact_id", flat=True))
    DealContact.objects.bulk_create(
        DealContact(deal=deal, contact_id=c, is_primary=False) for c in ids if c not in existing
    )
    if primary is not None:
        deal.contact_links.filter(contact_id=primary).update(is_primary=True)
    refresh_viewers_of_deals([deal.pk], unlinked=unlinked)


@transaction.atomic
def create_deal(actor, *, data: dict) -> Deal:
    return create_deals(actor, rows=[data])[0]


@transaction.atomic
def create_deals(actor, *, rows: list[dict]) -> list[Deal]:
    """Create deals as `create_deal` does, many at once (the demo): every row is checked
    first (InvalidInput for the first bad one, nothing written), then the deals, their
    contacts, first stage moves and timeline entries are written in bulk."""
    require_actor(actor)
    return _write_new_deals(actor, [_clean_deal(actor, data, deal=None) for data in rows])


@dataclass
class NewDeal:
    """A new deal of one contact whose fields its author already resolved and knows valid
    (the demo): no lookups per deal."""

    name: str
    amount: Decimal
    owner: User | None
    type: DealType | None
    stage: Stage
    contact_id: int
    expected_close_date: dt.date | None = None


@transaction.atomic
def create_resolved_deals(actor, *, deals: list[NewDeal]) -> list[Deal]:
    """Create many deals as create_deals writes them, from fields resolved by the caller (a
    demo's tens of thousands of deals, where create_deals' checks look each one's owner,
    type, stage and contact up in turn)."""
    require_actor(actor)
    return _write_new_deals(
        actor,
        [
            _Cleaned(
                {
                    "name": deal.name,
                    "amount": deal.amount,
                    "owner": deal.owner,
                    "type": deal.type,
                    "expected_close_date": deal.expected_close_date,
                    "pipeline": deal.stage.pipeline,
                    "stage": deal.stage,
                },
                [deal.contact_id],
                deal.contact_id,
            )
            for deal in deals
        ],
    )


def _write_new_deals(actor, checked: list[_Cleaned]) -> list[Deal]:
    """Write checked new deals, their contacts, first stage moves and timeline entries in bulk,
    and announce them."""
    now = timezone.now()
    user = user_or_none(actor)
    deals = Deal.objects.bulk_create(
        Deal(
            **cleaned.values,
            status=cleaned.values["stage"].kind,
            closed_at=now if cleaned.values["stage"].kind != StageKind.OPEN else None,
            stage_entered_at=now,
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        for cleaned in checked
    )
    links, entries = [], []
    for deal, cleaned in zip(deals, checked, strict=True):
        # The primary contact first, as _deal_contact_ids orders them.
        ids = sorted(cleaned.contacts or [], key=lambda c, p=cleaned.primary: c != p)
        primary = cleaned.primary
        links += [DealContact(deal=deal, contact_id=c, is_primary=c == primary) for c in ids]
        entries += kinds.deal_entries(
            kinds.DEAL_CREATED, deal, ids, actor=actor, stage=deal.stage.label
        )
    DealContact.objects.bulk_create(links)
    refresh_viewers_of_deals([deal.pk for deal in deals])
    StageMove.objects.bulk_create(
        StageMove(deal=deal, to_stage=deal.stage, moved_at=now, moved_by=user) for deal in deals
    )
    record_many(entries)
    events.publish_many("deal.created", [{"deal_id": deal.pk} for deal in deals])
    for stage in {deal.stage for deal in deals}:  # deals recorded as won from the start
        _announce_won(actor, [deal for deal in deals if deal.stage == stage], stage)
    return deals


def _check_version(deal: Deal, expected_version: int | None) -> None:
    if expected_version is not None and deal.version != expected_version:
        raise Conflict(
            _(
                "This deal was changed by someone else (version %(deal_version)s, "
                "you had %(expected_version)s). Reload and try again."
            )
            % {"deal_version": deal.version, "expected_version": expected_version},
            field="version",
        )


def _bump(deal: Deal, expected_version: int, **values: Any) -> None:
    """Write `values` only if the deal is still at `expected_version`, in one statement, so two
    writers that read the same version cannot both succeed."""
    written = Deal.objects.filter(pk=deal.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if not written:
        current = Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).first()
        if current is None:
            raise NotFound(_("No such deal."))
        deal.version = current
        _check_version(deal, expected_version)
    deal.version = expected_version + 1


@transaction.atomic
def update_deal(actor, deal: Deal, *, data: dict, expected_version: int | None = None) -> Deal:
    require_actor(actor)
    _check_version(deal, expected_version)
    cleaned = _clean_deal(actor, data, deal=deal)
    now = timezone.now()
    _bump(deal, deal.version, updated_at=now, **cleaned.values)
    for name, value in cleaned.values.items():
        setattr(deal, name, value)
    deal.updated_at = now
    if cleaned.contacts is not None:
        _set_contacts(deal, cleaned.contacts, cleaned.primary)
    events.publish("deal.changed", deal_id=deal.pk)
    return deal


@dataclass
class MovePlan:
    """What one move writes: the deal's new values, its history row, the timeline entries."""

    values: dict
    move: StageMove
    entries: list[Entry]


def plan_move(actor, deal: Deal, stage: Stage, *, reason: str, now: dt.datetime) -> MovePlan:
    """Compute a move of `deal` into `stage` (already validated), without writing it."""
    closing = stage.kind != StageKind.OPEN
    values = {
        "stage_id": stage.pk,
        "status": stage.kind,
        "stage_entered_at": now,
        "updated_at": now,
        "closed_at": now if closing else None,
        "close_reason": reason if closing else "",
    }
    move = StageMove(
        deal_id=deal.pk,
        from_stage_id=deal.stage_id,
        to_stage=stage,
        moved_at=now,
        moved_by=user_or_none(actor),
        seconds_in_previous=int((now - deal.stage_entered_at).total_seconds()),
        reason=reason,
    )
    kind = {
        StageKind.WON: kinds.DEAL_WON,
        StageKind.LOST: kinds.DEAL_LOST,
    }.get(stage.kind, kinds.DEAL_STAGE_CHANGED)
    entries = kinds.deal_entries(
        kind,
        deal,
        _deal_contact_ids(deal),
        actor=actor,
        **{"from": deal.stage.label, "to": stage.label, "reason": reason},
    )
    return MovePlan(values, move, entries)


def _clean_move(deal: Deal, stage_id: Any, reason: Any) -> tuple[Stage, str]:
    errors = ErrorCollector()
    stage = None
    if isinstance(stage_id, int) and not isinstance(stage_id, bool):
        stage = Stage.objects.filter(
            pk=stage_id, pipeline_id=deal.pipeline_id, retired_at__isnull=True
        ).first()
    if stage is None:
        errors.add("stage", _("No such stage in this deal's pipeline."))
    reason = _text(reason, "reason", errors, max_length=REASON_LENGTH)
    errors.raise_if_any()
    return stage, reason


@transaction.atomic
def move_deal(
    actor,
    deal: Deal,
    *,
    stage: Any,
    reason: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Move the deal to another stage of its pipeline. With `expected_version`, a deal someone
    else changed meanwhile is a Conflict; without it, the version just read is the one
    expected, so a concurrent move between the read and the write is still refused."""
    require_actor(actor)
    _check_version(deal, expected_version)
    target, reason = _clean_move(deal, stage, reason)
    if target.pk == deal.stage_id:
        return deal
    plan = plan_move(actor, deal, target, reason=reason, now=timezone.now())
    _bump(deal, deal.version, **plan.values)
    plan.move.save()
    record_many(plan.entries)
    for name, value in plan.values.items():
        setattr(deal, name, value)
    deal.stage = target
    events.publish("deal.stage_changed", deal_id=deal.pk, stage_id=target.pk)
    _announce_won(actor, [deal], target)
    return deal


@transaction.atomic
def move_deals(actor, deals: list[Deal], *, stage: Any, reason: str = "") -> int:
    """Move several deals (a bulk action) to one stage; each is checked against the version
    read with it. Returns how many moved."""
    require_actor(actor)
    now = timezone.now()
    moved = 0
    entries: list[Entry] = []
    history: list[StageMove] = []
    for deal in deals:
        target, cleaned_reason = _clean_move(deal, stage, reason)
        if target.pk == deal.stage_id:
            continue
        plan = plan_move(actor, deal, target, reason=cleaned_reason, now=now)
        _bump(deal, deal.version, **plan.values)
        history.append(plan.move)
        entries.extend(plan.entries)
        moved += 1
    StageMove.objects.bulk_create(history)
    record_many(entries)
    events.publish_many("deal.stage_changed", [{"deal_id": m.deal_id} for m in history])
    moved_ids = {m.deal_id for m in history}
    _announce_won(actor, [d for d in deals if d.pk in moved_ids], stage)
    return moved


def _announce_won(actor, deals: list[Deal], stage: Any) -> None:
    """ "deal.won" for deals moved to (or created in) a won stage, with their contacts: contacts
    may make them clients (contacts.status_services.deal_won), deals need not know how."""
    if not deals:
        return
    if not isinstance(stage, Stage):
        stage = Stage.objects.filter(pk=stage).first() if isinstance(stage, int) else None
    if stage is None or stage.kind != StageKind.WON:
        return
    events.publish_many(
        "deal.won",
        [
            {
                "deal_id": deal.pk,
                "deal_name": deal.name,
                "contact_ids": [pk for pk in _deal_contact_ids(deal) if pk],
                "actor_label": getattr(actor, "display_name", "") or "",
            }
            for deal in deals
        ],
    )


@transaction.atomic
def delete_deal(actor, deal: Deal, *, expected_version: int | None = None) -> None:
    require_actor(actor)
    _check_version(deal, expected_version)
    record_many(kinds.deal_entries(kinds.DEAL_DELETED, deal, _deal_contact_ids(deal), actor=actor))
    deal.delete()
    events.publish("deal.deleted", deal_id=deal.pk)


@transaction.atomic
def add_deal_note(actor, deal: Deal, *, body: str) -> DealNote:
    errors = ErrorCollector()
    body = _text(body, "body", errors, max_length=20_000, required=True)
    errors.raise_if_any()
    note = DealNote.objects.create(deal=deal, author=user_or_none(actor), body=body)
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now())
    return note


# --------------------------------------------------------------------------------------------
# Custom fields


@transaction.atomic
def add_deal_field(actor, *, key: str, label: str, type: str, choices: list | None = None):
    _require_admin(actor, _("manage deal fields"))
    cleaned = validate_definition(key=key, label=label, type=type, choices=choices)
    if DealField.objects.filter(key=cleaned["key"]).exists():
        raise Conflict(_("There is already a deal field with this key."), field="key")
    position = (DealField.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    return DealField.objects.create(**cleaned, position=position)


@transaction.atomic
def update_deal_field(
    actor, field: DealField, *, label: str | None = None, choices: list | None = None
) -> DealField:
    """Rename a deal field or change its choices. Its key and type never change, so stored
    values stay valid; a choice still held by a deal cannot be removed."""
    _require_admin(actor, _("manage deal fields"))
    cleaned = validate_definition(
        key=field.key,
        label=field.label if label is None else label,
        type=field.type,
        choices=field.choices if choices is None else choices,
    )
    removed = {str(c).casefold() for c in field.choices} - {
        c.casefold() for c in cleaned["choices"]
    }
    if removed:
        for value in Deal.objects.filter(properties__has_key=field.key).values_list(
            "properties", flat=True
        ):
            held = value.get(field.key)
            if any(
                str(v).casefold() in removed for v in (held if isinstance(held, list) else [held])
            ):
                raise Conflict(
                    _("A removed choice is still used by deals; change those first."),
                    field="choices",
                )
    field.label, field.choices = cleaned["label"], cleaned["choices"]
    field.save(update_fields=["label", "choices"])
    return field


@transaction.atomic
def move_deal_field(actor, field: DealField, *, step: int) -> None:
    """Swap a deal field with its neighbour (step -1 up, 1 down); positions are renumbered so
    they stay distinct."""
    _require_admin(actor, _("manage deal fields"))
    ordered = list(DealField.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, f in enumerate(ordered) if f.pk == field.pk), None)
    if index is None or not 0 <= index + step < len(ordered):
        return
    ordered[index], ordered[index + step] = ordered[index + step], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


@transaction.atomic
def delete_deal_field(actor, field: DealField) -> int:
    """Delete a deal field and its value on every deal; returns how many deals held one."""
    _require_admin(actor, _("manage deal fields"))
    holding = list(Deal.objects.filter(properties__has_key=field.key).only("pk", "properties"))
    for deal in holding:
        deal.properties.pop(field.key, None)
    Deal.objects.bulk_update(holding, ["properties"], batch_size=500)
    field.delete()
    return len(holding)


# --------------------------------------------------------------------------------------------
# Forget


def _forget_deals_of_nobody() -> int:
    named = DealContact.objects.filter(deal=OuterRef("pk"), contact__isnull=False)
    forgotten = DealContact.objects.filter(deal=OuterRef("pk"), contact__isnull=True)
    deals = Deal.objects.filter(Exists(forgotten)).exclude(Exists(named))
    ids = list(deals.values_list("pk", flat=True))
    if not ids:
        return 0
    DealNote.objects.filter(deal_id__in=ids).delete()
    StageMove.objects.filter(deal_id__in=ids).exclude(reason="").update(reason="")
    Deal.objects.filter(pk__in=ids).update(
        name=Concat(Value("#"), Cast("pk", CharField())), close_reason="", properties={}
    )
    return len(ids)


def forget_mentions(mentions: Mentions) -> int:
    """Replace every quote of a forgotten person in deals' text (names, reasons, notes,
    custom fields), and take all free text off the deals that were only about forgotten people
    (every contact link anonymised): what was written there was about them. Amounts, stages and
    history stay for the reports."""
    return _forget_deals_of_nobody() + sum(
        forget_mentions_in(model, mentions) for model in (Deal, StageMove, DealNote)
    )


# --------------------------------------------------------------------------------------------
# Comments, tasks and files on a deal (the activity app's, shown on the deal too)


def _contact_for_activity(actor, deal: Deal):
    """The contact a deal's comment or file is kept on: its primary contact, else its first,
    among those the actor sees."""
    links = (
        DealContact.objects.filter(deal=deal, contact__in=visible_contacts(actor))
        .select_related("contact")
        .order_by("-is_primary", "id")
    )
    link = links.first()
    if link is None:
        raise InvalidInput(
            "contacts", _("Add a contact you can see to this deal first: it is kept on them.")
        )
    return link.contact


@transaction.atomic
def add_deal_comment(actor, deal: Deal, *, body: object):
    """A comment on the deal, with @mentions notified as on a contact; it is also on the
    timeline of the deal's primary contact."""
    comment = activity.add_comment(actor, _contact_for_activity(actor, deal), body=body)
    DealActivity.objects.create(deal=deal, comment=comment)
    return comment


@transaction.atomic
def add_deal_task(actor, deal: Deal, *, data: dict):
    """A task about the deal, linked to the deal's contacts the actor sees (none is fine)."""
    contacts = list(
        DealContact.objects.filter(deal=deal, contact__in=visible_contacts(actor)).values_list(
            "contact_id", flat=True
        )
    )
    task = activity.create_task(actor, data={**data, "contacts": contacts})
    DealActivity.objects.create(deal=deal, task=task)
    return task


@transaction.atomic
def upload_deal_file(actor, deal: Deal, *, upload):
    """A file on the deal, kept among its primary contact's files."""
    attached = activity.upload_file(actor, _contact_for_activity(actor, deal), upload=upload)
    DealActivity.objects.create(deal=deal, file=attached)
    return attached

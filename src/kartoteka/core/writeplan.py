"""Write plans: what one write adds to each table, its timeline entries and its domain events,
computed once from cleaned input and run either row by row through the ORM or in bulk.

An app that takes the same data one at a time (the card, the API) and in bulk (an import, the
demo, a merge) builds one `Plan` with one function and hands it to `run_rows` or `run_bulk`;
validation, timeline entries and events are therefore never written twice. A row that other
rows of the plan point at gets a `Ref`, which holds its id once it is written; a foreign key,
a timeline entry's contact or an event's payload may hold that `Ref` in place of an id.

Apps that keep data derived from another app's rows (a search index, a ladder of recent
entries, a cached column) register a `DerivedData` here: `run_bulk` suspends it for a load
and has it rebuilt for the new rows afterwards, so no app touches another app's triggers or
tables to load fast. An app that must keep a copy exact in the very transaction that changes
its source (who may see a deal, from the contacts' owners) registers a `Watch`: every plan,
run either way, hands it the rows of its table that the plan added, changed or removed.
"""

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Model

from kartoteka.core import events
from kartoteka.core.bulkwrite import insert_values


class Ref:
    """A row of a plan that is not written yet; `id` is its primary key once it is."""

    __slots__ = ("id",)

    def __init__(self) -> None:
        self.id: int | None = None

    def __repr__(self) -> str:
        return f"Ref({self.id})"


@dataclass
class Rows:
    """New rows of one table: each a tuple of `fields` (attnames, e.g. "contact_id").

    `refs` (one per row, when other rows point at these) receive the rows' ids; `linked` names
    the positions in a row that hold a `Ref` to a row written before. `adapted` rows hold
    database values already (core.bulkwrite.db_value, computed where the rows were prepared,
    e.g. an import's helper processes), which the bulk runner writes as they are; only
    run_bulk takes them."""

    model: type[Model]
    fields: list[str]
    values: list[tuple] = field(default_factory=list)
    refs: list[Ref] | None = None
    linked: tuple[int, ...] = ()
    adapted: bool = False


@dataclass
class Changes:
    """Columns to set on existing rows: `values` are (primary key, value of each field)."""

    model: type[Model]
    fields: list[str]
    values: list[tuple] = field(default_factory=list)


@dataclass
class Removals:
    """Existing rows to delete: those whose `field` is one of `values`."""

    model: type[Model]
    field: str
    values: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineWriter:
    """How timeline entries are written (published by the app that owns the timeline): one at
    a time, and many at once with an `insert(fields, rows)` of the bulk runner. Entries are
    named tuples whose fields are the timeline table's columns; `linked` are the fields that
    may hold a `Ref`."""

    model: type[Model]
    record_one: Callable[[Any], Any]
    record_many: Callable[..., None]
    linked: tuple[str, ...] = ("contact_id",)


@dataclass
class Plan:
    """Rows to remove, change and add (in that order, each in the order given), timeline
    entries and domain events (name, payload) of one write."""

    removals: list[Removals] = field(default_factory=list)
    changes: list[Changes] = field(default_factory=list)
    rows: list[Rows] = field(default_factory=list)
    entries: list[Any] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(
        self,
        model: type[Model],
        fields: list[str],
        values: list[tuple],
        *,
        refs: list[Ref] | None = None,
        linked: tuple[int, ...] = (),
        adapted: bool = False,
    ) -> None:
        if values:
            self.rows.append(Rows(model, fields, values, refs, linked, adapted))

    def change(self, model: type[Model], fields: list[str], values: list[tuple]) -> None:
        if values:
            self.changes.append(Changes(model, fields, values))

    def remove(self, model: type[Model], field_name: str, values: list[Any]) -> None:
        if values:
            self.removals.append(Removals(model, field_name, values))

    def announce(self, event: str, **payload: Any) -> None:
        self.events.append((event, payload))

    def extend(self, other: "Plan") -> None:
        self.removals += other.removals
        self.changes += other.changes
        self.rows += other.rows
        self.entries += other.entries
        self.events += other.events


# --------------------------------------------------------------------------------------------
# Derived data


@dataclass(frozen=True)
class DerivedData:
    """Data an app keeps from the rows of `table` (usually another app's) by a trigger or an
    index that costs per row. For a bulk load, `suspend()` stops keeping it and returns whether
    it did (False where keeping it is already cheap, e.g. a statement trigger on PostgreSQL);
    `rebuild(first, last)` then brings it up to date for the table's new rows (ids first to
    last) and keeps it again. Both run inside the load's transaction, so a rollback undoes
    them and no other connection sees the data missing. `writes` are the tables it fills,
    whose planner statistics a large load outgrows."""

    name: str
    table: str
    suspend: Callable[[], bool]
    rebuild: Callable[[int, int], None]
    writes: tuple[str, ...] = ()


_derived: dict[str, DerivedData] = {}


def register_derived(data: DerivedData) -> None:
    """Called from the owning app's AppConfig.ready()."""
    _derived[data.name] = data


def derived_tables() -> list[str]:
    """The tables registered derived data fills (for a refresh of planner statistics)."""
    return sorted({table for data in _derived.values() for table in data.writes})


@contextmanager
def derived_suspended(tables: Iterable[str]) -> Iterator[None]:
    """Suspend the derived data of `tables` (where its owner can, and only inside a
    transaction), and rebuild it for the rows added meanwhile."""
    watched = [data for data in _derived.values() if data.table in set(tables)]
    if not watched or not connection.in_atomic_block:
        yield
        return
    suspended: list[tuple[DerivedData, int]] = []
    try:
        for data in watched:
            before = _last_id(data.table)
            if data.suspend():
                suspended.append((data, before))
        yield
    except BaseException:
        # The rollback that follows restores what was suspended; resuming is only for a
        # caller that goes on in the same transaction, so its failure must not hide this one.
        with contextlib.suppress(Exception):
            _rebuild(suspended)
        raise
    _rebuild(suspended)


def _rebuild(suspended: list[tuple[DerivedData, int]]) -> None:
    for data, before in suspended:
        data.rebuild(before + 1, _last_id(data.table))


def _last_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0] or 0


# --------------------------------------------------------------------------------------------
# Watches


@dataclass(frozen=True)
class Watch:
    """Data an app keeps exact from the rows of `model` ("app_label.Model", usually another
    app's table), in the transaction that writes them, where domain events (delivered after
    commit) come too late: after a plan wrote rows of `model`, `changed(values)` gets the set
    of the values of `column` (an attname, e.g. "contact_id") of every row the plan added,
    removed or changed (as they were before and after), including rows removed with a row
    their `column` points at (a contact's owners go with the contact)."""

    name: str
    model: str
    column: str
    changed: Callable[[set], None]


_watches: dict[str, Watch] = {}


def register_watch(watch: Watch) -> None:
    """Called from the watching app's AppConfig.ready()."""
    _watches[watch.name] = watch


def _watching(model: type[Model]) -> list[Watch]:
    label = model._meta.label
    return [w for w in _watches.values() if w.model == label]


class _Touched:
    """The values of watched columns a plan touches: read before its removals and changes
    (the rows are gone or changed after), and from its new rows once their refs are ids."""

    def __init__(self, plan: "Plan") -> None:
        self.values: dict[str, set] = {}
        if not _watches:
            return
        for watch in _watches.values():
            model = _model(watch.model)
            column = model._meta.get_field(watch.column.removesuffix("_id"))
            target = getattr(column.remote_field, "model", None)
            found = self.values.setdefault(watch.name, set())
            for removal in plan.removals:
                if removal.model is model:
                    found |= self._read(model, watch.column, removal.field, removal.values)
                elif removal.model is target and removal.field in ("pk", "id"):
                    found |= set(removal.values)
            for change in plan.changes:
                if change.model is not model:
                    continue
                pks = [pk for pk, *_values in change.values]
                found |= self._read(model, watch.column, "pk", pks)
                if watch.column in change.fields:
                    index = change.fields.index(watch.column) + 1
                    found |= {row[index] for row in change.values}

    @staticmethod
    def _read(model: type[Model], column: str, field_name: str, values: list) -> set:
        if field_name == column:
            return {_plain(v) for v in values}
        found = set()
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            rows = model._default_manager.filter(**{f"{field_name}__in": chunk})
            found |= set(rows.values_list(column, flat=True))
        return found

    def added(self, rows: "Rows") -> None:
        """`rows` once written (their refs hold ids)."""
        for watch in _watching(rows.model):
            if watch.column in rows.fields:
                index = rows.fields.index(watch.column)
                found = self.values.setdefault(watch.name, set())
                found.update(_plain(row[index]) for row in rows.values)

    def notify(self) -> None:
        # Watches of several tables may share one handler (deals' viewers watch both owners
        # and links, and a contact's removal touches both): it runs once, for all their values.
        by_handler: dict[Callable[[set], None], set] = {}
        for name, values in self.values.items():
            by_handler.setdefault(_watches[name].changed, set()).update(values)
        for changed, values in by_handler.items():
            values.discard(None)
            if values:
                changed(values)


def _model(label: str) -> type[Model]:
    from django.apps import apps

    return apps.get_model(label)


def _plain(value: Any) -> Any:
    return value.id if value.__class__ is Ref else value


def watched_rows_written(model: type[Model], fields: list[str], values: Sequence[tuple]) -> None:
    """Tell the watches of `model` about rows written outside a plan's runners (rows put back
    with their own ids: fields are attnames, values the rows' values)."""
    touched = _Touched(Plan())
    touched.added(Rows(model, fields, list(values)))
    touched.notify()


# --------------------------------------------------------------------------------------------
# Running a plan


def run_rows(plan: Plan, *, timeline: TimelineWriter) -> None:
    """Run the plan through the ORM, row by row (the card, the API). The caller holds the
    transaction."""
    touched = _Touched(plan)
    for removal in plan.removals:
        removal.model._default_manager.filter(**{f"{removal.field}__in": removal.values}).delete()
    for change in plan.changes:
        # Rows given the same values (a merge pointing many rows at one contact) are one
        # UPDATE per chunk of primary keys, in the order each first came; values that cannot
        # be grouped so (details, lists) are written row by row.
        by_values: dict[tuple, list] = {}
        for pk, *values in change.values:
            try:
                by_values.setdefault(tuple(values), []).append(pk)
            except TypeError:
                by_values.setdefault((_Unhashable(values),), []).append(pk)
        for key, pks in by_values.items():
            values = key[0].values if key and key[0].__class__ is _Unhashable else key
            fields = dict(zip(change.fields, values, strict=True))
            for start in range(0, len(pks), _CHUNK):
                chunk = pks[start : start + _CHUNK]
                change.model._default_manager.filter(pk__in=chunk).update(**fields)
    for rows in plan.rows:
        if rows.adapted:
            raise ValueError("Rows of database values are written in bulk only (run_bulk).")
        for index, row in enumerate(_resolved(rows)):
            obj = rows.model(**dict(zip(rows.fields, row, strict=True)))
            obj.save(force_insert=True)
            if rows.refs is not None:
                rows.refs[index].id = obj.pk
        touched.added(rows)
    for entry in plan.entries:
        timeline.record_one(_entry_resolved(entry, timeline.linked))
    touched.notify()
    _announce(plan)


class _Unhashable:
    """Values of one row that hash by identity (each such row is its own group)."""

    __slots__ = ("values",)

    def __init__(self, values: list) -> None:
        self.values = values


def run_bulk(plan: Plan, *, timeline: TimelineWriter) -> None:
    """Run the plan with one statement per table (multi-row INSERT on SQLite, COPY on
    PostgreSQL), with the derived data of the written tables suspended and rebuilt. The caller
    holds the transaction."""
    plan = _merged(plan)
    written = {rows.model._meta.db_table for rows in plan.rows}
    if plan.entries:
        written.add(timeline.model._meta.db_table)
    touched = _Touched(plan)
    with derived_suspended(written):
        for removal in plan.removals:
            _remove(removal)
        for change in plan.changes:
            _change(change)
        for rows in plan.rows:
            values = _resolved(rows)
            ids = insert_values(
                rows.model,
                rows.fields,
                values,
                returning=rows.refs is not None,
                prepared=rows.adapted,
            )
            if rows.refs is not None:
                for ref, pk in zip(rows.refs, ids, strict=True):
                    ref.id = pk
            touched.added(rows)
        if plan.entries:
            entries = [_entry_resolved(entry, timeline.linked) for entry in plan.entries]
            timeline.record_many(
                entries, insert=lambda fields, rows: insert_values(timeline.model, fields, rows)
            )
    touched.notify()
    _announce(plan)


def _merged(plan: Plan) -> Plan:
    """The plan with the parts of each kind that write one table alike put together (plans
    of many rows extended into one), so each is one statement; in the order each first came."""
    removals: dict[tuple, Removals] = {}
    for removal in plan.removals:
        key = (removal.model, removal.field)
        if key in removals:
            removals[key].values += removal.values
        else:
            removals[key] = Removals(removal.model, removal.field, list(removal.values))
    changes: dict[tuple, Changes] = {}
    for change in plan.changes:
        key = (change.model, tuple(change.fields))
        if key in changes:
            changes[key].values += change.values
        else:
            changes[key] = Changes(change.model, change.fields, list(change.values))
    rows: dict[tuple, Rows] = {}
    for part in plan.rows:
        key = (part.model, tuple(part.fields), part.linked, part.refs is None, part.adapted)
        if key in rows:
            rows[key].values += part.values
            if part.refs is not None:
                rows[key].refs += part.refs
        else:
            refs = list(part.refs) if part.refs is not None else None
            rows[key] = Rows(
                part.model, part.fields, list(part.values), refs, part.linked, part.adapted
            )
    return Plan(
        list(removals.values()),
        list(changes.values()),
        list(rows.values()),
        plan.entries,
        plan.events,
    )


# SQLite's oldest builds bind at most 999 parameters a statement.
_CHUNK = 900


def _remove(removal: Removals) -> None:
    for start in range(0, len(removal.values), _CHUNK):
        chunk = removal.values[start : start + _CHUNK]
        removal.model.objects.filter(**{f"{removal.field}__in": chunk}).delete()


def _change(change: Changes) -> None:
    objects = [
        change.model(pk=pk, **dict(zip(change.fields, values, strict=True)))
        for pk, *values in change.values
    ]
    change.model.objects.bulk_update(objects, change.fields, batch_size=500)


def _resolved(rows: Rows) -> Sequence[tuple]:
    if not rows.linked:
        return rows.values
    if len(rows.linked) == 1:
        # The usual case (rows pointing at one parent): one slice per row.
        index = rows.linked[0]
        return [
            (*row[:index], row[index].id, *row[index + 1 :]) if row[index].__class__ is Ref else row
            for row in rows.values
        ]
    result = []
    for row in rows.values:
        row = list(row)
        for index in rows.linked:
            if row[index].__class__ is Ref:
                row[index] = row[index].id
        result.append(tuple(row))
    return result


def _entry_resolved(entry: Any, linked: tuple[str, ...]) -> Any:
    found = {name: getattr(entry, name).id for name in linked if _is_ref(getattr(entry, name))}
    return entry._replace(**found) if found else entry


def _is_ref(value: Any) -> bool:
    return isinstance(value, Ref)


def _announce(plan: Plan) -> None:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, payload in plan.events:
        for key, value in payload.items():
            if value.__class__ is Ref:
                payload[key] = value.id
        by_name.setdefault(name, []).append(payload)
    for name, payloads in by_name.items():
        events.publish_many(name, payloads)

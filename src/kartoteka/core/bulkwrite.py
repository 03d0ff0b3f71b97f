"""Raw multi-row writes for bulk loads: many rows into one table without building model
instances (multi-row INSERT on SQLite, COPY on PostgreSQL). Any app that writes in bulk uses
these; the caller holds the transaction and owns the table it writes."""

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import RawSQL


def insert_values(
    model: type[Model],
    names: list[str],
    values: list[tuple],
    *,
    returning: bool = False,
    prepared: bool = False,
) -> list[int]:
    """INSERT many rows, each a tuple of the fields in `names` (names or attnames), without
    building model instances: the ORM's per-object cost dominates a million-row import.
    Fields left out get their model default. With `prepared`, the values are database values
    already (see db_value), so no column needs adapting. With `returning`, the new ids come
    back in row order. The caller holds the transaction."""
    if not values:
        return []
    fields = [model._meta.get_field(name) for name in names]
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f not in fields]
    defaults = tuple(
        _db_value(f, f.get_default() if f.has_default() or f.null else "") for f in rest
    )
    adapters = [] if prepared else [(i, a) for i, f in enumerate(fields) if (a := db_adapter(f))]
    if adapters:
        # Column by column: most rows share their time stamps and empty details, so a value
        # is adapted once however often it repeats.
        columns = list(zip(*values, strict=True))
        for index, adapt in adapters:
            columns[index] = _adapted(columns[index], adapt)
        values = list(zip(*columns, strict=True))
    if defaults:
        values = [row + defaults for row in values]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    columns = [quote(f.column) for f in [*fields, *rest]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if not returning:
                _copy_rows(cursor, table, columns, values)
                return []
            # COPY returns nothing: take the ids from the table's sequence first.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, len(values)],
            )
            ids = sorted(pk_value for (pk_value,) in cursor.fetchall())
            _copy_rows(
                cursor,
                table,
                [pk, *columns],
                [(pk_value, *row) for pk_value, row in zip(ids, values, strict=True)],
            )
            return ids
        columns_sql = ", ".join(columns)
        if returning:
            # The transaction holds SQLite's only write lock, so nobody else can take the next
            # ids: number the rows here and insert them with the ids.
            cursor.execute(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
                f" coalesce((SELECT max({pk}) FROM {table}), 0))",
                [model._meta.db_table],
            )
            first = cursor.fetchone()[0] + 1
            ids = range(first, first + len(values))
            _insert_rows(
                f"INSERT INTO {table} ({pk}, {columns_sql})",
                [(pk_value, *row) for pk_value, row in zip(ids, values, strict=True)],
            )
            return list(ids)
        _insert_rows(f"INSERT INTO {table} ({columns_sql})", values)
    return []


def _copy_rows(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """PostgreSQL: write the rows with COPY, which parses no statement and binds no parameter
    per row, as INSERT … VALUES statements of many rows do. Errors are Django's, as through a
    Django cursor."""
    with (
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# Parameters in one INSERT of many rows. On SQLite every such statement of a table then has
# the same text (the rows that do not fill one go in one at a time), so the driver's statement
# cache holds two per table, not a compiled statement of some megabytes for each row count.
PARAMETERS_PER_STATEMENT = 4000


def _insert_rows(insert: str, rows: list[tuple]) -> None:
    """SQLite: run `insert` (INSERT INTO table (columns)) for every row, as statements of many
    rows each, not one execution per row: SQLite's per-row cost of executemany (a step, a reset
    and the binding loop for each row) was more than its index work for narrow tables."""
    width = len(rows[0])
    per_statement = max(1, PARAMETERS_PER_STATEMENT // width)
    # Straight to the driver: Django's SQLite cursor rewrites each %s of a statement with a
    # regular expression, a cost per parameter that a wide row pays dozens of times.
    db = connection.connection
    one_row = f"({', '.join(['?'] * width)})"
    many_rows = f"{insert} VALUES {', '.join([one_row] * per_statement)}"
    filled = len(rows) - len(rows) % per_statement
    # The driver's errors become Django's, as through a Django cursor (IntegrityError above all).
    with connection.wrap_database_errors:
        for start in range(0, filled, per_statement):
            db.execute(
                many_rows, [value for row in rows[start : start + per_statement] for value in row]
            )
        if filled < len(rows):
            db.executemany(f"{insert} VALUES {one_row}", rows[filled:])


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """The database value of `value` for the field `name`, as insert_values(prepared=True)
    takes it: adapt a value shared by many rows (a time stamp) once, not per row."""
    return _db_value(model._meta.get_field(name), value)


def _adapted(column: tuple, adapt: Any) -> list:
    """The column's values adapted, each object once however many rows hold it (rows of a
    batch share a few time stamps and payloads, not always one after another). The column
    holds every object while this runs, so their ids are not reused."""
    done: dict[int, Any] = {}
    result = []
    for value in column:
        if value is None:
            result.append(None)
            continue
        key = id(value)
        if key not in done:
            done[key] = adapt(value)
        result.append(done[key])
    return result


def _db_value(field, value: Any) -> Any:
    adapt = db_adapter(field)
    return adapt(value) if adapt and value is not None else value


def _sqlite_datetime(value: Any) -> str:
    """What Django's SQLite backend stores for a time stamp (naive UTC, ISO with a space), at
    a fraction of its cost: bulk rows carry one or more time stamps each."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    return connection.ops.adapt_datetimefield_value(value)


def db_adapter(field) -> Any:
    """How a Python value becomes a database value for this field, or None if it needs nothing."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        ops, encoder = connection.ops, field.encoder
        return lambda value: ops.adapt_json_value(value, encoder)
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "DateTimeField" and connection.vendor == "sqlite":
        return _sqlite_datetime
    if kind in ("DateTimeField", "DecimalField", "TimeField"):
        return lambda value: field.get_db_prep_save(value, connection)
    if kind == "GenericIPAddressField":
        return lambda value: value or None
    return None


def json_rows(rows: list) -> str:
    """Rows (or values) as the one JSON parameter of insert_json and json_values: decimals and
    times become text (a time's ISO form, which PostgreSQL casts; on SQLite pass the time as
    SQLite keeps it, already text)."""
    return json.dumps(rows, default=_plain, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a database value")


def listed(values: Iterable, *, text: bool = False) -> RawSQL:
    """The values (ids, or text with `text`) as a subquery with one parameter, for
    `field__in=listed(values)`: a batch of thousands is one short statement, and the ORM does
    not prepare each value of a list one by one."""
    values = list(values)
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{'text' if text else 'bigint'}[])", [values])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


def among(column: str, values: Iterable, *, text: bool = False) -> tuple[str, list]:
    """SQL (and its one parameter) for "`column` is one of the values", for raw statements.
    On PostgreSQL `column = ANY(array)`: no join for the planner to order, so a table whose
    statistics are stale (one row guessed for thousands) cannot make it rescan the values for
    each of its rows; the planner probes an index with them or hashes them."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{'text' if text else 'bigint'}[])", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def json_values(kind: str) -> str:
    """SQL for the set of values sent as one JSON array parameter (see json_rows), as a
    subquery for `column IN (…)`: the statement's text and parameter count stay the same
    whatever the number of values. `kind` is the values' PostgreSQL type (text, bigint)."""
    if connection.vendor == "postgresql":
        return f"SELECT value::{kind} FROM json_array_elements_text(%s::json)"
    return "SELECT value FROM json_each(%s)"


def insert_json(
    model: type[Model], names: list[str], rows: list[tuple], *, tail: str = ""
) -> list[tuple]:
    """INSERT any number of rows with one statement whose one parameter is the rows as a JSON
    array: SQLite reads it with json_each, PostgreSQL with json_array_elements, each column
    cast to its field's type. So a batch is one statement per table whatever its size, and the
    statement's text never changes (no parameter limit, no compiled statement per row count).

    Rows hold database values: JSON columns as their text, times on SQLite as SQLite keeps
    them (see commerce.sql.time_adapter; ISO text or datetimes on PostgreSQL). `tail` follows
    the rows (ON CONFLICT …, RETURNING …); the rows a RETURNING gives come back. The caller
    holds the transaction."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        picks = ", ".join(f"(value ->> {i})::{_pg_type(f)}" for i, f in enumerate(fields))
        source = "json_array_elements(%s::json)"
    else:
        picks = ", ".join(f"value ->> {i}" for i in range(len(fields)))
        source = "json_each(%s)"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns})"
        f" SELECT {picks} FROM {source} WHERE true {tail}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json_rows(rows)])
        return cursor.fetchall() if "RETURNING" in tail.upper() else []


def _pg_type(field) -> str:
    kind = field.get_internal_type()
    if kind == "ForeignKey" or kind == "OneToOneField":
        return field.target_field.rel_db_type(connection)
    return field.db_type(connection)

"""Custom details as SQL: the value of one detail of the contact row, and the index (and, on
PostgreSQL, the generated column) that keeps each detail fast to filter and sort on.

A custom detail lives in Contact.properties[key]. On SQLite its index is an expression index on
the JSON value, which answers counts from the index alone. PostgreSQL cannot count from an
expression index without visiting each matching row, so there the value is also kept in a
generated column of the contact row (computed by the database on every write, bulk COPY
included) and the index is on that column.

contacts_contact is contacts' table, so contacts alone creates and drops these columns and
indexes: when a detail is defined or deleted (contacts' own "property.defined" /
"property.deleted" events, see ContactsConfig.ready) and from `kartoteka segments index`.
The indexes keep the "segments_detail_" names they were first created with (segments
migrations 0006 and 0012), so databases that have them need nothing rebuilt.
"""

import hashlib
import re
from typing import Any

from django.db import connection
from django.db.models import F, Func
from django.db.models import fields as model_fields

from kartoteka.contacts.queries import all_property_definitions

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

NUMERIC_TYPES = ("number", "decimal")
# Booleans too: "newsletter opt-in = yes" is among the most used filters, and without an index
# its count would read every contact row.
INDEXED_TYPES = ("text", "url", "number", "decimal", "date", "dictionary", "boolean")


class PropertyValue(Func):
    """One custom detail of the contact row as an SQL value.

    The key is inlined (it matched a defined key and the strict key pattern) rather than bound,
    so that the expression is identical to the per-detail expression index and the planner
    uses it; Django's own key transform binds the path, which SQLite cannot match to an index.
    With `column` (PostgreSQL, see `detail_column`), the value is read from the generated
    column that keeps it on the contact row instead.
    """

    def __init__(self, key: str, *, numeric: bool = False, column: str | None = None) -> None:
        if not _KEY.match(key):
            raise ValueError(f"not a custom detail key: {key!r}")
        self.key, self.numeric, self.column = key, numeric, column
        output = model_fields.FloatField() if numeric else model_fields.TextField()
        super().__init__(F("properties"), output_field=output)

    def as_sql(self, compiler, connection, **extra):
        column_sql, params = compiler.compile(self.source_expressions[0])
        if self.column and connection.vendor == "postgresql":
            # The same table alias as "properties" (a subquery's U0 as well as the main table).
            alias = column_sql.rsplit(".", 1)[0]
            return f"{alias}.{connection.ops.quote_name(self.column)}", params
        return property_sql(column_sql, self.key, connection.vendor, self.numeric), params


def detail_column(key: str) -> str:
    """The name of the PostgreSQL column that keeps custom detail `key` on the contact row
    (a generated column, created with the detail's index by `index_details`)."""
    name = f"detail_{key}"
    if len(name) > 63:  # PostgreSQL's limit; a digest keeps long keys apart
        name = f"{name[:50]}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    return name


def built_column(key: str, materialised: set[str]) -> str | None:
    """The generated column of detail `key` if it exists (one of `materialised_details()`), so
    that its value is read from there; None while it does not (read from the JSON)."""
    column = detail_column(key)
    return column if column in materialised else None


def materialised_details() -> set[str]:
    """Names of the detail columns that exist now (PostgreSQL; empty elsewhere). A detail
    defined a moment ago has none until its column is built, and is read from the JSON."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'contacts_contact'::regclass"
            " AND attnum > 0 AND NOT attisdropped AND attgenerated = 's'"
        )
        return {name for (name,) in cursor.fetchall() if name.startswith("detail_")}


def property_sql(column_sql: str, key: str, vendor: str, numeric: bool) -> str:
    """The SQL of a custom detail's value; also used to create its expression index."""
    if vendor == "postgresql":
        text = f"({column_sql} ->> '{key}')"
        return f"({text})::double precision" if numeric else text
    text = f"json_extract({column_sql}, '$.{key}')"
    return f"CAST({text} AS REAL)" if numeric else text


def _index_name(key: str) -> str:
    return f"segments_detail_{key}"[:63]


def index_property(key: str, type: str) -> bool:
    """Create the index for a custom detail if its type benefits; True if it did."""
    return index_details([(key, type)]) == 1


def index_details(details: list[tuple[str, str]]) -> int:
    """Create the missing indexes for (key, type) custom details; returns how many qualify."""
    details = [(key, type) for key, type in details if type in INDEXED_TYPES]
    for key, _type in details:
        # property_sql checks nothing itself; the key has passed the strict key pattern already.
        PropertyValue(key)  # raises ValueError on anything but a plain key
    if not details:
        return 0
    quote = connection.ops.quote_name
    table, properties = quote("contacts_contact"), quote("properties")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            existing = materialised_details()
            missing = [(k, t) for k, t in details if detail_column(k) not in existing]
            if missing:
                # One ALTER for all of them: adding a generated column rewrites the table.
                columns = []
                for key, type in missing:
                    numeric = type in NUMERIC_TYPES
                    expression = property_sql(properties, key, "postgresql", numeric)
                    columns.append(
                        f"ADD COLUMN {quote(detail_column(key))}"
                        f" {'double precision' if numeric else 'text'}"
                        f" GENERATED ALWAYS AS ({expression}) STORED"
                    )
                    # An expression index of this name, from before the column, gives way.
                    cursor.execute(f"DROP INDEX IF EXISTS {_index_name(key)}")
                cursor.execute(f"ALTER TABLE {table} {', '.join(columns)}")
            for key, _type in details:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_index_name(key)}"
                    f" ON {table} ({quote(detail_column(key))})"
                )
            if missing:
                # The rewritten table has no visibility map yet: until VACUUM sets it, counts
                # would visit the rows again. (VACUUM cannot run inside a transaction.)
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{vacuum} {table}")
        else:
            for key, type in details:
                expression = property_sql(properties, key, connection.vendor, type in NUMERIC_TYPES)
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_index_name(key)} ON {table} (({expression}))"
                )
    return len(details)


def drop_property_index(key: str) -> None:
    """Drop the index (and, on PostgreSQL, the generated column) of custom detail `key`."""
    PropertyValue(key)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {_index_name(key)}")
        if connection.vendor == "postgresql":
            column = connection.ops.quote_name(detail_column(key))
            cursor.execute(f"ALTER TABLE contacts_contact DROP COLUMN IF EXISTS {column}")


def index_all_properties() -> int:
    """Create the missing indexes for every defined custom detail; returns how many qualify."""
    return index_details([(d.key, d.type) for d in all_property_definitions()])


def on_property_defined(event: str, key: str, type: str = "", **payload: Any) -> None:
    # On PostgreSQL this rewrites the contact table (about a minute and a half at a million
    # contacts), so a worker does it; filters read the detail from the JSON until it is done.
    from kartoteka.contacts.tasks import index_detail

    index_detail.enqueue(key, type)


def on_property_deleted(event: str, key: str, **payload: Any) -> None:
    drop_property_index(key)

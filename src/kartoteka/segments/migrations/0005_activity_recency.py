"""The recency ladder (ActivityRecency) for behaviour conditions: its table, database triggers on
the timeline that keep it in step on every write path, and its first filling from the timeline
already there."""

import django.db.models.deletion
from django.db import migrations, models


# The ladder's SQL. RANKS is segments.models.RECENCY_RANKS as of this migration.
RANKS = 10
TABLE = "segments_activityrecency"
COLUMNS = f"{TABLE} (contact_id, kind, rank, occurred_at)"
BACKFILL = (
    f"INSERT INTO {COLUMNS} SELECT contact_id, kind, rank, occurred_at FROM ("
    " SELECT contact_id, kind, occurred_at,"
    " row_number() OVER (PARTITION BY contact_id, kind ORDER BY occurred_at DESC) AS rank"
    " FROM activity_activity WHERE contact_id IS NOT NULL) ranked"
    f" WHERE rank <= {RANKS}"
)


def _latest(contact: str, kind: str) -> str:
    """The newest RANKS entries of one (contact, kind), ranked newest first."""
    return (
        f"SELECT {contact}, {kind}, row_number() OVER (ORDER BY occurred_at DESC), occurred_at"
        " FROM (SELECT occurred_at FROM activity_activity"
        f" WHERE contact_id = {contact} AND kind = {kind}"
        f" ORDER BY occurred_at DESC LIMIT {RANKS}) latest"
    )


def _entries(contact: str, kind: str) -> str:
    """How many entries, up to RANKS, one (contact, kind) has left."""
    return (
        "(SELECT count(*) FROM (SELECT 1 FROM activity_activity"
        f" WHERE contact_id = {contact} AND kind = {kind} LIMIT {RANKS}) kept)"
    )


UPSERT = " ON CONFLICT (contact_id, kind, rank) DO UPDATE SET occurred_at = excluded.occurred_at"


# SQLite: row triggers recount the (contact, kind) of the written row; an entry added, removed,
# moved to another contact (merge) or detached (forget) all end the same way.
def _sqlite_refresh(row: str) -> str:
    contact, kind = f"{row}.contact_id", f"{row}.kind"
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    return (
        f"INSERT INTO {COLUMNS} SELECT * FROM ({_latest(contact, kind)}) WHERE true{UPSERT};"
        f" DELETE FROM {TABLE} WHERE contact_id = {contact} AND kind = {kind}"
        f" AND rank > {_entries(contact, kind)};"
    )


SQLITE_UP = [
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON activity_activity"
    f" WHEN new.contact_id IS NOT NULL BEGIN {_sqlite_refresh('new')} END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON activity_activity"
    f" WHEN old.contact_id IS NOT NULL BEGIN {_sqlite_refresh('old')} END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF contact_id, kind, occurred_at"
    f" ON activity_activity BEGIN {_sqlite_refresh('old')} {_sqlite_refresh('new')} END",
    BACKFILL,
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ("insert", "delete", "update")
]

# PostgreSQL: statement triggers with transition tables, so a bulk insert (COPY, a multi-row
# INSERT) recounts each touched (contact, kind) once, in one set-based statement.
POSTGRES_REFRESH = f"""
CREATE OR REPLACE FUNCTION {TABLE}_refresh(ids bigint[], kinds text[], shrink boolean)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- Two transactions writing one contact's timeline at once: the second waits here for the
    -- first to commit, and its recount (a new snapshot per statement) then sees both entries.
    PERFORM 1 FROM contacts_contact WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    INSERT INTO {COLUMNS}
    SELECT latest.* FROM unnest(ids, kinds) AS pair(contact_id, kind)
    CROSS JOIN LATERAL ({_latest("pair.contact_id", "pair.kind")}) latest
    {UPSERT} WHERE {TABLE}.occurred_at IS DISTINCT FROM excluded.occurred_at;
    IF NOT shrink THEN  -- entries were only added: no rank can have gone
        RETURN;
    END IF;
    DELETE FROM {TABLE} USING unnest(ids, kinds) AS pair(contact_id, kind)
    WHERE {TABLE}.contact_id = pair.contact_id AND {TABLE}.kind = pair.kind
    AND {TABLE}.rank > {_entries("pair.contact_id", "pair.kind")};
END $$
"""


def _postgres_trigger(event: str, pairs: str, transition: str) -> list[str]:
    shrink = "false" if event == "insert" else "true"
    return [
        f"""CREATE OR REPLACE FUNCTION {TABLE}_after_{event}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM {TABLE}_refresh(array_agg(contact_id), array_agg(kind::text), {shrink})
            FROM (SELECT DISTINCT contact_id, kind FROM ({pairs}) touched
                  WHERE contact_id IS NOT NULL) pairs;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {TABLE}_{event} AFTER {event.upper()} ON activity_activity"
        f" REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_after_{event}()",
    ]


POSTGRES_UP = [
    POSTGRES_REFRESH,
    *_postgres_trigger("insert", "SELECT contact_id, kind FROM new_rows", "NEW TABLE AS new_rows"),
    *_postgres_trigger("delete", "SELECT contact_id, kind FROM old_rows", "OLD TABLE AS old_rows"),
    # Only rows whose contact, kind or time changed (forget also blanks payloads).
    *_postgres_trigger(
        "update",
        "SELECT unnest(ARRAY[o.contact_id, n.contact_id]) AS contact_id,"
        " unnest(ARRAY[o.kind, n.kind]) AS kind"
        " FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE (o.contact_id, o.kind, o.occurred_at)"
        " IS DISTINCT FROM (n.contact_id, n.kind, n.occurred_at)",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    BACKFILL,
]
POSTGRES_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS {TABLE}_{event} ON activity_activity"
        for event in ("insert", "delete", "update")
    ),
    *(
        f"DROP FUNCTION IF EXISTS {TABLE}_after_{event}()"
        for event in ("insert", "delete", "update")
    ),
    f"DROP FUNCTION IF EXISTS {TABLE}_refresh(bigint[], text[], boolean)",
]


def _run(direction: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        statements = {
            ("sqlite", "up"): SQLITE_UP,
            ("sqlite", "down"): SQLITE_DOWN,
            ("postgresql", "up"): POSTGRES_UP,
            ("postgresql", "down"): POSTGRES_DOWN,
        }.get((vendor, direction), [])
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("segments", "0004_sqlite_trigram_search"),
        ("activity", "0002_notes_comments_tasks_files_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityRecency",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=40)),
                ("rank", models.PositiveSmallIntegerField()),
                ("occurred_at", models.DateTimeField()),
                (
                    "contact",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contacts.contact",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["kind", "rank", "occurred_at", "contact"],
                        name="activity_recency_window",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("contact", "kind", "rank"), name="unique_activity_recency"
                    )
                ],
            },
        ),
        migrations.RunPython(_run("up"), _run("down")),
    ]

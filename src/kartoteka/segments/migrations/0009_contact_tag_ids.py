"""On PostgreSQL, each contact row keeps the ids of its tags (contacts_contact.tag_ids, a bigint
array with a GIN index), so a tag condition is one more index on the contact table that the
planner can combine with the others. "vip and not from Spain, or score ≥ 95 with the newsletter"
then ORs two bitmaps instead of reading every contact to test a subquery in one branch.

Statement triggers on the link table keep the array in step on every write path (a tag added or
removed on the card, an import's bulk insert, a merge moving links, a tag deleted), in one
set-based statement per write. SQLite answers tag conditions from the link table in time and
has no arrays; nothing changes there.
"""

from django.db import migrations

TABLE = "contacts_contact"
LINKS = "contacts_contacttag"
INDEX = "segments_contact_tag_ids"

REFRESH = f"""
CREATE OR REPLACE FUNCTION {TABLE}_tag_ids_refresh(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- Rows are locked in id order, so two writes touching the same contacts cannot deadlock;
    -- the second waits for the first to commit and then (a new snapshot per statement) reads
    -- both transactions' links.
    PERFORM 1 FROM {TABLE} WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE {TABLE} AS contact SET tag_ids = coalesce(
        (SELECT array_agg(link.tag_id ORDER BY link.tag_id) FROM {LINKS} AS link
         WHERE link.contact_id = contact.id), '{{}}')
    WHERE contact.id = ANY(ids);
END $$
"""


def _trigger(event: str, touched: str, transition: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {TABLE}_tag_ids_after_{event}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM {TABLE}_tag_ids_refresh(array_agg(DISTINCT contact_id))
            FROM ({touched}) touched WHERE contact_id IS NOT NULL;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {TABLE}_tag_ids_{event} AFTER {event.upper()} ON {LINKS}"
        f" REFERENCING {transition} FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {TABLE}_tag_ids_after_{event}()",
    ]


UP = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS tag_ids bigint[] NOT NULL DEFAULT '{{}}'",
    REFRESH,
    *_trigger("insert", "SELECT contact_id FROM new_rows", "NEW TABLE AS new_rows"),
    *_trigger("delete", "SELECT contact_id FROM old_rows", "OLD TABLE AS old_rows"),
    # A link moved to another contact (a merge) changes both contacts' arrays.
    *_trigger(
        "update",
        "SELECT o.contact_id FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE (o.contact_id, o.tag_id) IS DISTINCT FROM (n.contact_id, n.tag_id)"
        " UNION ALL SELECT n.contact_id FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE (o.contact_id, o.tag_id) IS DISTINCT FROM (n.contact_id, n.tag_id)",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    # The first filling: only contacts that have tags are written (the rest keep the default).
    f"UPDATE {TABLE} AS contact SET tag_ids = linked.ids FROM ("
    f" SELECT contact_id, array_agg(tag_id ORDER BY tag_id) AS ids FROM {LINKS}"
    " GROUP BY contact_id) linked WHERE contact.id = linked.contact_id",
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin (tag_ids)",
]
DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS {TABLE}_tag_ids_{event} ON {LINKS}"
        for event in ("insert", "delete", "update")
    ),
    *(
        f"DROP FUNCTION IF EXISTS {TABLE}_tag_ids_after_{event}()"
        for event in ("insert", "delete", "update")
    ),
    f"DROP FUNCTION IF EXISTS {TABLE}_tag_ids_refresh(bigint[])",
    f"DROP INDEX IF EXISTS {INDEX}",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS tag_ids",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0008_recent_contacts_index"),
        ("contacts", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]

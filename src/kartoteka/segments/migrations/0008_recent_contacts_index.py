"""A covering index for "created in the last N days" on PostgreSQL: creation time, with the
country, status, source and id stored alongside. "Recent contacts from Spain or Poland with the
vip tag" then reads the creation window from this index alone and joins it with the tag's link
rows, instead of visiting the contact row of every one of the tag's contacts. SQLite indexes
carry the row id already and answer that filter in time without it."""

from django.db import migrations

from kartoteka.segments.migrations import on_postgresql

NAME = "segments_contact_recent"


class Migration(migrations.Migration):
    dependencies = [("segments", "0007_source_id_index")]

    operations = [
        migrations.RunPython(
            on_postgresql(
                f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (created_at)"
                " INCLUDE (country, status, source, id)"
            ),
            on_postgresql(f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

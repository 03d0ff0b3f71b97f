"""A (source, id) index on PostgreSQL: a source condition combined with a tag, owner or other
link-table condition ("form leads without the churned tag") is then counted from the index
alone, without visiting each contact row. (SQLite gets it in migration 0010.)"""

from django.db import migrations

from kartoteka.segments.migrations import on_postgresql

NAME = "segments_contact_source_id"


class Migration(migrations.Migration):
    dependencies = [("segments", "0006_detail_columns")]

    operations = [
        migrations.RunPython(
            on_postgresql(f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (source, id)"),
            on_postgresql(f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

"""The (source, id) index of migration 0007 on SQLite too. SQLite's (source, created_at) index
carries the row id after the creation time, so the first page of "form leads without the churned
tag", newest first, sorted all 218,000 matching ids at a million contacts (106 ms); walking
(source, id) backwards stops after 50 (4 ms), and the count reads the narrower index
(100 → 67 ms)."""

from django.db import migrations

NAME = "segments_contact_source_id"


def _on_sqlite(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("segments", "0009_contact_tag_ids")]

    operations = [
        migrations.RunPython(
            _on_sqlite(f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (source, id)"),
            _on_sqlite(f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

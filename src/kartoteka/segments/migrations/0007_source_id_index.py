"""A (source, id) index on PostgreSQL: a source condition combined with a tag, owner or other
link-table condition ("form leads without the churned tag") is then counted from the index
alone, without visiting each contact row. SQLite indexes carry the row id already."""

from django.db import migrations

NAME = "segments_contact_source_id"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("segments", "0006_detail_columns")]

    operations = [
        migrations.RunPython(
            _run(f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (source, id)"),
            _run(f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

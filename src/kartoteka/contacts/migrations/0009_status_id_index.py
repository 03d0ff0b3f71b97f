"""A (status, id) index on PostgreSQL. A status combined with a side table's condition
("won contacts on the newsletter", 143,000 won of a million against 285,000 subscribers) is
then counted from the two indexes alone, instead of reading a covering index's million entries
to find the won ones. An SQLite index carries each row's id already: its status indexes serve."""

from django.db import migrations

NAME = "contact_status_id"


def _on_postgresql(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("contacts", "0008_tag_colors_from_fixed_palette")]

    operations = [
        migrations.RunPython(
            _on_postgresql(f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (status, id)"),
            _on_postgresql(f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

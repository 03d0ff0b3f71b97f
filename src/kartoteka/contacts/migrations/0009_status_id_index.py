"""A (status, id) index on PostgreSQL. A status combined with a side table's condition
("won contacts on the newsletter", 143,000 won of a million against 285,000 subscribers) is
then counted from the two indexes alone, instead of reading a covering index's million entries
to find the won ones. An SQLite index carries each row's id already: its status indexes serve."""

from django.db import migrations

from kartoteka.core.database import on_vendor

NAME = "contact_status_id"


class Migration(migrations.Migration):
    dependencies = [("contacts", "0008_tag_colors_from_fixed_palette")]

    operations = [
        migrations.RunPython(
            on_vendor(
                "postgresql", f"CREATE INDEX IF NOT EXISTS {NAME} ON contacts_contact (status, id)"
            ),
            on_vendor("postgresql", f"DROP INDEX IF EXISTS {NAME}"),
        )
    ]

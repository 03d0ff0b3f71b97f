"""Yes / no custom details get the index other details have (services.INDEXED_TYPES): an
expression index on SQLite, a generated column with an index on PostgreSQL (which rewrites the
contact table once, as defining a detail does)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kartoteka.segments.services import index_details

    definitions = apps.get_model("contacts", "PropertyDefinition").objects.filter(type="boolean")
    index_details([(d.key, d.type) for d in definitions])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0011_timeline_kind_index_in_activity"),
        ("contacts", "0002_single_column_indexes_covered"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""On PostgreSQL, each indexed custom detail's value moves into a generated column of the contact
row with a plain index on it (replacing the expression index), so counting a detail condition
reads the index alone. SQLite keeps its expression indexes, which already count so."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from kartoteka.segments.services import index_details

    definitions = apps.get_model("contacts", "PropertyDefinition").objects.all()
    index_details([(d.key, d.type) for d in definitions])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0005_activity_recency"),
        ("contacts", "0001_initial"),
    ]

    # Backwards, the columns stay: they are harmless, and the expression indexes of before
    # would need the same table scan to come back.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

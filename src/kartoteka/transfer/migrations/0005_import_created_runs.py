"""Contacts an import created are journalled as runs of consecutive ids (ImportCreated), not a
journal row each: the rows of existing journals become runs."""

import django.db.models.deletion
from django.db import migrations, models


def created_rows_to_runs(apps, schema_editor):
    ImportRow = apps.get_model("transfer", "ImportRow")
    ImportCreated = apps.get_model("transfer", "ImportCreated")
    created = ImportRow.objects.filter(outcome="created")
    # order_by(): the model orders by row number, which distinct() would otherwise include.
    for batch_id in created.order_by().values_list("batch_id", flat=True).distinct():
        runs: list[list[int]] = []
        ids = created.filter(batch_id=batch_id).order_by("contact_id")
        for contact_id in ids.values_list("contact_id", flat=True).iterator(5000):
            if runs and runs[-1][1] == contact_id - 1:
                runs[-1][1] = contact_id
            else:
                runs.append([contact_id, contact_id])
        ImportCreated.objects.bulk_create(
            [
                ImportCreated(batch_id=batch_id, first_contact_id=a, last_contact_id=b)
                for a, b in runs
            ],
            batch_size=1000,
        )
    created.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("transfer", "0004_journal_batch_index_covered"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportCreated",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("first_contact_id", models.BigIntegerField()),
                ("last_contact_id", models.BigIntegerField()),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="created_runs",
                        to="transfer.import",
                    ),
                ),
            ],
        ),
        migrations.RunPython(created_rows_to_runs, migrations.RunPython.noop),
    ]

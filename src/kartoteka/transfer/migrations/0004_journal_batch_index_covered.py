"""Drop the journal's single-column batch index: import_row_by_number (batch, row number)
starts with the same column, and an import writes a journal row for every row it imports.

Only the index is dropped (SeparateDatabaseAndState): a plain AlterField would make SQLite copy
the whole journal into a new table.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("transfer", "0003_import_run_started")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="importrow",
                    name="batch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="journal",
                        to="transfer.import",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS transfer_importrow_batch_id_fc7c76b2",
                    reverse_sql="CREATE INDEX transfer_importrow_batch_id_fc7c76b2"
                    " ON transfer_importrow (batch_id)",
                )
            ],
        )
    ]

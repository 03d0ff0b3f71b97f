"""Drop single-column foreign-key indexes that a composite index or a unique constraint
starting with the same column already serves; each cost an index write per row, and imports
write several of these rows per contact.

Only the indexes are dropped (SeparateDatabaseAndState): a plain AlterField would make SQLite
copy the whole table into a new one, losing the triggers and raw indexes other apps keep on it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0002_notes_comments_tasks_files_notifications"),
        ("contacts", "0002_single_column_indexes_covered"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activity",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="activities",
                        to="contacts.contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS activity_activity_contact_id_89f13adf",
                    reverse_sql="CREATE INDEX activity_activity_contact_id_89f13adf ON activity_activity (contact_id)",
                )
            ],
        )
    ]

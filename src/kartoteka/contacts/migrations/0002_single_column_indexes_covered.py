"""Drop single-column foreign-key indexes that a composite index or a unique constraint
starting with the same column already serves; each cost an index write per row, and imports
write several of these rows per contact.

Only the indexes are dropped (SeparateDatabaseAndState): a plain AlterField would make SQLite
copy the whole table into a new one, losing the triggers and raw indexes other apps keep on it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contactowner",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ownerships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="contactphone",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phones",
                        to="contacts.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="contacttag",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tag_links",
                        to="contacts.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="contacttag",
                    name="tag",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_links",
                        to="contacts.tag",
                    ),
                ),
                migrations.AlterField(
                    model_name="messengerhandle",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messengers",
                        to="contacts.contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_contactowner_user_id_0a84d72a",
                    reverse_sql="CREATE INDEX contacts_contactowner_user_id_0a84d72a ON contacts_contactowner (user_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_contactphone_contact_id_4e09e055",
                    reverse_sql="CREATE INDEX contacts_contactphone_contact_id_4e09e055 ON contacts_contactphone (contact_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_contacttag_contact_id_7419fc13",
                    reverse_sql="CREATE INDEX contacts_contacttag_contact_id_7419fc13 ON contacts_contacttag (contact_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_contacttag_tag_id_5d4815b8",
                    reverse_sql="CREATE INDEX contacts_contacttag_tag_id_5d4815b8 ON contacts_contacttag (tag_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_messengerhandle_contact_id_119773fe",
                    reverse_sql="CREATE INDEX contacts_messengerhandle_contact_id_119773fe ON contacts_messengerhandle (contact_id)",
                ),
            ],
        )
    ]

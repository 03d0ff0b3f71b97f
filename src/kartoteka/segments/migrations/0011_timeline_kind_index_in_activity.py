"""The timeline's own activity_kind_time index is (kind, occurred_at, contact_id) now (activity
migration 0004), the shape of segments_activity_kind_time_contact from 0003: drop this copy."""

from django.db import migrations

NAME = "segments_activity_kind_time_contact"


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0010_sqlite_source_id_index"),
        ("activity", "0004_kind_time_index_with_contact"),
    ]

    operations = [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {NAME}",
            f"CREATE INDEX IF NOT EXISTS {NAME} ON activity_activity (kind, occurred_at, contact_id)",
        )
    ]

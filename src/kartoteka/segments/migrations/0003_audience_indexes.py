"""Indexes for common audience shapes: status with recent activity, and timeline behaviour
("visited 3 times in 7 days") answered from the index alone."""

from django.db import migrations

INDEXES = {
    "segments_contact_status_activity": "contacts_contact (status, last_activity_at)",
    "segments_activity_kind_time_contact": "activity_activity (kind, occurred_at, contact_id)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0002_search_and_filter_indexes"),
        ("contacts", "0001_initial"),
        ("activity", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES.items()
    ]

"""The queue's partitions on PostgreSQL: an index of each hit's partition (a hash of the
visitor id, 16 partitions) and id, so a worker process takes a partition's oldest hits in
order without reading the others' (tracking.services.process_hits). SQLite drains the queue
with one writer in order of arrival and has no use for it."""

from django.db import migrations

from kartoteka.core.database import on_vendor

INDEX = "tracking_hit_partition"


class Migration(migrations.Migration):
    dependencies = [("tracking", "0002_public_files_downloads")]

    operations = [
        migrations.RunPython(
            on_vendor(
                "postgresql",
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracking_hit ((hashtext(visitor) & 15), id)",
            ),
            on_vendor("postgresql", f"DROP INDEX IF EXISTS {INDEX}"),
            elidable=False,
        )
    ]

"""The queue's partitions on PostgreSQL: an index of each hit's partition (a hash of the
visitor id, 16 partitions) and id, so a worker process takes a partition's oldest hits in
order without reading the others' (tracking.services.process_hits). SQLite drains the queue
with one writer in order of arrival and has no use for it."""

from django.db import migrations

INDEX = "tracking_hit_partition"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracking_hit ((hashtext(visitor) & 15), id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tracking", "0002_public_files_downloads")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

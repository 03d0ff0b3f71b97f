"""The journal's rows are all updates now (created contacts are runs, migration 0005)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("transfer", "0005_import_created_runs"),
    ]

    operations = [
        migrations.RemoveField(model_name="importrow", name="outcome"),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """Where an import's latest run began, so a resumed import shows the rate of that run."""

    dependencies = [
        ("transfer", "0002_import_and_export_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="import",
            name="run_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="import",
            name="run_started_after",
            field=models.PositiveIntegerField(default=0),
        ),
    ]

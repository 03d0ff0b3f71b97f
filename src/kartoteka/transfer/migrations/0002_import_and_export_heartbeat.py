from django.db import migrations, models


class Migration(migrations.Migration):
    """The running process's last sign of life, so an interrupted run is noticed and resumed."""

    dependencies = [
        ("transfer", "0001_imports_journal_problems_exports"),
    ]

    operations = [
        migrations.AddField(
            model_name=model_name,
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        )
        for model_name in ("import", "export")
    ]

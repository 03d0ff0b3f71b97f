"""One scan at a time: the scan being run holds `running`, which only one scan may hold."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("duplicates", "0004_similar_name_at_the_same_company_rule"),
    ]

    operations = [
        migrations.AddField(
            model_name="duplicatescan",
            name="running",
            field=models.BooleanField(default=None, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="duplicatescan",
            constraint=models.UniqueConstraint(fields=("running",), name="one_scan_running"),
        ),
    ]

"""The timeline's (kind, occurred_at) index ends with the contact too, so "who did K within D
days" is answered from the index alone. Segments kept a raw index of that shape (its migration
0011 drops it, after this one), so a new timeline entry now writes one index entry fewer."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("activity", "0003_single_column_indexes_covered")]

    operations = [
        migrations.RemoveIndex(model_name="activity", name="activity_kind_time"),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["kind", "occurred_at", "contact"], name="activity_kind_time"
            ),
        ),
    ]

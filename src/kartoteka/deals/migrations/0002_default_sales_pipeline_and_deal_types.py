"""The "Sales" pipeline and the four deal types that ship with the app. Their names are empty:
each is shown in the reader's language from its key until an admin renames it."""

from django.db import migrations

STAGES = [
    # key, probability, kind
    ("new", 10, "open"),
    ("qualified", 25, "open"),
    ("proposal", 50, "open"),
    ("negotiation", 75, "open"),
    ("won", 100, "won"),
    ("lost", 0, "lost"),
]
TYPES = ["new_business", "upsell", "cross_sell", "renewal"]


def create_defaults(apps, schema_editor):
    pipeline_model = apps.get_model("deals", "Pipeline")
    stage_model = apps.get_model("deals", "Stage")
    type_model = apps.get_model("deals", "DealType")
    if not pipeline_model.objects.exists():
        pipeline = pipeline_model.objects.create(key="sales", position=0)
        for position, (key, probability, kind) in enumerate(STAGES):
            stage_model.objects.create(
                pipeline=pipeline, key=key, probability=probability, kind=kind, position=position
            )
    if not type_model.objects.exists():
        for position, key in enumerate(TYPES):
            type_model.objects.create(key=key, position=position)


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_pipelines_deals_stage_moves")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

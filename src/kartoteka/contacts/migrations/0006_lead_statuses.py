"""Lead statuses become records: the seven shipped ones, with their keys (contacts keep theirs)
and their names in en, es and pl; any other key found on contacts becomes a status too."""

from django.db import migrations, models

SHIPPED = [
    ("new", "open", {"en": "New", "es": "Nuevo", "pl": "Nowy"}),
    ("lead", "open", {"en": "Lead", "es": "Lead", "pl": "Lead"}),
    ("qualified", "open", {"en": "Qualified", "es": "Cualificado", "pl": "Zakwalifikowany"}),
    ("opportunity", "open", {"en": "Opportunity", "es": "Oportunidad", "pl": "Szansa sprzedaży"}),
    ("won", "won", {"en": "Client", "es": "Cliente", "pl": "Klient"}),
    ("lost", "lost", {"en": "Lost", "es": "Perdido", "pl": "Utracony"}),
    ("discarded", "discarded", {"en": "Discarded", "es": "Descartado", "pl": "Odrzucony"}),
]


def create_statuses(apps, schema_editor):
    LeadStatus = apps.get_model("contacts", "LeadStatus")
    Contact = apps.get_model("contacts", "Contact")
    rows = [
        LeadStatus(key=key, meaning=meaning, names=names, position=position)
        for position, (key, meaning, names) in enumerate(SHIPPED, start=1)
    ]
    known = {key for key, _meaning, _names in SHIPPED}
    used = Contact.objects.order_by().values_list("status", flat=True).distinct()
    for key in sorted(set(used) - known):
        rows.append(LeadStatus(key=key, name=key, meaning="open", position=len(rows) + 1))
    LeadStatus.objects.bulk_create(rows)


def drop_statuses(apps, schema_editor):
    apps.get_model("contacts", "LeadStatus").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_last_activity_from_timeline"),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadStatus",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=20, unique=True)),
                ("name", models.CharField(blank=True, max_length=60)),
                ("names", models.JSONField(blank=True, default=dict)),
                (
                    "meaning",
                    models.CharField(
                        choices=[
                            ("open", "In progress"),
                            ("won", "Client (won)"),
                            ("lost", "Lost"),
                            ("discarded", "Discarded"),
                        ],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="StatusRules",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("deal_won_makes_client", models.BooleanField(default=True)),
            ],
        ),
        migrations.AlterField(
            model_name="contact",
            name="status",
            field=models.CharField(default="new", max_length=20),
        ),
        migrations.RunPython(create_statuses, drop_statuses),
    ]

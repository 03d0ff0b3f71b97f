"""The matching rules a new workspace starts with; admins change them on the rules page."""

from django.db import migrations

DEFAULT_RULES = [
    ("Same phone number", [{"field": "phone", "match": "exact"}], 95, 88),
    (
        "Same name at the same company",
        [{"field": "name", "match": "exact"}, {"field": "company", "match": "exact"}],
        90,
        88,
    ),
    (
        "Similar name, same e-mail domain",
        [{"field": "name", "match": "fuzzy"}, {"field": "email_domain", "match": "exact"}],
        80,
        88,
    ),
    (
        "Similar name, same city",
        [{"field": "name", "match": "fuzzy"}, {"field": "city", "match": "exact"}],
        70,
        90,
    ),
]


def add_rules(apps, schema_editor):
    rule_model = apps.get_model("duplicates", "MatchingRule")
    for position, (name, conditions, confidence, similarity) in enumerate(DEFAULT_RULES, 1):
        rule_model.objects.create(
            name=name,
            conditions=conditions,
            combine="all",
            confidence=confidence,
            min_similarity=similarity,
            position=position,
        )


def remove_rules(apps, schema_editor):
    apps.get_model("duplicates", "MatchingRule").objects.filter(
        name__in=[name for name, *_rest in DEFAULT_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("duplicates", "0001_merge_records_and_matching_rules")]

    operations = [migrations.RunPython(add_rules, remove_rules)]

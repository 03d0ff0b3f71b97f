"""A default rule for a typo in the name of someone at the same company.

Colleagues rarely have near-identical names, so a similar name at one company is strong evidence
even when the e-mail domain is a free-mail one (which weakens the e-mail-domain rule). Workspaces
that already have a rule of this name keep theirs.
"""

from django.db import migrations

NAME = "Similar name at the same company"
CONDITIONS = [{"field": "name", "match": "fuzzy"}, {"field": "company", "match": "exact"}]


def add_rule(apps, schema_editor):
    rule_model = apps.get_model("duplicates", "MatchingRule")
    if rule_model.objects.filter(name=NAME).exists():
        return
    last = rule_model.objects.order_by("-position").values_list("position", flat=True).first()
    rule_model.objects.create(
        name=NAME,
        conditions=CONDITIONS,
        combine="all",
        confidence=85,
        min_similarity=88,
        position=(last or 0) + 1,
    )


def remove_rule(apps, schema_editor):
    apps.get_model("duplicates", "MatchingRule").objects.filter(
        name=NAME, conditions=CONDITIONS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("duplicates", "0003_duplicate_scans_and_stored_groups")]

    operations = [migrations.RunPython(add_rule, remove_rule)]

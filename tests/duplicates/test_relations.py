from django.apps import apps
from django.db import models

from kartoteka.duplicates import relations


def test_every_foreign_key_to_contacts_has_a_merge_and_forget_policy():
    assert relations.undeclared() == [], (
        "Declare a policy in kartoteka/duplicates/relations.py for these tables"
    )


def test_a_table_without_policy_is_reported(monkeypatch):
    contact_model = apps.get_model("contacts", "Contact")
    known = relations.contact_relations()

    class Undeclared:
        key = "shop.Purchase.contact"
        policy = None

    monkeypatch.setattr(relations, "contact_relations", lambda: [*known, Undeclared()])
    assert relations.undeclared() == ["shop.Purchase.contact"]
    assert contact_model is not None


def test_policies_only_use_known_actions():
    merges = {relations.KEEP, relations.MOVE, relations.MOVE_UNIQUE, relations.CARD}
    merges.add(relations.DELETE)
    forgets = {relations.KEEP, relations.ERASE, relations.ANONYMISE}
    for key, policy in relations.POLICIES.items():
        assert policy.merge in merges, key
        assert policy.forget in forgets, key


def test_anonymised_tables_can_lose_their_contact_link():
    for relation in relations.contact_relations():
        if relation.policy and relation.policy.forget == relations.ANONYMISE:
            assert isinstance(relation.field, models.ForeignKey)
            assert relation.field.null, relation.key

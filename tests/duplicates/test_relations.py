import pytest
from django.apps import apps
from django.db import models

from kartoteka.activity import services as activity
from kartoteka.activity.models import Note
from kartoteka.core import relations
from kartoteka.privacy.mentions import Mentions
from tests.factories import make_contact


def test_every_foreign_key_to_contacts_has_a_merge_and_forget_policy():
    assert relations.undeclared() == [], (
        "Declare a policy for these tables in their owner's relations.py"
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


def test_every_text_column_is_swept_on_forget_or_says_why_not():
    assert relations.unswept_text_columns() == [], (
        "Add these columns to MENTIONS (and sweep them in the owner's forget_mentions) or to "
        "not_swept with the reason in their owner's relations.py"
    )


def test_a_new_text_column_without_a_forget_sweep_is_reported(monkeypatch):
    monkeypatch.setitem(relations.MENTIONS, "activity.Task", ("title",))
    assert relations.unswept_text_columns() == ["activity.Task.description"]


def test_every_table_that_is_swept_has_an_owner_that_sweeps_it():
    from importlib import import_module

    owners = [import_module(name) for name in relations.mention_owners()]
    assert {owner.__name__ for owner in owners} == {
        "kartoteka.activity.services",
        "kartoteka.contacts.services",
        "kartoteka.consents.services",
        "kartoteka.mailing.services",
        "kartoteka.commerce.services",
        "kartoteka.deals.services",
        "kartoteka.companies.services",
        "kartoteka.transfer.services",
    }
    assert all(callable(owner.forget_mentions) for owner in owners)


def test_two_owners_declaring_one_column_differently_is_refused(monkeypatch):
    monkeypatch.setattr(relations, "POLICIES", dict(relations.POLICIES))
    with pytest.raises(ValueError, match="activity.Note.contact"):
        relations.declare(
            policies={"activity.Note.contact": relations.Policy(relations.KEEP, relations.KEEP)}
        )


@pytest.mark.django_db
def test_the_shared_sweep_writes_what_is_rendered_from_the_new_text(admin):
    note = activity.add_note(admin, make_contact(admin), body="Met **Ana García** at the fair.")
    mentions = Mentions.of(emails=[], phones=[], first_name="Ana", last_name="García")

    def rendered(row: Note) -> dict:
        return {"body_html": f"<p>{row.body}</p>"}

    assert relations.forget_mentions_in(Note, mentions, rendered=rendered) == 1
    note.refresh_from_db()
    assert note.body == "Met **[…]** at the fair."
    assert note.body_html == "<p>Met **[…]** at the fair.</p>"
    assert relations.forget_mentions_in(Note, mentions, rendered=rendered) == 0

import pytest

from kartoteka.activity.models import Activity, Note
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Contact
from kartoteka.core import relations
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.duplicates.models import MergeRecord
from kartoteka.duplicates.services import merge_contacts, undo_merge
from tests.duplicates.helpers import fill_related_tables, related_counts, scanned
from tests.factories import make_contact


@pytest.fixture
def pair(admin, sales):
    survivor = make_contact(
        admin,
        email="ana@example.com",
        first_name="Ana",
        last_name="Lopez",
        phone="+34600111222",
        city="Madrid",
        owners=[admin],
    )
    merged = make_contact(
        admin,
        email="ana.lopez@work.example",
        first_name="Ana María",
        last_name="López",
        phone="+34600999888",
        job_title="CTO",
        owners=[sales],
    )
    return survivor, merged


def test_merge_moves_every_related_row_onto_the_survivor(admin, sales, pair):
    survivor, merged = pair
    fill_related_tables(admin, survivor, mention=sales)
    fill_related_tables(admin, merged, mention=sales)
    before_survivor = related_counts(survivor.pk)
    before_merged = related_counts(merged.pk)

    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])

    assert not Contact.objects.filter(pk=merged.pk).exists()
    after_survivor, after_merged = related_counts(survivor.pk), related_counts(merged.pk)
    for relation in relations.contact_relations():
        key, policy = relation.key, relation.policy
        if policy.merge == relations.KEEP:
            continue
        assert after_merged[key] == 0, key
        if key in ("activity.Activity.contact", "duplicates.MergeRecord.survivor"):
            # The merge adds its own timeline entries and undo record on top of the moved ones.
            assert after_survivor[key] > before_survivor[key] + before_merged[key]
        elif policy.merge == relations.MOVE:
            assert after_survivor[key] == before_survivor[key] + before_merged[key], key
        elif policy.merge == relations.MOVE_UNIQUE:
            # Rows the survivor already had (the shared "vip" tag) are not doubled.
            assert after_survivor[key] >= max(before_survivor[key], before_merged[key]), key


def test_merge_keeps_the_bytes_of_the_merged_contacts_files(
    admin, sales, pair, django_capture_on_commit_callbacks
):
    survivor, merged = pair
    made = fill_related_tables(admin, merged, mention=sales)
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    made["file"].refresh_from_db()
    assert made["file"].contact_id == survivor.pk
    with made["file"].file.open("rb") as handle:
        assert handle.read().startswith(b"file of")


def test_merge_keeps_every_note(admin, sales, pair):
    survivor, merged = pair
    made = fill_related_tables(admin, merged, mention=sales)
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert Note.objects.get(pk=made["note"].pk).contact_id == survivor.pk


def test_survivor_keeps_its_primaries_and_gains_the_other_addresses(admin, pair):
    survivor, merged = pair
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    survivor.refresh_from_db()
    assert survivor.email == "ana@example.com"
    assert survivor.phone == "+34600111222"
    assert sorted(survivor.emails.values_list("email", flat=True)) == [
        "ana.lopez@work.example",
        "ana@example.com",
    ]
    assert survivor.phones.count() == 2


def test_blank_survivor_fields_are_filled_from_the_merged_contact(admin, pair):
    survivor, merged = pair
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    survivor.refresh_from_db()
    assert survivor.job_title == "CTO"
    assert survivor.first_name == "Ana"


def test_chosen_fields_come_from_the_chosen_contact(admin, pair):
    survivor, merged = pair
    merge_contacts(
        admin,
        survivor_id=survivor.pk,
        merged_ids=[merged.pk],
        fields={"first_name": merged.pk, "email": merged.pk, "job_title": merged.pk},
    )
    survivor.refresh_from_db()
    assert survivor.first_name == "Ana María"
    assert survivor.email == "ana.lopez@work.example"
    assert survivor.job_title == "CTO"
    assert survivor.last_name == "Lopez"


def test_owners_and_tags_are_merged(admin, sales, pair):
    survivor, merged = pair
    contacts.add_tags(admin, survivor, names=["vip"])
    contacts.add_tags(admin, merged, names=["vip", "newsletter"])
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert sorted(survivor.owners.values_list("username", flat=True)) == ["alba", "sergio"]
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["newsletter", "vip"]


def test_merge_lands_on_the_survivors_timeline(admin, pair):
    survivor, merged = pair
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    entry = Activity.objects.get(contact=survivor, kind="merged")
    assert entry.payload["merged_contact_id"] == merged.pk
    assert entry.payload["merge_id"] == record.pk


def test_bad_merge_input_names_each_problem_and_writes_nothing(admin, pair):
    survivor, merged = pair
    with pytest.raises(InvalidInput) as error:
        merge_contacts(
            admin,
            survivor_id=survivor.pk,
            merged_ids=[survivor.pk, "x"],
        )
    assert set(error.value.errors) == {"merged.1", "merged"}
    with pytest.raises(InvalidInput) as error:
        merge_contacts(
            admin, survivor_id=survivor.pk, merged_ids=[merged.pk], fields={"password": merged.pk}
        )
    assert "fields.password" in error.value.errors
    assert Contact.objects.filter(pk=merged.pk).exists()
    assert not MergeRecord.objects.exists()


def test_sales_user_cannot_merge_a_contact_they_do_not_own(sales, pair):
    survivor, merged = pair  # sales owns only `merged`
    with pytest.raises(NotFound):
        merge_contacts(sales, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert Contact.objects.filter(pk=merged.pk).exists()


def test_merge_refuses_while_a_table_has_no_policy(admin, pair, monkeypatch):
    survivor, merged = pair
    monkeypatch.setattr(relations, "POLICIES", {})
    with pytest.raises(Conflict):
        merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert Contact.objects.filter(pk=merged.pk).exists()


def test_undo_restores_the_merged_contact_with_its_rows(admin, sales, pair):
    survivor, merged = pair
    made = fill_related_tables(admin, merged, mention=sales)
    counts = related_counts(merged.pk)
    (record,) = merge_contacts(
        admin, survivor_id=survivor.pk, merged_ids=[merged.pk], fields={"first_name": merged.pk}
    )

    undo_merge(admin, record)

    restored = Contact.objects.get(pk=merged.pk)
    assert restored.email == "ana.lopez@work.example"
    assert restored.first_name == "Ana María"
    assert Note.objects.get(pk=made["note"].pk).contact_id == merged.pk
    after = related_counts(merged.pk)
    for relation in relations.contact_relations():
        if relation.policy.merge != relations.KEEP and relation.key != "activity.Activity.contact":
            assert after[relation.key] == counts[relation.key], relation.key
    survivor.refresh_from_db()
    assert survivor.first_name == "Ana"
    assert list(survivor.emails.values_list("email", flat=True)) == ["ana@example.com"]
    assert list(survivor.owners.values_list("username", flat=True)) == ["alba"]
    record.refresh_from_db()
    assert record.undone_at is not None and record.undo_report == []


def test_undo_reports_and_keeps_what_was_edited_since(admin, sales, pair):
    from kartoteka.activity import services as activity

    survivor, merged = pair
    made = fill_related_tables(admin, merged, mention=sales)
    (record,) = merge_contacts(
        admin, survivor_id=survivor.pk, merged_ids=[merged.pk], fields={"city": merged.pk}
    )
    activity.edit_note(admin, Note.objects.get(pk=made["note"].pk), body="changed after merge")
    contacts.update_contact(admin, survivor, data={"city": "Sevilla"})

    undo_merge(admin, record)

    record.refresh_from_db()
    problems = {(p.get("table"), p.get("field")) for p in record.undo_report}
    assert ("activity.Note", None) in problems
    assert (None, "city") in problems
    assert Note.objects.get(pk=made["note"].pk).contact_id == survivor.pk
    survivor.refresh_from_db()
    assert survivor.city == "Sevilla"


def test_only_admins_undo_a_merge(sales, admin, pair):
    survivor, merged = pair
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    with pytest.raises(Forbidden):
        undo_merge(sales, record)


def test_a_merge_cannot_be_undone_twice(admin, pair):
    survivor, merged = pair
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    undo_merge(admin, record)
    with pytest.raises(Conflict):
        undo_merge(admin, record)


def test_bulk_merge_leaves_big_groups_for_a_person_to_check(admin):
    from kartoteka.duplicates.services import merge_exact_groups

    for _ in range(4):
        make_contact(admin, phone="+34910000000")
    scanned()
    assert merge_exact_groups(admin) == []
    assert Contact.objects.count() == 4

"""PostgreSQL keeps each contact's tag ids on its row (contacts_contact.tag_ids) for tag filters.
The array must equal the link table whichever way tags are written: on the card, replacing the
list, a raw multi-row INSERT (as the bulk import writes), an import, merging and deleting tags,
merging contacts and undoing the merge."""

from collections import defaultdict

import pytest
from django.db import connection

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact, ContactTag, Tag
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tag-id array is PostgreSQL's"
)


def expected_arrays() -> dict[int, list[int]]:
    """Each contact's tag ids the slow obvious way, from the link table."""
    arrays = defaultdict(list)
    for contact_id, tag_id in ContactTag.objects.values_list("contact_id", "tag_id"):
        arrays[contact_id].append(tag_id)
    return {pk: sorted(arrays[pk]) for pk in Contact.objects.values_list("pk", flat=True)}


def arrays() -> dict[int, list[int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, tag_ids FROM contacts_contact")
        return {pk: list(ids) for pk, ids in cursor.fetchall()}


def tag_id(name: str) -> int:
    return Tag.objects.get(name_folded=name).pk


def test_adding_removing_and_replacing_tags_on_the_card(admin):
    ana, ben = make_contact(admin, tags=["vip"]), make_contact(admin)
    contact_services.add_tags(admin, ben, names=["lead", "vip"])
    assert arrays() == expected_arrays()
    assert arrays()[ben.pk] == sorted([tag_id("lead"), tag_id("vip")])
    contact_services.remove_tag(admin, ana, name="vip")
    assert arrays()[ana.pk] == []
    contact_services.update_contact(admin, ben, data={"tags": ["customer"]})
    assert arrays() == expected_arrays()
    assert arrays()[ben.pk] == [tag_id("customer")]


def test_a_raw_multi_row_insert_and_an_import_keep_the_arrays(admin, tmp_path):
    people = [make_contact(admin) for _ in range(3)]
    vip = Tag.objects.create(name="vip", name_folded="vip")
    lead = Tag.objects.create(name="lead", name_folded="lead")
    rows = [(people[0].pk, vip.pk), (people[0].pk, lead.pk), (people[1].pk, lead.pk)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_contacttag (contact_id, tag_id, added_at, origin, origin_label)"
            " VALUES " + ", ".join(["(%s, %s, now(), 'import', '')"] * len(rows)),
            [value for row in rows for value in row],
        )
    assert arrays() == expected_arrays()
    path = write(tmp_path, "people.csv", "email,tags\nnew1@example.com,vip\nnew2@example.com,\n")
    run(admin, path, tags=["fair 2026"])
    assert arrays() == expected_arrays()
    assert len(arrays()[Contact.objects.get(email="new1@example.com").pk]) == 2


def test_an_import_suspends_the_trigger_and_its_tag_filters_answer_as_the_links(admin, tmp_path):
    kept = make_contact(admin, email="kept@example.com", tags=["lead"])
    lines = ["email,tags"]
    lines += [f"p{n}@example.com,{['vip', 'lead', 'vip;lead', ''][n % 4]}" for n in range(12)]
    lines.append("kept@example.com,vip")
    path = write(tmp_path, "people.csv", "\n".join(lines) + "\n")
    run(admin, path, tags=["fair 2026"])
    assert arrays() == expected_arrays()
    assert arrays()[kept.pk] == sorted([tag_id("lead"), tag_id("vip"), tag_id("fair 2026")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('kartoteka.tag_ids_suspended', true)")
        assert cursor.fetchone()[0] in (None, "", "off")

    def by_links(names, every):
        wanted = {tag_id(name) for name in names}
        have = {pk: set(ids) for pk, ids in expected_arrays().items()}
        return {pk for pk, ids in have.items() if (wanted <= ids if every else wanted & ids)}

    nobody = {"field": "score", "op": "gt", "value": 1000}
    for op, names in [("has_any", ["vip"]), ("has_all", ["vip", "lead"]), ("has_any", ["lead"])]:
        condition = {"any": [{"field": "tags", "op": op, "value": names}, nobody]}
        found = filter_contacts(admin, condition)
        assert "tag_ids" in str(found.query)
        assert set(found.values_list("pk", flat=True)) == by_links(names, op == "has_all")
    # The trigger keeps the arrays again after the load.
    contact_services.add_tags(admin, kept, names=["after"])
    assert arrays() == expected_arrays()


def test_merging_and_deleting_tags_keep_the_arrays(admin):
    both = make_contact(admin, tags=["old", "new"])
    only_old = make_contact(admin, tags=["old", "vip"])
    old, new = Tag.objects.get(name_folded="old"), Tag.objects.get(name_folded="new")
    contact_services.merge_tags(admin, source=old, target=new)
    assert arrays() == expected_arrays()
    assert arrays()[both.pk] == [new.pk]
    contact_services.delete_tag(admin, Tag.objects.get(name_folded="vip"))
    assert arrays()[only_old.pk] == [new.pk]
    assert arrays() == expected_arrays()


def test_merging_contacts_and_undoing_the_merge_keep_the_arrays(admin):
    survivor = make_contact(admin, tags=["vip"])
    merged = make_contact(admin, tags=["vip", "lead"])
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert arrays() == expected_arrays()
    assert arrays()[survivor.pk] == sorted([tag_id("vip"), tag_id("lead")])
    undo_merge(admin, record)
    assert arrays() == expected_arrays()


def test_tag_conditions_under_an_any_read_the_array(admin):
    vip_es = make_contact(admin, tags=["vip"], country="ES")
    vip_pl = make_contact(admin, tags=["vip", "lead"], country="PL")
    high = make_contact(admin, score=99)
    untagged = make_contact(admin)
    vip_not_es = {
        "all": [
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"not": {"field": "country", "op": "eq", "value": "ES"}},
        ]
    }
    found = filter_contacts(
        admin, {"any": [vip_not_es, {"field": "score", "op": "gte", "value": 95}]}
    )
    assert "tag_ids &&" in str(found.query)
    assert set(found.values_list("pk", flat=True)) == {vip_pl.pk, high.pk}
    # In a plain conjunction the link rows join better (with the owner scope, say).
    alone = filter_contacts(admin, vip_not_es)
    assert "tag_ids" not in str(alone.query)
    assert set(alone.values_list("pk", flat=True)) == {vip_pl.pk}

    def matching(op, value=None):
        nobody = {"field": "score", "op": "gt", "value": 1000}
        condition = {"any": [{"field": "tags", "op": op, "value": value}, nobody]}
        return set(filter_contacts(admin, condition).values_list("pk", flat=True))

    assert matching("has_all", ["vip", "lead"]) == {vip_pl.pk}
    assert matching("has_all", ["vip", "no such tag"]) == set()
    assert matching("has_any", ["lead", "no such tag"]) == {vip_pl.pk}
    assert matching("has_none", ["vip"]) == {high.pk, untagged.pk}
    assert matching("is_empty") == {high.pk, untagged.pk}
    assert matching("is_not_empty") == {vip_es.pk, vip_pl.pk}

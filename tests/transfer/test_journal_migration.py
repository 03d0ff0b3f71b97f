"""Migration 0005 turns the journal rows of created contacts into runs of ids."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("transfer", "0004_journal_batch_index_covered")]
AFTER = [("transfer", "0006_journal_rows_are_updates")]


@pytest.mark.django_db(transaction=True)
def test_created_rows_become_runs_and_updated_rows_stay():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    imp = old.get_model("transfer", "Import").objects.create(file_name="a.csv", file_path="a")
    journal = old.get_model("transfer", "ImportRow").objects
    for number, contact_id in enumerate([7, 5, 6, 9, 12, 11], start=1):
        journal.create(batch_id=imp.pk, row_number=number, contact_id=contact_id, outcome="created")
    journal.create(batch_id=imp.pk, row_number=7, contact_id=3, outcome="updated", after={"a": 1})

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    runs = new.get_model("transfer", "ImportCreated").objects.filter(batch_id=imp.pk)
    assert sorted(runs.values_list("first_contact_id", "last_contact_id")) == [
        (5, 7),
        (9, 9),
        (11, 12),
    ]
    left = new.get_model("transfer", "ImportRow").objects.filter(batch_id=imp.pk)
    assert list(left.values_list("contact_id", "after")) == [(3, {"a": 1})]

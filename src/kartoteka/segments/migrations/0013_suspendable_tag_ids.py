"""On PostgreSQL, the trigger that keeps each contact's tag ids on its row (0009) steps aside
while the transaction that fires it has suspended it (segments.services.suspend_tag_ids, for a
bulk load): the load then fills the arrays of the contacts it gave tags in one statement
(rebuild_tag_ids). A transaction-local setting rather than ALTER TABLE … DISABLE TRIGGER, which
would lock the link table against every other writer for the load's transaction."""

from django.db import migrations

TABLE = "contacts_contact"
LINKS = "contacts_contacttag"
SETTING = "kartoteka.tag_ids_suspended"


def _insert_trigger(suspendable: bool) -> str:
    check = (
        f"IF current_setting('{SETTING}', true) = 'on' THEN RETURN NULL; END IF;"
        if suspendable
        else ""
    )
    return f"""CREATE OR REPLACE FUNCTION {TABLE}_tag_ids_after_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {check}
            PERFORM {TABLE}_tag_ids_refresh(array_agg(DISTINCT contact_id))
            FROM (SELECT contact_id FROM new_rows) touched WHERE contact_id IS NOT NULL;
            RETURN NULL;
        END $$"""


def _run(statement: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("segments", "0012_boolean_detail_indexes")]

    operations = [migrations.RunPython(_run(_insert_trigger(True)), _run(_insert_trigger(False)))]

"""Give contacts the last activity their timeline already shows: until now only creation set
last_activity_at, so notes, comments, tasks, files and status changes recorded before this
release are taken into account once here. Later entries move it as they are recorded."""

from django.db import migrations

# The kinds that counted as activity when this migration was written (the timeline registry
# decides from now on; a migration never imports app code).
COUNTED = (
    "created",
    "status_changed",
    "note_added",
    "note_edited",
    "comment_added",
    "task_created",
    "task_completed",
    "task_status_changed",
    "task_reassigned",
    "task_linked",
    "file_uploaded",
)
_KINDS = ", ".join(f"'{kind}'" for kind in COUNTED)
_LATEST = (
    "SELECT max(a.occurred_at) FROM activity_activity a"
    f" WHERE a.contact_id = contacts_contact.id AND a.kind IN ({_KINDS})"
)

FORWARD = (
    f"UPDATE contacts_contact SET last_activity_at = ({_LATEST})"
    " WHERE EXISTS (SELECT 1 FROM activity_activity a"
    f" WHERE a.contact_id = contacts_contact.id AND a.kind IN ({_KINDS})"
    " AND (contacts_contact.last_activity_at IS NULL"
    " OR a.occurred_at > contacts_contact.last_activity_at))"
)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_search_text_without_accents"),
        ("activity", "0004_kind_time_index_with_contact"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=migrations.RunSQL.noop)]

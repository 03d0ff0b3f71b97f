"""Row triggers an app suspends while a bulk load fills its table, and re-creates afterwards
(see core.writeplan.DerivedData)."""

from django.db import connection

# The text of each trigger while it is suspended, to re-create it from.
_suspended: dict[str, str] = {}


def drop_row_trigger(name: str) -> bool:
    """SQLite: drop the row trigger `name` (inside the caller's transaction), keeping its text;
    False on PostgreSQL, whose triggers here are statement triggers and cheap in bulk."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        found = cursor.fetchone()
        if found is None:
            return False
        cursor.execute(f"DROP TRIGGER {name}")
    _suspended[name] = found[0]
    return True


def restore_row_trigger(name: str) -> None:
    """Re-create the row trigger `name` that drop_row_trigger dropped."""
    with connection.cursor() as cursor:
        cursor.execute(_suspended.pop(name))

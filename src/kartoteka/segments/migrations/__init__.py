"""Migrations of the segments app."""


def on_postgresql(statement: str):
    """A RunPython function that runs `statement` on PostgreSQL only (indexes that SQLite does
    not need, or cannot build)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run

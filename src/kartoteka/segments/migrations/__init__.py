"""Migrations of the segments app."""


def on_vendor(vendor: str, statement: str):
    """A RunPython function that runs `statement` on one database vendor only (an index that the
    other does not need, or cannot build)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            schema_editor.execute(statement)

    return run


def on_postgresql(statement: str):
    return on_vendor("postgresql", statement)

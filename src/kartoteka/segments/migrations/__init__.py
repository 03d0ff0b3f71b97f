"""Migrations of the segments app."""

from kartoteka.core.database import on_vendor


def on_postgresql(statement: str):
    return on_vendor("postgresql", statement)

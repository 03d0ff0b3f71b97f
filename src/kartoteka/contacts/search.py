"""Free-text search over a contact's search text (name, e-mails, phones, company, folded by
`core.normalise.fold_search`), and the index that answers it.

The search text is a column of contacts' own table, so contacts owns its index too: on
PostgreSQL the trigram GIN index "segments_contact_search_trgm", on SQLite the FTS5 trigram
table `SQLITE_SEARCH_TABLE` and its three triggers on contacts_contact (insert, delete, update
of search_text). Both were created by landed segments migrations (0002 and 0004), which keep
their names; contacts maintains them from now on. The filter language's "text" field and the
contact list's search box both call `search_words`, so they find the same contacts.
"""

from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from kartoteka.core.normalise import fold_search
from kartoteka.core.triggers import drop_row_trigger, restore_row_trigger
from kartoteka.core.writeplan import DerivedData

SQLITE_SEARCH_TABLE = "segments_contact_search"  # FTS5 trigram index, segments migration 0004
_SEARCH_TRIGGER = f"{SQLITE_SEARCH_TABLE}_insert"


def search_words(path: str):
    """Free-text search over the lower-cased search column: every word must appear."""

    def build(op: str, value: Any) -> Q:
        words = fold_search(value).split()
        # The longest word is looked up in the index; the others only check its few matches.
        indexed = max(words, key=len) if words else ""
        result = Q()
        for word in words:
            condition = _containing(path, word, indexed=word == indexed)
            digits = "".join(ch for ch in word if ch.isdigit())
            if len(digits) >= 5 and len(digits) >= len(word) - 4:  # a phone typed with dashes
                condition |= _containing(path, digits, indexed=word == indexed)
            result &= condition
        return result

    return build


def _containing(path: str, word: str, *, indexed: bool) -> Q:
    """Contacts whose search text contains `word`. On SQLite, words of three characters or
    more without LIKE wildcards go through the trigram index (LIKE on an FTS5 trigram table
    uses it) instead of reading every row; the word is a bound parameter."""
    plain = not any(ch in word for ch in "%_\\")
    if indexed and connection.vendor == "sqlite" and len(word) >= 3 and plain:
        return Q(
            pk__in=RawSQL(
                f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE search_text LIKE %s",
                [f"%{word}%"],
            )
        )
    return Q(**{f"{path}__contains": word})


def suspend_search_index() -> bool:
    """Stop indexing new contacts for SQLite's text search row by row: FTS5 flushes its
    pending index data at every trigger statement, so a bulk load indexes its contacts at once
    instead (rebuild_search_index)."""
    return drop_row_trigger(_SEARCH_TRIGGER)


def rebuild_search_index(first: int, last: int) -> None:
    """Index the contacts with ids first to last (new ones), and index row by row again."""
    try:
        if first <= last:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {SQLITE_SEARCH_TABLE} (rowid, search_text)"
                    " SELECT id, search_text FROM contacts_contact WHERE id BETWEEN %s AND %s",
                    [first, last],
                )
    finally:
        restore_row_trigger(_SEARCH_TRIGGER)


# Registered with core.writeplan from ContactsConfig.ready().
SEARCH_INDEX = DerivedData(
    "contacts.search_index",
    table="contacts_contact",
    suspend=suspend_search_index,
    rebuild=rebuild_search_index,
)

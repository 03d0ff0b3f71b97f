"""Quick search compares text without accents (core.normalise.fold_search): the search text
kept on each contact is folded the same way, so "garcia" finds "García" and the other way
round through the same trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL), which follow
the column by themselves."""

import unicodedata

from django.db import migrations

BATCH = 2000
# A copy of core.normalise.fold_search as it was when this migration was written (migrations
# never import app code).
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return unicodedata.normalize("NFC", "".join(ch for ch in text if not unicodedata.combining(ch)))


def fold_search_text(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    after = 0
    while True:
        rows = list(
            Contact.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "search_text")[:BATCH]
        )
        if not rows:
            return
        after = rows[-1][0]
        changed = [
            Contact(pk=pk, search_text=_fold(text))
            for pk, text in rows
            if not text.isascii() and _fold(text) != text
        ]
        if changed:
            Contact.objects.bulk_update(changed, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_company_name_index")]

    operations = [migrations.RunPython(fold_search_text, migrations.RunPython.noop, elidable=True)]

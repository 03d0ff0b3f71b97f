"""What every door that takes a file answers to one past the size limit, in each language, for
the tests of those doors."""

from pathlib import Path

# Bytes: every file the tests post is larger.
LIMIT = 10

PAST_THE_LIMIT = {
    "en": "The file is larger than the limit of 10\xa0bytes.",
    "es": "El archivo supera el límite de 10\xa0bytes.",
    "pl": "Plik przekracza limit 10\xa0bajtów.",
}

LANGUAGES = sorted(PAST_THE_LIMIT)


def stored_files(root: Path | str) -> list[Path]:
    """The files under a storage folder (none where it was never made)."""
    return [found for found in Path(root).rglob("*") if found.is_file()]

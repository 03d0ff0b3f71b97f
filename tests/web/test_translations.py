"""The Spanish and Polish catalogues are complete and compiled, so a fresh install needs no
gettext tools and no page shows an untranslated string."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[2] / "src" / "kartoteka" / "locale"
LANGUAGES = ["es", "pl"]


def entries(po: Path) -> list[dict]:
    """The catalogue's entries: flags, msgctxt, msgid and the msgstr values (header skipped)."""
    found, current, field = [], None, None
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and current["msgid"]:
                found.append(current)
            current, field = None, None
            continue
        current = current or {"flags": "", "msgid": "", "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line):
            field = match.group(1)
            if field.startswith("msgstr"):
                current["msgstr"][field] = match.group(2)
            elif field in ("msgid", "msgctxt"):
                current[field] = match.group(2)
        elif line.startswith('"') and field:
            if field.startswith("msgstr"):
                current["msgstr"][field] += line[1:-1]
            elif field in ("msgid", "msgctxt"):
                current[field] += line[1:-1]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    problems = [
        e["msgid"]
        for e in entries(po)
        if "fuzzy" in e["flags"] or not all(e["msgstr"].values()) or not e["msgstr"]
    ]
    assert problems == [], f"{language}: untranslated or fuzzy: {problems[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_not_older_than_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po, mo = folder / "django.po", folder / "django.mo"
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    # Git keeps no modification times, so compare contents: the .mo says what the .po says.
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = [
        e["msgid"]
        for e in entries(po)
        if "msgstr" in e["msgstr"] and _translated(catalogue, e) != _unescape(e["msgstr"]["msgstr"])
    ]
    assert stale == [], f"{language}: .mo differs from .po for {stale[:10]}: run compilemessages"


def _translated(catalogue: gettext.GNUTranslations, entry: dict) -> str:
    msgid = _unescape(entry["msgid"])
    if "msgctxt" in entry:
        return catalogue.pgettext(_unescape(entry["msgctxt"]), msgid)
    return catalogue.gettext(msgid)


def _unescape(text: str) -> str:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


@pytest.mark.parametrize(("language", "word"), [("es", "Contactos"), ("pl", "Kontakty")])
def test_pages_render_in_the_chosen_language(sales, language, word):
    client = Client()
    client.force_login(sales)
    client.post(reverse("set_language"), {"language": language, "next": "/contacts/"})
    page = client.get(reverse("web:contact-list")).content.decode()
    assert f"<h1>{word}</h1>" in page

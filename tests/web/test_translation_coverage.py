"""Every user-visible string is translated: what the sources mark for translation is in the
Spanish and Polish catalogues with a translation, and no service raises an error whose message
skips gettext. The catalogues are judged against the sources, not against a fixed list, so a
string anybody adds without a translation fails here."""

import ast
import shutil

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.web.test_translations import LANGUAGES, LOCALE, entries

SOURCE = LOCALE.parent
ERRORS = {"InvalidInput", "Conflict", "NotFound", "Forbidden"}
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids makemessages finds in the sources today (Python and templates), extracted
    into a copy so that the committed catalogues stay untouched."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: apt-get install -y gettext")
    copy = tmp_path_factory.mktemp("sources") / "kartoteka"
    shutil.copytree(
        SOURCE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "*.mo")
    )
    (copy / "locale").mkdir()
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[copy / "locale"]):
        patch.chdir(copy)
        call_command("makemessages", locale=["es"], verbosity=0, no_location=True)
    return {e["msgid"] for e in entries(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_marked_for_translation_is_translated(extracted, language):
    translated = {
        e["msgid"]
        for e in entries(LOCALE / language / "LC_MESSAGES" / "django.po")
        if e["msgstr"] and all(e["msgstr"].values()) and "fuzzy" not in e["flags"]
    }
    missing = sorted(extracted - translated)
    assert missing == [], f"{language}: {len(missing)} strings without a translation: {missing}"


def _literal_messages(tree: ast.AST) -> list[tuple[int, str]]:
    """Messages handed to a typed error or an error collector as plain text or an f-string."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in ERRORS:
            # InvalidInput's first argument is the field, the others' is the message.
            args = node.args[1:] if name == "InvalidInput" else node.args[:1]
        elif (
            name == "add"
            and isinstance(func, ast.Attribute)
            and getattr(func.value, "id", "") == "errors"
        ):
            args = node.args[1:]
        else:
            continue
        args = args + [k.value for k in node.keywords if k.arg == "message"]
        for arg in args:
            if isinstance(arg, ast.JoinedStr) or (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value
            ):
                found.append((node.lineno, ast.unparse(arg)[:80]))
    return found


def test_errors_raised_for_people_go_through_gettext():
    problems = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, text in _literal_messages(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(SOURCE)}:{line}: {text}")
    assert problems == [], "wrap these messages in gettext:\n" + "\n".join(problems)


def test_the_literal_check_spots_a_message_without_gettext():
    tree = ast.parse(
        'raise InvalidInput("email", "Enter an e-mail.")\n'
        'raise Conflict(f"Taken: {name}")\n'
        'errors.add("phone", "Bad.")\n'
        'raise InvalidInput("email", _("Enter an e-mail."))\n'
    )
    assert [line for line, _text in _literal_messages(tree)] == [1, 2, 3]

"""Where each column of an import goes: the targets offered, suggestions from headers written in
English, Spanish or Polish, and turning a row of cells into the fields of a contact."""

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.contacts.models import ATTRIBUTION_FIELDS, PropertyDefinition

IGNORE = ""
# Targets whose cell may hold several values separated by commas, semicolons or new lines.
LISTS = {"emails", "phones", "tags"}
# Labels of the contact fields that both imports and exports use.
FIELD_LABELS = {
    "email": _("E-mail"),
    "emails": _("Other e-mails"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "phone": _("Phone"),
    "phones": _("Phones"),
    "company": _("Company"),
    "job_title": _("Job title"),
    "street": _("Street"),
    "city": _("City"),
    "postal_code": _("Postal code"),
    "region": _("Region"),
    "country": _("Country"),
    "fax": _("Fax"),
    "birthday": _("Birthday"),
    "status": _("Status"),
    "score": _("Score"),
    "tags": _("Tags"),
    **{name: name.replace("_", " ").upper() for name in ATTRIBUTION_FIELDS},
}
CORE_TARGETS = {
    **FIELD_LABELS,
    "full_name": _("Full name (split into first and last)"),
    "note": _("Note (new contacts)"),
}

# Folded header words (no accents, lower case) that suggest a target.
_SYNONYMS = {
    "email": [
        "email",
        "e mail",
        "mail",
        "email address",
        "e mail address",
        "correo",
        "correo electronico",
        "correo e",
        "direccion de correo",
        "adres email",
        "adres e mail",
        "poczta",
        "poczta e mail",
    ],
    "emails": ["other emails", "otros correos", "inne adresy e mail"],
    "first_name": [
        "first name",
        "firstname",
        "given name",
        "forename",
        "nombre",
        "imie",
        "name first",
    ],
    "last_name": [
        "last name",
        "lastname",
        "surname",
        "family name",
        "apellido",
        "apellidos",
        "nazwisko",
        "name last",
    ],
    "full_name": ["name", "full name", "nombre completo", "nombre y apellidos", "imie i nazwisko"],
    "phone": [
        "phone",
        "phone number",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "cell",
        "telefono",
        "telefono movil",
        "movil",
        "celular",
        "telefon",
        "telefon komorkowy",
        "komorka",
        "numer telefonu",
        "nr telefonu",
    ],
    "phones": ["phones", "telefonos", "telefony"],
    "company": [
        "company",
        "company name",
        "organization",
        "organisation",
        "empresa",
        "compania",
        "firma",
        "nazwa firmy",
        "organizacja",
    ],
    "job_title": ["job title", "title", "position", "role", "cargo", "puesto", "stanowisko"],
    "street": ["street", "address", "street address", "direccion", "calle", "ulica", "adres"],
    "city": ["city", "town", "ciudad", "localidad", "poblacion", "miasto", "miejscowosc"],
    "postal_code": [
        "zip",
        "zip code",
        "postal code",
        "postcode",
        "codigo postal",
        "cp",
        "kod pocztowy",
        "kod",
    ],
    "region": ["region", "state", "province", "provincia", "comunidad", "wojewodztwo"],
    "country": ["country", "pais", "kraj", "panstwo"],
    "fax": ["fax", "faks"],
    "birthday": [
        "birthday",
        "birth date",
        "date of birth",
        "dob",
        "fecha de nacimiento",
        "cumpleanos",
        "data urodzenia",
        "urodziny",
    ],
    "status": ["status", "lifecycle status", "estado", "etap"],
    "score": ["score", "puntuacion", "punkty", "scoring"],
    "tags": ["tags", "tag", "labels", "etiquetas", "etiqueta", "tagi", "etykiety"],
    "note": ["note", "notes", "nota", "notas", "notatka", "notatki", "uwagi"],
}
_BY_WORDS = {words: target for target, options in _SYNONYMS.items() for words in options}
_SPLIT = re.compile(r"[,;\n]+")
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def fold_header(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "Correo electrónico" →
    "correo electronico", "Imię" → "imie", "E-mail" → "e mail"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def targets(definitions: list[PropertyDefinition]) -> dict[str, Any]:
    """Every target a column may be mapped to, with its label, in the order forms show them."""
    result: dict[str, Any] = {IGNORE: _("Ignore this column"), **CORE_TARGETS}
    for definition in definitions:
        result[f"properties.{definition.key}"] = definition.label
    return result


def suggest(headers: list[str], definitions: list[PropertyDefinition]) -> dict[str, str]:
    """A target for each column index (as text), each target used at most once."""
    by_words = dict(_BY_WORDS)
    for name in CORE_TARGETS:
        by_words.setdefault(fold_header(name), name)
    for definition in definitions:
        by_words.setdefault(fold_header(definition.key), f"properties.{definition.key}")
        by_words.setdefault(fold_header(definition.label), f"properties.{definition.key}")
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        target = by_words.get(fold_header(header or ""), IGNORE)
        if target in used and target not in ("tags",):
            target = IGNORE
        used.add(target)
        mapping[str(index)] = target
    return mapping


def check(mapping: dict[str, str], headers: list[str], known: dict[str, Any]) -> dict[str, str]:
    """The mapping, cleaned; raises InvalidInput when a target is unknown or the e-mail missing."""
    from kartoteka.core.errors import InvalidInput

    cleaned: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, target in mapping.items():
        if not str(index).isdigit() or int(index) >= max(len(headers), 1):
            raise InvalidInput("mapping", f"There is no column {index}.")
        if target not in known:
            raise InvalidInput(f"mapping.{index}", f"Unknown field {target!r}.")
        if target and target != "tags" and target in seen:
            raise InvalidInput(
                f"mapping.{index}",
                f"Columns {seen[target]!r} and {headers[int(index)]!r} both go to {target}.",
            )
        seen[target] = headers[int(index)] if int(index) < len(headers) else str(index)
        cleaned[str(index)] = target
    if "email" not in cleaned.values():
        raise InvalidInput("mapping", "Map one column to E-mail: contacts are matched by it.")
    return cleaned


def row_data(cells: list[str], mapping: list[tuple[int, str]]) -> dict[str, Any]:
    """The fields of one row: empty cells are left out (an import never blanks a detail)."""
    data: dict[str, Any] = {}
    properties: dict[str, str] = {}
    for index, target in mapping:
        if index >= len(cells):
            continue
        value = cells[index].strip()
        if not value:
            continue
        if value[0] == "'":
            value = unneutralise(value)
        if target in LISTS:
            items = [item.strip() for item in _SPLIT.split(value) if item.strip()]
            data[target] = [*data.get(target, []), *items]
        elif target.startswith("properties."):
            properties[target.split(".", 1)[1]] = value
        elif target == "full_name":
            first, _sep, last = value.rpartition(" ")
            data.setdefault("first_name", first if first else last)
            if first:
                data.setdefault("last_name", last)
        elif target == "note":
            data[target] = value
        else:
            # A line break inside a cell (an address typed on two lines) reads as a space.
            data[target] = _LINE_BREAK.sub(" ", value) if _has_break(value) else value
    if properties:
        data["properties"] = properties
    return data


def _has_break(value: str) -> bool:
    return "\n" in value or "\r" in value


# A cell Kartoteka exported with a leading apostrophe so that spreadsheets never run it.
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")


def unneutralise(value: str) -> str:
    return _NEUTRALISED.sub("", value, count=1)


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

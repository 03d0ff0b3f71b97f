"""Where each column of an import goes: the targets offered, suggestions from headers written in
English, Spanish or Polish, and turning a row of cells into the fields of a contact."""

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext
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
        "direccion de correo electronico",
        "adres poczty e mail",
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
        "organization name",
        "organizacion",
        "nombre de la empresa",
    ],
    "job_title": [
        "job title",
        "title",
        "position",
        "role",
        "organization title",
        "cargo",
        "puesto",
        "stanowisko",
    ],
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
    "region": [
        "region",
        "state",
        "state region",
        "province",
        "provincia",
        "comunidad",
        "wojewodztwo",
    ],
    "country": [
        "country",
        "country region",
        "pais",
        "pais region",
        "pais o region",
        "kraj",
        "kraj region",
        "panstwo",
    ],
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
    "tags": [
        "tags",
        "tag",
        "labels",
        "categories",
        "group membership",
        "etiquetas",
        "etiqueta",
        "categorias",
        "tagi",
        "etykiety",
        "kategorie",
    ],
    "note": ["note", "notes", "nota", "notas", "notatka", "notatki", "uwagi"],
}
_BY_WORDS = {words: target for target, options in _SYNONYMS.items() for words in options}

# Address books export one column per e-mail, phone and address part, numbered or qualified:
# Google "E-mail 2 - Value", "Address 1 - City", "Organization 1 - Name"; Outlook "E-mail 2
# Address", "Business Phone", "Home Postal Code". Without the number, the qualifier and the
# "value" suffix they name a known field; their "- Type" / "- Label" columns stay unmapped.
_NUMBERED = re.compile(r"^(?P<base>.+?) (?P<number>\d+)(?: (?P<part>.+))?$")
_PART_SUFFIXES = {"value", "address", "number"}
# In order: the first that the header starts or ends with is taken off.
_QUALIFIERS = (
    "business",
    "home",
    "work",
    "other",
    "primary",
    "personal",
    "private",
    "main",
    "del trabajo",
    "particular",
    "de trabajo",
    "otro",
    "sluzbowy",
    "sluzbowa",
    "domowy",
    "domowa",
    "prywatny",
    "inny",
)
# A second e-mail or phone column adds to the contact's other e-mails or phones.
_MORE = {"email": "emails", "phone": "phones"}
# Google Contacts joins several values of one column with " ::: ".
_SPLIT = re.compile(r"[,;\n]+|:::")
_GOOGLE_MORE = " ::: "
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def fold_header(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "Correo electrónico" →
    "correo electronico", "Imię" → "imie", "E-mail" → "e mail"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# Folded header words only Polish or only Spanish files use, and the letters only one of the
# two languages writes: which country a file's numbers without a prefix most likely belong to.
_POLISH_HEADERS = {
    words
    for words in (w for options in _SYNONYMS.values() for w in options)
    if words.split()[0]
    in {
        "adres",
        "poczta",
        "inne",
        "imie",
        "nazwisko",
        "telefon",
        "telefony",
        "komorka",
        "numer",
        "nr",
        "firma",
        "nazwa",
        "organizacja",
        "stanowisko",
        "ulica",
        "miasto",
        "miejscowosc",
        "kod",
        "wojewodztwo",
        "kraj",
        "panstwo",
        "faks",
        "data",
        "urodziny",
        "etap",
        "punkty",
        "tagi",
        "etykiety",
        "kategorie",
        "notatka",
        "notatki",
        "uwagi",
    }
}
_SPANISH_HEADERS = {
    words
    for words in (w for options in _SYNONYMS.values() for w in options)
    if words.split()[0]
    in {
        "correo",
        "direccion",
        "otros",
        "nombre",
        "apellido",
        "apellidos",
        "telefono",
        "telefonos",
        "movil",
        "celular",
        "empresa",
        "compania",
        "organizacion",
        "cargo",
        "puesto",
        "calle",
        "ciudad",
        "localidad",
        "poblacion",
        "codigo",
        "cp",
        "provincia",
        "comunidad",
        "pais",
        "fecha",
        "cumpleanos",
        "estado",
        "puntuacion",
        "etiquetas",
        "etiqueta",
        "categorias",
        "nota",
        "notas",
    }
}
_POLISH_LETTERS = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_SPANISH_LETTERS = set("ñÑ¿¡")
_CENTRAL_EUROPEAN = {"windows-1250", "iso-8859-2"}


def phone_region_of(headers: list[str], encoding: str) -> str:
    """PL or ES where the file looks Polish or Spanish (headers first, then a Central European
    encoding), else "" (the caller's default)."""
    folded = [fold_header(header or "") for header in headers]
    polish = sum(words in _POLISH_HEADERS for words in folded) + sum(
        any(ch in _POLISH_LETTERS for ch in header or "") for header in headers
    )
    spanish = sum(words in _SPANISH_HEADERS for words in folded) + sum(
        any(ch in _SPANISH_LETTERS for ch in header or "") for header in headers
    )
    if polish > spanish:
        return "PL"
    if spanish > polish:
        return "ES"
    if encoding in _CENTRAL_EUROPEAN:
        return "PL"
    return ""


def targets(definitions: list[PropertyDefinition]) -> dict[str, Any]:
    """Every target a column may be mapped to, with its label, in the order forms show them."""
    from kartoteka.transfer import columns

    result: dict[str, Any] = {IGNORE: _("Ignore this column"), **CORE_TARGETS}
    result.update({key: column.label for key, column in columns.registered().items()})
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
    from kartoteka.transfer import columns

    # Other apps' columns, by their whole header only.
    app_words = {
        fold_header(words): key
        for key, column in columns.registered().items()
        for words in column.headers
    }
    found: list[tuple[int, int, str]] = []  # (-words of the match, column, target)
    for index, header in enumerate(headers):
        folded = fold_header(header or "")
        if folded in by_words:
            found.append((-len(folded.split()), index, by_words[folded]))
        elif folded in app_words:
            found.append((-len(folded.split()), index, app_words[folded]))
        else:
            found.append((0, index, _address_book_target(folded, by_words)))
    # The most specific header claims a field first: Outlook's "Job Title" before its "Title"
    # (a salutation), a "Mobile Phone" before a "Business Phone".
    chosen = [IGNORE] * len(headers)
    used: set[str] = set()
    for _words, index, target in sorted(found):
        if target in used:
            target = _MORE.get(target, target)
        if target in used and target not in LISTS:
            target = IGNORE
        used.add(target)
        chosen[index] = target
    return {str(index): target for index, target in enumerate(chosen)}


def _address_book_target(folded: str, by_words: dict[str, str]) -> str:
    """The target of a numbered or qualified address-book header (see _NUMBERED), or IGNORE."""
    numbered = _NUMBERED.match(folded)
    if numbered:
        base, part = numbered["base"], numbered["part"] or ""
        if part in ("type", "label"):
            return IGNORE
        if part and part not in _PART_SUFFIXES:
            # "address 1 city" is a city; "organization 1 name" the company.
            target = by_words.get(part) or by_words.get(f"{base} {part}", IGNORE)
        else:
            target = by_words.get(base, IGNORE)
        return _MORE.get(target, target) if numbered["number"] != "1" else target
    for qualifier in _QUALIFIERS:
        for words in (folded.removeprefix(f"{qualifier} "), folded.removesuffix(f" {qualifier}")):
            if words != folded and words in by_words:
                return by_words[words]
    return IGNORE


def check(mapping: dict[str, str], headers: list[str], known: dict[str, Any]) -> dict[str, str]:
    """The mapping, cleaned; raises InvalidInput when a target is unknown or the e-mail missing."""
    from kartoteka.core.errors import InvalidInput

    cleaned: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, target in mapping.items():
        if not str(index).isdigit() or int(index) >= max(len(headers), 1):
            raise InvalidInput(
                "mapping", gettext("There is no column %(index)s.") % {"index": index}
            )
        if target not in known:
            raise InvalidInput(
                f"mapping.{index}", gettext("Unknown field %(target)s.") % {"target": repr(target)}
            )
        if target and target not in LISTS and target in seen:
            raise InvalidInput(
                f"mapping.{index}",
                gettext("Columns %(seen_target)s and %(headers_int_index)s both go to %(target)s.")
                % {
                    "seen_target": repr(seen[target]),
                    "headers_int_index": repr(headers[int(index)]),
                    "target": target,
                },
            )
        seen[target] = headers[int(index)] if int(index) < len(headers) else str(index)
        cleaned[str(index)] = target
    if "email" not in cleaned.values():
        raise InvalidInput(
            "mapping", gettext("Map one column to E-mail: contacts are matched by it.")
        )
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
        if target in _MORE and _GOOGLE_MORE in value:
            value, _sep, more = value.partition(_GOOGLE_MORE)
            extra = [item.strip() for item in _SPLIT.split(more) if item.strip()]
            data[_MORE[target]] = [*data.get(_MORE[target], []), *extra]
        if target in LISTS:
            items = [item.strip() for item in _SPLIT.split(value) if item.strip()]
            if target == "tags":
                # Google's own groups ("* myContacts", "* starred") are not the user's labels.
                items = [item for item in items if not item.startswith("* ")]
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

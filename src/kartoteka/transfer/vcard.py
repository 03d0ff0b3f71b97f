"""vCard 2.1 / 3.0 / 4.0 reading and 3.0 / 4.0 writing.

Reading handles line folding, backslash escapes, quoted-printable values in any charset (as old
phones and address books write them), grouped properties (item1.EMAIL) and TYPE / PREF
parameters. Each card becomes one import row keyed by COLUMNS.
"""

import quopri
import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

# The import row a card becomes; these double as the column headers of a vCard import.
COLUMNS = (
    "email",
    "emails",
    "first_name",
    "last_name",
    "phones",
    "company",
    "job_title",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "birthday",
    "note",
)
_PROPERTY = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$", re.DOTALL)


def parse(handle: TextIO) -> Iterator[dict[str, str]]:
    """Cards of a .vcf file, one dict per card (only the COLUMNS it has)."""
    card: list[tuple[str, dict[str, list[str]], str]] | None = None
    for name, params, value in _properties(handle):
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            card = []
        elif name == "END" and value.strip().upper() == "VCARD":
            if card is not None:
                yield _card_row(card)
            card = None
        elif card is not None:
            card.append((name, params, value))


def _logical_lines(handle: TextIO) -> Iterator[str]:
    current: str | None = None
    quoted_printable = False
    for raw in handle:
        line = raw.rstrip("\r\n")
        if current is not None and quoted_printable and current.endswith("="):
            current = current[:-1] + line  # a soft line break of quoted-printable
            continue
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None:
            yield current
        current = line
        quoted_printable = "QUOTED-PRINTABLE" in line.split(":", 1)[0].upper()
    if current is not None:
        yield current


def _properties(handle: TextIO) -> Iterator[tuple[str, dict[str, list[str]], str]]:
    for line in _logical_lines(handle):
        match = _PROPERTY.match(line)
        if not match:
            continue
        name, raw_params, value = match.group(1).upper(), match.group(2), match.group(3)
        params: dict[str, list[str]] = {}
        for part in raw_params.split(";")[1:]:
            if not part:
                continue
            key, _sep, values = part.partition("=")
            if not _sep:  # vCard 2.1 writes bare types: TEL;CELL;PREF:
                key, values = "TYPE", key
            for item in values.split(","):
                params.setdefault(key.upper(), []).append(item.strip('"').lower())
        if "quoted-printable" in params.get("ENCODING", []):
            charset = (params.get("CHARSET") or ["utf-8"])[0]
            data = quopri.decodestring(value.encode("ascii", errors="replace"))
            try:
                value = data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                value = data.decode("latin-1")
        elif set(params.get("ENCODING", [])) & {"b", "base64"}:
            continue  # photos and sounds
        yield name, params, value


def _split(value: str, separator: str = ";") -> list[str]:
    parts, current, escaped = [], "", False
    for ch in value:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [_unescape(p) for p in parts]


def _unescape(value: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value, flags=re.DOTALL
    )


def _preferred(params: dict[str, list[str]]) -> bool:
    return "pref" in params.get("TYPE", []) or params.get("PREF", ["9"])[0] == "1"


def _card_row(properties: list[tuple[str, dict[str, list[str]], str]]) -> dict[str, str]:
    row: dict[str, str] = {}
    emails: list[tuple[bool, str]] = []
    phones: list[tuple[bool, str]] = []
    full_name = ""
    for name, params, value in properties:
        if name == "N":
            parts = _split(value) + [""] * 5
            row["last_name"], row["first_name"] = parts[0].strip(), parts[1].strip()
            if parts[2].strip():
                row["first_name"] = f"{row['first_name']} {parts[2].strip()}".strip()
        elif name == "FN":
            full_name = _unescape(value).strip()
        elif name == "EMAIL" and value.strip():
            emails.append((_preferred(params), _unescape(value).strip()))
        elif name == "TEL" and value.strip():
            number = _unescape(value).strip()
            number = number[4:] if number.lower().startswith("tel:") else number
            phones.append((_preferred(params), number))
        elif name == "ADR" and "street" not in row:
            parts = _split(value) + [""] * 7
            row["street"] = " ".join(p.strip() for p in (parts[2], parts[1]) if p.strip())
            row["city"], row["region"] = parts[3].strip(), parts[4].strip()
            row["postal_code"], row["country"] = parts[5].strip(), parts[6].strip()
        elif name == "ORG":
            row["company"] = _split(value)[0].strip()
        elif name == "TITLE":
            row["job_title"] = _unescape(value).strip()
        elif name == "BDAY":
            row["birthday"] = _birthday(value.strip(), params)
        elif name == "NOTE":
            row["note"] = _unescape(value).strip()
    if full_name and not (row.get("first_name") or row.get("last_name")):
        first, _sep, last = full_name.rpartition(" ")
        row["first_name"], row["last_name"] = (first, last) if first else (last, "")
    # A preferred address or number comes first; the rest keep their order.
    emails.sort(key=lambda item: not item[0])
    phones.sort(key=lambda item: not item[0])
    if emails:
        row["email"] = emails[0][1]
        if len(emails) > 1:
            row["emails"] = ", ".join(address for _p, address in emails[1:])
    if phones:
        row["phones"] = ", ".join(number for _p, number in phones)
    return row


def _birthday(value: str, params: dict[str, list[str]]) -> str:
    digits = value.split("T", 1)[0].replace("-", "")
    # Apple Contacts writes a birthday without a year with a stand-in year it names here.
    if digits[:4] in params.get("X-APPLE-OMIT-YEAR", []):
        return ""
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return ""  # no year (--0412) or an unreadable date: a contact's birthday needs all three


# --------------------------------------------------------------------------------------------
# Writing


def _escape(value: Any) -> str:
    text = "" if value is None else str(value)
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 6350 3.2)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    pieces, current, size, limit = [], "", 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += ch
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def card(values: dict[str, Any], *, version: str = "3.0") -> str:
    """One vCard from a contact's values (the keys of COLUMNS, emails / phones as lists)."""
    modern = version == "4.0"
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    first, last = values.get("first_name", ""), values.get("last_name", "")
    lines.append(f"N:{_escape(last)};{_escape(first)};;;")
    lines.append(f"FN:{_escape(f'{first} {last}'.strip() or values.get('email', ''))}")
    for index, address in enumerate(values.get("emails") or []):
        if modern:
            lines.append(f"EMAIL{';PREF=1' if index == 0 else ''}:{_escape(address)}")
        else:
            lines.append(f"EMAIL;TYPE=INTERNET{',pref' if index == 0 else ''}:{_escape(address)}")
    for index, number in enumerate(values.get("phones") or []):
        if modern:
            lines.append(f"TEL;VALUE=uri{';PREF=1' if index == 0 else ''}:tel:{number}")
        else:
            lines.append(f"TEL;TYPE=VOICE{',pref' if index == 0 else ''}:{_escape(number)}")
    address = [values.get(k, "") for k in ("street", "city", "region", "postal_code", "country")]
    if any(address):
        lines.append("ADR:;;" + ";".join(_escape(part) for part in address))
    if values.get("company"):
        lines.append(f"ORG:{_escape(values['company'])}")
    if values.get("job_title"):
        lines.append(f"TITLE:{_escape(values['job_title'])}")
    if values.get("birthday"):
        lines.append(f"BDAY:{values['birthday']}")
    if values.get("note"):
        lines.append(f"NOTE:{_escape(values['note'])}")
    if values.get("uid"):
        lines.append(f"UID:{_escape(values['uid'])}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def cards(rows: Iterable[dict[str, Any]], *, version: str = "3.0") -> Iterator[str]:
    for values in rows:
        yield card(values, version=version)

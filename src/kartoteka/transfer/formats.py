"""Reading import files: format, encoding and CSV dialect detection, then rows of text cells."""

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from kartoteka.core.errors import InvalidInput
from kartoteka.transfer import vcard

# A cell may be large (a pasted document); the row is then refused by validation, not by the
# reader, so the rows after it are still read.
csv.field_size_limit(64 * 1024 * 1024)

ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "windows-1250": "Windows-1250 (Central European)",
    "iso-8859-2": "ISO-8859-2 (Latin-2)",
    "windows-1252": "Windows-1252 (Western European)",
    "iso-8859-1": "ISO-8859-1 (Latin-1)",
}
# The delimiters an import accepts, named for people (the wizard's choices, the CLI's summary).
DELIMITERS = {
    ",": pgettext_lazy("delimiter", "comma"),
    ";": pgettext_lazy("delimiter", "semicolon"),
    "\t": pgettext_lazy("delimiter", "tab"),
    "|": pgettext_lazy("delimiter", "vertical bar"),
}
FORMATS = ("csv", "xlsx", "vcf")
_SAMPLE = 256 * 1024
_POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_SPANISH = set("áéíóúñüÁÉÍÓÚÑÜ¿¡")
# Characters a wrong single-byte guess tends to produce in names and addresses.
_UNLIKELY = set("¹³¼¾¶±¦¥£¤µ¸Ÿœ†‡ˆ‰‹›™šžŠŽ")


# Excel writes "sep=;" as the first line of a CSV file to name its delimiter (and hides the
# line when it opens the file), so the header is the line after it.
_SEP_HINT = re.compile(r"sep=(.)\r?\n", re.IGNORECASE)


def detect_format(file_name: str, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:11].upper()
    if text.startswith(b"BEGIN:VCARD") or file_name.lower().endswith((".vcf", ".vcard")):
        return "vcf"
    if file_name.lower().endswith((".xls",)):
        raise InvalidInput(
            "file", _("Old .xls files are not supported; save the sheet as .xlsx or CSV.")
        )
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """The most likely of the supported encodings for a file that starts with `sample`.

    A byte order mark names its encoding; text that is valid UTF-8 is UTF-8. Between the single
    byte encodings the Polish and Spanish letters each decoding gives decide. charset-normalizer
    was measured for that choice and picks worse here: Windows-1250 for ISO-8859-2 Polish on a
    short sample and for Latin-1 Spanish at any size (ñ read as ń), since the mess and language
    scores it ranks by do not separate these code pages on contact lists."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"; the codec reads the mark and the byte order
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # The sample may end in the middle of a character; only that is not a real error.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    scores = {}
    for encoding, letters in (
        ("windows-1250", _POLISH),
        ("iso-8859-2", _POLISH),
        # Both read the same text unless bytes 0x80-0x9F occur, which Latin-1 penalises.
        ("iso-8859-1", _SPANISH),
        ("windows-1252", _SPANISH),
    ):
        text = sample.decode(encoding, errors="replace")
        wanted = sum(ch in letters for ch in text)
        wrong = sum(ch in _UNLIKELY or "\x80" <= ch <= "\x9f" or ch == "\ufffd" for ch in text)
        scores[encoding] = wanted - 3 * wrong
    return max(scores, key=lambda name: scores[name])


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of columns."""
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:50]
        except csv.Error:
            continue
        if len(rows) > 1 and not text.endswith("\n"):
            rows = rows[:-1]  # the sample may cut the last line short
        widths = [len(r) for r in rows if r]
        if not widths or widths[0] < 2:
            continue
        score = widths[0] * sum(w == widths[0] for w in widths)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff(path: Path, file_name: str) -> dict:
    """Format, encoding and delimiter of an uploaded file, for the user to confirm."""
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE)
    if not head:
        raise InvalidInput("file", _("The file is empty."))
    kind = detect_format(file_name, head)
    if kind == "xlsx":
        return {"format": "xlsx", "encoding": "", "delimiter": ""}
    encoding = detect_encoding(head)
    if kind == "vcf":
        return {"format": "vcf", "encoding": encoding, "delimiter": ""}
    text = head.decode(encoding, errors="replace")
    hint = _SEP_HINT.match(text.lstrip("\ufeff"))
    delimiter = hint[1] if hint and hint[1] in DELIMITERS else None
    if delimiter is None:
        delimiter = detect_delimiter(text[hint.end() :] if hint else text)
    return {"format": "csv", "encoding": encoding, "delimiter": delimiter}


def read_rows(path: Path, *, format: str, encoding: str, delimiter: str) -> Iterator[list[str]]:
    """Every row of the file as text cells, the header row first."""
    if format != "csv":
        for _line, cells in read_numbered_rows(
            path, format=format, encoding=encoding, delimiter=delimiter
        ):
            yield cells
        return
    # CSV without the line numbers: the pass that counts an import's rows reads every row.
    with open(path, encoding=encoding, errors="strict", newline="") as handle:
        try:
            if not _SEP_HINT.match(handle.readline()):
                handle.seek(0)
            yield from csv.reader(handle, delimiter=delimiter or ",")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                "encoding",
                _("The file is not %(encoding)s: %(reason)s.")
                % {"encoding": ENCODINGS.get(encoding, encoding), "reason": exc.reason},
            ) from None


def read_numbered_rows(
    path: Path, *, format: str, encoding: str, delimiter: str
) -> Iterator[tuple[int, list[str]]]:
    """Every row of the file with where it starts: the physical line in a CSV file (blank
    lines, Excel's "sep=" line and line breaks inside quoted cells counted), the row of the
    sheet in a workbook, the card's number in an address book (its header row is 0)."""
    if format == "xlsx":
        yield from enumerate(_xlsx_rows(path), start=1)
    elif format == "vcf":
        with open(path, encoding=encoding or "utf-8", errors="replace", newline="") as handle:
            yield 0, list(vcard.COLUMNS)
            for number, card in enumerate(vcard.parse(handle), start=1):
                yield number, [card.get(column, "") for column in vcard.COLUMNS]
    else:
        with open(path, encoding=encoding, errors="strict", newline="") as handle:
            try:
                hint = 1
                if not _SEP_HINT.match(handle.readline()):
                    handle.seek(0)
                    hint = 0
                reader = csv.reader(handle, delimiter=delimiter or ",")
                ended = 0  # the lines the reader had taken when the previous row ended
                for cells in reader:
                    yield hint + ended + 1, cells
                    ended = reader.line_num
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    "encoding",
                    _("The file is not %(encoding)s: %(exc_reason)s.")
                    % {"encoding": ENCODINGS.get(encoding, encoding), "exc_reason": exc.reason},
                ) from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput(
            "file", _("Cannot read this Excel file: %(exc)s") % {"exc": exc}
        ) from None
    try:
        for row in book.active.iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

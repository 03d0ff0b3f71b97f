"""How forget recognises a person in text that does not point at them, and takes them out.

A person is quoted by their e-mail addresses, by their phone numbers in the forms people type
them (+34 612 345 678, 0034 612345678, 612 34 56 78, 612-345-678) and by their whole name,
in any case and with or without accents ("Ana García", "GARCIA, Ana", "ana.garcia"). Each
table's owner asks `candidates` for the rows worth reading (the database narrows by plain
substrings and the phone's digits in order) and writes `redact(value)` back. A quote becomes
REDACTED; the rest of the text stays, so a colleague's note keeps what it says about them.
"""

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.db.models import F, Lookup, Q, QuerySet, TextField
from django.db.models.functions import Cast, Lower

# What a quote of the person becomes: the same in every language, so no translation is stored.
REDACTED = "[…]"

# A name identifies someone in free text only as the whole name: first and last name together,
# in either order, as whole words. A first name alone ("Anna") or a last name alone ("García")
# is in countless texts about other people, and a one-letter part ("J") would match inside any
# word; so both parts must be there, each of at least MIN_NAME_PART characters. Between the
# words any run of up to three spaces or punctuation marks counts (a CSV export has
# "Anna,Nowak"), but never a letter: "Annabelle Nowakowska" is somebody else.
MIN_NAME_PART = 2
NAME_GAP = r"[\W_]{1,3}"
# What people put between the digits of a phone number: spaces, dots, dashes, brackets.
DIGIT_GAP = r"[\s.\-/()]{0,3}"
# A number right after another country's prefix is that country's number (+48 612 345 678).
FOREIGN_PREFIX = re.compile(r"(?:\+|00)[\s.\-()]{0,3}\d{1,3}[\s.\-()]{0,3}$")
# The database narrows with the same digits in the same order, anything between them: a LIKE
# pattern, which both databases match natively (a regular expression would call back into
# Python for every row on SQLite).
DB_DIGIT_GAP = "%"
# A name is narrowed in the database by every three letters in a row of its longest word.
MIN_NEEDLE = 3
# A run of XML tags between two cells of a sheet, read as one space.
XML_TAG = re.compile(rb"(?:\s*<[^>]*>\s*)+")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNACCENTED = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ı": "i", "ŀ": "l"})


class _Like(Lookup):
    """`column LIKE pattern`, the pattern's % and _ kept as wildcards."""

    lookup_name = "like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def fold(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased and without accents, and for each of its characters the index of the
    character of `text` it came from (so a match in the folded text is a span of the original)."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char.lower())
        for part in decomposed:
            if unicodedata.combining(part):
                continue
            folded.append(part.translate(_UNACCENTED))
            origin.append(index)
    return "".join(folded), origin


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(name)[0])


def _needles(words: list[str]) -> list[str]:
    """Substrings a text that quotes these words is all but sure to contain, whatever accents
    it writes them with: every three letters in a row of the longest word, unaccented. None
    (every row must be read) when the longest word is shorter than that."""
    longest = max(words, key=len, default="")
    found = [longest[i : i + MIN_NEEDLE] for i in range(len(longest) - MIN_NEEDLE + 1)]
    # The database lower-cases ASCII only, and a JSON column may keep other letters escaped.
    return [needle for needle in found if needle.isascii()]


def _name_pattern(words: list[str]) -> re.Pattern:
    # Not followed by "@": "García (ana@x.es" is not "García Ana".
    return re.compile(r"(?<!\w)" + NAME_GAP.join(map(re.escape, words)) + r"(?![\w@])")


def _phone_patterns(number: str) -> tuple[str, str] | None:
    """A pattern of the number as people type it, and a looser one for the database."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", number)
        if len(digits) < 6:
            return None
        return (
            r"(?<![\d+])" + DIGIT_GAP.join(digits) + r"(?!\d)",
            f"%{DB_DIGIT_GAP.join(digits)}%",
        )
    national = str(parsed.national_number)
    if parsed.italian_leading_zero:
        national = "0" * max(parsed.number_of_leading_zeros or 1, 1) + national
    code = str(parsed.country_code)
    # With the national prefix some countries dial within the country (020 … in the UK).
    dialled = re.sub(
        r"\D", "", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    body = DIGIT_GAP.join(national)
    prefix = rf"(?:(?:\+|00){DIGIT_GAP}{code}{DIGIT_GAP}(?:\(0\){DIGIT_GAP})?|{code}{DIGIT_GAP})?"
    forms = [prefix + body]
    if dialled != national and dialled.endswith(national):
        forms.append(DIGIT_GAP.join(dialled))
    return (
        r"(?<![\d+])(?:" + "|".join(forms) + r")(?!\d)",
        f"%{DB_DIGIT_GAP.join(national)}%",
    )


@dataclass(frozen=True)
class Mentions:
    """The person's e-mail addresses, phone numbers and name, as patterns over folded text."""

    patterns: tuple[re.Pattern, ...]
    phone_patterns: tuple[re.Pattern, ...]
    # Lower-case substrings one of which a column must contain to be read (ASCII).
    needles: tuple[str, ...]
    # LIKE patterns (the digits of a phone number) one of which a column may match instead.
    db_patterns: tuple[str, ...]
    # Without a needle for part of what is looked for, every row must be read.
    narrowed: bool = True
    _parts: "Mentions | None" = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        *,
        emails: Iterable[str],
        phones: Iterable[str],
        first_name: str,
        last_name: str,
    ) -> "Mentions":
        patterns: list[re.Pattern] = []
        phone_patterns: list[re.Pattern] = []
        needles: list[str] = []
        db_patterns: list[str] = []
        for email in sorted({fold(e.strip())[0] for e in emails if e and e.strip()}):
            patterns.append(re.compile(r"(?<![\w.+-])" + re.escape(email) + r"(?![\w-]|\.\w)"))
            needles.append(email)
        for phone in sorted({p for p in phones if p}):
            found = _phone_patterns(phone)
            if found:
                phone_patterns.append(re.compile(found[0]))
                db_patterns.append(found[1])
        first, last = _words(first_name), _words(last_name)
        narrowed = True
        parts: list[re.Pattern] = []
        part_needles: list[str] = []
        part_narrowed = True
        if first and last and min(len(w) for w in [*first, *last]) >= MIN_NAME_PART:
            for words in ([*first, *last], [*last, *first]):
                patterns.append(_name_pattern(words))
            found = _needles([*first, *last])
            needles += found
            narrowed = bool(found)
        for words in (first, last):
            if words and min(len(w) for w in words) >= MIN_NAME_PART:
                parts.append(_name_pattern(words))
                found = _needles(words)
                part_needles += found
                part_narrowed = part_narrowed and bool(found)
        whole = cls(
            tuple(patterns),
            tuple(phone_patterns),
            tuple(dict.fromkeys(needles)),
            tuple(db_patterns),
            narrowed,
        )
        with_parts = cls(
            tuple(patterns + parts),
            tuple(phone_patterns),
            tuple(dict.fromkeys(needles + part_needles)),
            tuple(db_patterns),
            narrowed and part_narrowed,
        )
        object.__setattr__(whole, "_parts", with_parts)
        return whole

    @property
    def empty(self) -> bool:
        return not self.patterns and not self.phone_patterns

    def with_name_parts(self) -> "Mentions":
        """Also the first name alone and the last name alone: for searches people typed to find
        this person (an export's query), never for prose about other people."""
        return self._parts or self

    def candidates(self, rows: QuerySet, fields: Sequence[str]) -> QuerySet:
        """`rows` narrowed to those whose `fields` may quote the person (read them to be sure)."""
        if self.empty:
            return rows.none()
        if not self.narrowed:
            return rows
        condition = Q()
        annotations = {}
        for name in fields:
            alias = f"_mentions_{name}"
            annotations[alias] = Lower(Cast(name, TextField()))
            for needle in self.needles:
                condition |= Q(**{f"{alias}__contains": needle})
            for pattern in self.db_patterns:
                condition |= Q(_Like(F(alias), pattern))
        return rows.alias(**annotations).filter(condition)

    def _spans(self, text: str) -> list[tuple[int, int]]:
        folded, origin = fold(text)
        spans = []
        for pattern in self.patterns:
            for match in pattern.finditer(folded):
                if match.end() > match.start():
                    spans.append((origin[match.start()], origin[match.end() - 1] + 1))
        for pattern in self.phone_patterns:
            for match in pattern.finditer(text):
                if not FOREIGN_PREFIX.search(text, 0, match.start()):
                    spans.append(match.span())
        return sorted(spans)

    def found_in(self, text: str) -> bool:
        return bool(self._spans(text))

    def redact(self, value: Any) -> Any:
        """`value` (text, or JSON: lists and dicts of them) with every quote of the person
        replaced by REDACTED; keys of dicts are left as they are."""
        if isinstance(value, str):
            spans = self._spans(value)
            if not spans:
                return value
            out, at = [], 0
            for start, end in spans:
                if end <= at:
                    continue
                out.append(value[at : max(start, at)])
                if start >= at:
                    out.append(REDACTED)
                at = end
            out.append(value[at:])
            return "".join(out)
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        if isinstance(value, dict):
            return {key: self.redact(item) for key, item in value.items()}
        return value

    def found_in_file(self, data: bytes) -> bool:
        """Whether a stored file's bytes (plain text in any usual encoding, or a ZIP such as an
        XLSX sheet) quote the person."""
        texts = [data]
        if data[:2] == b"PK":
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    # Tags out, so the cells of one row of a sheet read as words side by side.
                    texts = [XML_TAG.sub(b" ", archive.read(name)) for name in archive.namelist()]
            except zipfile.BadZipFile:
                pass
        return any(self.found_in(text) for raw in texts for text in _decoded(raw))


def _decoded(raw: bytes) -> list[str]:
    """The text of a file as UTF-8 if it is, else as each of the 8-bit encodings imports take."""
    try:
        return [raw.decode("utf-8")]
    except UnicodeDecodeError:
        return [raw.decode(encoding, "replace") for encoding in ("cp1250", "cp1252")]

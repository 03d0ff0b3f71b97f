"""Normalisation of the values every write path shares: e-mail, phone, country, free text."""

import datetime as dt
import re
import unicodedata
from functools import cache, lru_cache

import phonenumbers
import pycountry
from django.conf import settings
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from kartoteka.core.errors import InvalidInput

MAX_TEXT = 255
# Control and invisible formatting characters (incl. bidi overrides) never belong in a name.
_INVISIBLE = re.compile(
    r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
# Ordinary ASCII addresses take this path; email-validator handles everything else.
_PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def clean_text(value: object, *, field: str, max_length: int = MAX_TEXT) -> str:
    """Trim, drop invisible control characters, NFC-normalise and check the length."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value)).strip()
    text = re.sub(r"\s+", " ", text)
    if len(text) > max_length:
        raise InvalidInput(
            field,
            _("Must be at most %(max_length)s characters (got %(len_text)s).")
            % {"max_length": max_length, "len_text": len(text)},
        )
    return text


def normalise_email(value: object, *, field: str = "email") -> str:
    """Return the address as stored: trimmed, domain lower-cased, local part as typed."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, _("Enter an e-mail address."))
    raw = unicodedata.normalize("NFC", value).strip()
    if len(raw) > 254:
        raise InvalidInput(field, _("An e-mail address has at most 254 characters."))
    if _PLAIN_EMAIL.match(raw) and len(raw.split("@")[0]) <= 64:
        local, domain = raw.rsplit("@", 1)
        return f"{local}@{domain.lower()}"
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(field, _("Not a valid e-mail address: %(exc)s") % {"exc": exc}) from None
    domain = result.domain
    return f"{result.local_part}@{domain.lower()}"


def fold_email(email: str) -> str:
    """The identity key of an address: the whole address compared case-insensitively."""
    return email.casefold()


def normalise_phone(value: object, *, field: str = "phone", region: str | None = None) -> str:
    """Return the number in E.164; numbers without a prefix are read in the default region."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(field, _("Enter a phone number."))
    raw = str(value).strip()
    if len(raw) > 40:
        raise InvalidInput(field, _("A phone number has at most 40 characters."))
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    number = _international(raw)
    if number is None:
        try:
            number = phonenumbers.parse(raw, region or settings.KARTOTEKA_DEFAULT_PHONE_REGION)
        except phonenumbers.NumberParseException:
            raise InvalidInput(
                field, _("Not a phone number: %(raw)s.") % {"raw": repr(raw)}
            ) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, _("Not a valid phone number: %(raw)s.") % {"raw": repr(raw)})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# "+", then digits in groups separated by single spaces: how most files write a number.
_PLAIN_INTERNATIONAL = re.compile(r"\+[1-9][0-9]*(?: [0-9]+)*\Z")


def _international(raw: str) -> phonenumbers.PhoneNumber | None:
    """The number phonenumbers.parse would read from a plain international number, without its
    general parsing (a quarter of an import's validation time: 24 µs a number against 3), or
    None where parse must decide: where the number after the country code starts with 0 or
    could start with the country's national prefix, which parse may strip or keep as a leading
    zero."""
    if len(raw) > 40 or not _PLAIN_INTERNATIONAL.match(raw):
        return None
    digits = raw[1:].replace(" ", "")
    for length in (1, 2, 3):  # as parse finds the country code: the shortest that exists
        national_prefix = _national_prefix(int(digits[:length]))
        if national_prefix is not False:
            break
    else:
        return None
    national = digits[length:]
    if not 2 <= len(national) <= 17 or national[0] == "0":
        return None
    if national_prefix is not None and national_prefix.match(national):
        return None
    return phonenumbers.PhoneNumber(
        country_code=int(digits[:length]), national_number=int(national)
    )


@cache
def _national_prefix(country_code: int) -> "re.Pattern | None | bool":
    """The pattern of the national prefix that parse strips for this country code, None if it
    strips none, False if the code is not a country code."""
    if country_code not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return False
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return False
    pattern = metadata.national_prefix_for_parsing
    return re.compile(pattern) if pattern else None


# Country names in the three UI languages that pycountry's English names do not cover.
_COUNTRY_ALIASES = {
    "españa": "ES",
    "espana": "ES",
    "hiszpania": "ES",
    "spain": "ES",
    "polska": "PL",
    "polonia": "PL",
    "poland": "PL",
    "alemania": "DE",
    "niemcy": "DE",
    "francia": "FR",
    "francja": "FR",
    "reino unido": "GB",
    "wielka brytania": "GB",
    "uk": "GB",
    "united kingdom": "GB",
    "estados unidos": "US",
    "stany zjednoczone": "US",
    "usa": "US",
    "eeuu": "US",
    "italia": "IT",
    "włochy": "IT",
    "wlochy": "IT",
    "portugalia": "PT",
    "méxico": "MX",
    "meksyk": "MX",
    "argentyna": "AR",
    "czechy": "CZ",
    "chequia": "CZ",
    "república checa": "CZ",
    "ucrania": "UA",
    "ukraina": "UA",
    "países bajos": "NL",
    "holandia": "NL",
    "holanda": "NL",
    "bélgica": "BE",
    "belgia": "BE",
    "irlandia": "IE",
    "irlanda": "IE",
    "szwecja": "SE",
    "suecia": "SE",
    "noruega": "NO",
    "norwegia": "NO",
    "dinamarca": "DK",
    "dania": "DK",
    "austria": "AT",
    "szwajcaria": "CH",
    "suiza": "CH",
    "litwa": "LT",
    "lituania": "LT",
    "chile": "CL",
    "kolumbia": "CO",
    "peru": "PE",
    "perú": "PE",
    "brasil": "BR",
    "brazylia": "BR",
    "kanada": "CA",
    "canadá": "CA",
}


@lru_cache(maxsize=4096)
def normalise_country(value: str) -> str:
    """Return an ISO 3166 alpha-2 code for a code or an unambiguous name in en/es/pl."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) == 2 and text.isalpha():
        if pycountry.countries.get(alpha_2=text.upper()):
            return text.upper()
        raise InvalidInput("country", _("Unknown country code %(text)s.") % {"text": repr(text)})
    if len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text.upper())
        if found:
            return found.alpha_2
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        pass
    raise InvalidInput(
        "country",
        _("Unknown country %(text)s; use a name or a two-letter code.") % {"text": repr(text)},
    )


# Dates as people type them: ISO first, then day-first (how Spain and Poland write dates).
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d")
DATE_FORMATS_SHOWN = "YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY"


def parse_day(text: str) -> dt.date | None:
    """The date in `text` in one of DATE_FORMATS, or None."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None

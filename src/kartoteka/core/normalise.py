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
    general parsing (the larger part of an import's validation time per phone number), or
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


# Country names pycountry does not know (it has ISO 3166's current names, official names,
# common names and the codes of withdrawn ones): former names, short forms and the usual ways
# other CRMs and spreadsheets write them. Keys are folded as _fold_country folds.
_COUNTRY_ALIASES = {
    "kosovo": "XK",
    "kosowo": "XK",
    "republic of kosovo": "XK",
    "swaziland": "SZ",
    "suazilandia": "SZ",
    "suazi": "SZ",
    "suazilandia eswatini": "SZ",
    "turkey": "TR",
    "turkiye": "TR",
    "micronesia": "FM",
    "congo kinshasa": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "congo democratic republic": "CD",
    "democratic republic congo": "CD",
    "rd congo": "CD",
    "demokratyczna republika konga": "CD",
    "congo brazzaville": "CG",
    "republic congo": "CG",
    "ivory coast": "CI",
    "costa de marfil": "CI",
    "cape verde": "CV",
    "cabo verde": "CV",
    "wyspy zielonego przyladka": "CV",
    "east timor": "TL",
    "timor oriental": "TL",
    "macedonia": "MK",
    "fyrom": "MK",
    "macedonia former yugoslav republic": "MK",
    "libyan arab jamahiriya": "LY",
    "lao pdr": "LA",
    "burma": "MM",
    "birmania": "MM",
    "birma": "MM",
    "holland": "NL",
    "netherlands": "NL",
    "holanda": "NL",
    "holandia": "NL",
    "niderlandy": "NL",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uk": "GB",
    "u k": "GB",
    "inglaterra": "GB",
    "gran bretana": "GB",
    "anglia": "GB",
    "szkocja": "GB",
    "walia": "GB",
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "america": "US",
    "eeuu": "US",
    "ee uu": "US",
    "estados unidos de america": "US",
    "usa stany zjednoczone": "US",
    "uae": "AE",
    "emirates": "AE",
    "emiratos arabes": "AE",
    "emiraty arabskie": "AE",
    "south korea": "KR",
    "korea": "KR",
    "corea del sur": "KR",
    "korea poludniowa": "KR",
    "north korea": "KP",
    "corea del norte": "KP",
    "korea polnocna": "KP",
    "russia": "RU",
    "rusia": "RU",
    "rosja": "RU",
    "vietnam": "VN",
    "wietnam": "VN",
    "laos": "LA",
    "syria": "SY",
    "siria": "SY",
    "syria arabska": "SY",
    "iran": "IR",
    "bolivia": "BO",
    "boliwia": "BO",
    "venezuela": "VE",
    "wenezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "moldavia": "MD",
    "moldawia": "MD",
    "moldowa": "MD",
    "palestine": "PS",
    "palestina": "PS",
    "vatican": "VA",
    "vatican city": "VA",
    "vaticano": "VA",
    "watykan": "VA",
    "holy see": "VA",
    "taiwan": "TW",
    "tajwan": "TW",
    "brunei": "BN",
    "czech republic": "CZ",
    "republica checa": "CZ",
    "chequia": "CZ",
    "czechy": "CZ",
    "slovak republic": "SK",
    "bahamas": "BS",
    "gambia": "GM",
    "saint kitts": "KN",
    "saint vincent": "VC",
    "saint lucia": "LC",
    "republic ireland": "IE",
    "eire": "IE",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
    "zaire": "CD",
    "byelorussia": "BY",
    "belarus": "BY",
    "bialorus": "BY",
    "bielorrusia": "BY",
    "espana": "ES",
    "hiszpania": "ES",
    "polonia": "PL",
    "polska": "PL",
    "alemania": "DE",
    "niemcy": "DE",
    "mexico": "MX",
    "meksyk": "MX",
}
_COUNTRY_ARTICLES = {"the", "la", "el", "los", "las", "de", "del", "of", "and", "y", "i"}
_SAINT = re.compile(r"\b(?:st|ste|sta|sto|sw)\b\.?")


def _fold_country(text: str) -> str:
    """A country name as compared: lower case, no accents, no punctuation, no articles or
    connecting words ("of", "the", "de", "y"), "St." as "saint"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l").replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SAINT.sub("saint", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(word for word in words if word not in _COUNTRY_ARTICLES)


def _inverted(name: str) -> str:
    """ "Congo, The Democratic Republic of the" → "The Democratic Republic of the Congo"."""
    head, sep, tail = name.partition(",")
    return f"{tail} {head}" if sep else name


@cache
def _country_names() -> dict[str, str]:
    """Folded name → alpha-2 for every name pycountry has in English, Spanish and Polish (the
    iso-codes translations it ships), its withdrawn countries that became a current one, and
    _COUNTRY_ALIASES. Where two countries share a folded name the first one listed keeps it."""
    import gettext

    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        for form in (name, _inverted(name)):
            names.setdefault(_fold_country(form), code)

    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in ("es", "pl")
    ]
    for attribute in ("name", "common_name", "official_name"):
        for country in pycountry.countries:
            name = getattr(country, attribute, None)
            if not name:
                continue
            add(name, country.alpha_2)
            for translation in translations:
                add(translation.gettext(name), country.alpha_2)
    current = {country.alpha_2 for country in pycountry.countries}
    for historic in pycountry.historic_countries:
        # The last two letters of an ISO 3166-3 code name the country it became, if one.
        successor = historic.alpha_4[2:]
        if successor in current:
            add(historic.name, successor)
    names.update(_COUNTRY_ALIASES)
    return names


@cache
def country_names(language: str) -> dict[str, str]:
    """Alpha-2 code → the country's usual name in `language` (en, es or pl; English for any
    other): its common name where ISO has one ("South Korea", not "Korea, Republic of")."""
    import gettext

    translate = (
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext
        if language in ("es", "pl")
        else str
    )
    names = {
        country.alpha_2: translate(getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    }
    names["XK"] = {"es": "Kosovo", "pl": "Kosowo"}.get(language, "Kosovo")
    return names


# Codes outside ISO 3166-1 in common use: Kosovo's user-assigned code.
_EXTRA_COUNTRY_CODES = {"XK": "XKX"}


@cache
def _country_codes() -> tuple[frozenset[str], dict[str, str]]:
    """Every alpha-2 code, and alpha-2 by alpha-3."""
    alpha_2 = {country.alpha_2 for country in pycountry.countries} | set(_EXTRA_COUNTRY_CODES)
    alpha_3 = {country.alpha_3: country.alpha_2 for country in pycountry.countries}
    alpha_3.update({three: two for two, three in _EXTRA_COUNTRY_CODES.items()})
    return frozenset(alpha_2), alpha_3


@lru_cache(maxsize=4096)
def normalise_country(value: str) -> str:
    """Return an ISO 3166 alpha-2 code (or XK, Kosovo) for an alpha-2 or alpha-3 code or a
    current, official, short, former or usual name in English, Spanish or Polish."""
    text = (value or "").strip()
    if not text:
        return ""
    alpha_2, alpha_3 = _country_codes()
    if text.isascii() and text.isalpha():
        if len(text) == 2 and text.upper() in alpha_2:
            return text.upper()
        if len(text) == 3 and text.upper() in alpha_3:
            return alpha_3[text.upper()]
    names = _country_names()
    code = names.get(_fold_country(text)) or names.get(_fold_country(_inverted(text)))
    if code:
        return code
    if len(text) == 2 and text.isalpha():
        raise InvalidInput("country", _("Unknown country code %(text)s.") % {"text": repr(text)})
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


# Letters that Unicode does not write as a base letter plus an accent, so NFKD keeps them.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


def fold_search(text: str) -> str:
    """Text as quick search keeps and compares it: case folded and without accents ("García"
    and "garcia" → "garcia", "Łódź" → "lodz"), so a name is found however it is typed. The
    stored search text and every searched word go through this one function."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    bare = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)

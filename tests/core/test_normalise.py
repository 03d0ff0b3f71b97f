"""Normalisation of e-mails, phones, countries and free text, including hostile input."""

import hypothesis
import phonenumbers
import pytest
from hypothesis import strategies as st

from kartoteka.core.errors import InvalidInput
from kartoteka.core.normalise import (
    _international,
    clean_text,
    fold_email,
    normalise_country,
    normalise_email,
    normalise_phone,
)


def test_email_is_trimmed_and_its_domain_lower_cased():
    assert normalise_email("  Ana.Garcia@EXAMPLE.Com ") == "Ana.Garcia@example.com"


def test_internationalised_email_is_accepted():
    assert normalise_email("józef@Przykład.PL") == "józef@przykład.pl"


def test_email_with_emoji_local_part_is_accepted_as_typed():
    assert normalise_email("😀@example.com") == "😀@example.com"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "ana",
        "ana@",
        "@example.com",
        "ana@@example.com",
        "a b@example.com",
        "x" * 250 + "@example.com",
        "ana@example.com'; DROP TABLE contacts;--",
        None,
        42,
    ],
)
def test_invalid_email_is_refused(value):
    with pytest.raises(InvalidInput) as error:
        normalise_email(value)
    assert "email" in error.value.errors


def test_folded_email_ignores_case_over_the_whole_address():
    assert fold_email("Ana.Garcia@example.com") == fold_email("ANA.GARCIA@example.com")


def test_phone_without_prefix_is_read_in_the_default_region(settings):
    settings.KARTOTEKA_DEFAULT_PHONE_REGION = "PL"
    assert normalise_phone("601 234 567") == "+48601234567"


def test_phone_with_00_prefix_becomes_e164():
    assert normalise_phone("0034 612-345-678") == "+34612345678"


@pytest.mark.parametrize("value", ["12", "call me", "+34 1", "9" * 41, "'; DROP TABLE x;--"])
def test_invalid_phone_is_refused(value):
    with pytest.raises(InvalidInput):
        normalise_phone(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("es", "ES"),
        ("ESP", "ES"),
        ("España", "ES"),
        ("Polska", "PL"),
        ("Poland", "PL"),
        ("Niemcy", "DE"),
        ("Alemania", "DE"),
        ("Germany", "DE"),
        ("  pl ", "PL"),
    ],
)
def test_country_names_in_three_languages_become_alpha2(value, code):
    assert normalise_country(value) == code


# Names other CRMs and spreadsheets write: ISO's official and short forms, inverted forms,
# former names, usual aliases, in English, Spanish and Polish.
AWKWARD_COUNTRIES = [
    ("Congo, Democratic Republic of the", "CD"),
    ("Democratic Republic of the Congo", "CD"),
    ("Congo, República Democrática del", "CD"),
    ("Demokratyczna Republika Konga", "CD"),
    ("Zaire", "CD"),
    ("Republic of the Congo", "CG"),
    ("Brunei Darussalam", "BN"),
    ("Turkiye", "TR"),
    ("Turkey", "TR"),
    ("Turquía", "TR"),
    ("Turcja", "TR"),
    ("Micronesia", "FM"),
    ("Micronesia, Federated States of", "FM"),
    ("Swaziland", "SZ"),
    ("Eswatini", "SZ"),
    ("Kosovo", "XK"),
    ("XK", "XK"),
    ("Czech Republic", "CZ"),
    ("Czechia", "CZ"),
    ("Republika Czeska", "CZ"),
    ("Côte d'Ivoire", "CI"),
    ("Cote d'Ivoire", "CI"),
    ("Ivory Coast", "CI"),
    ("Wybrzeże Kości Słoniowej", "CI"),
    ("Korea, Republic of", "KR"),
    ("South Korea", "KR"),
    ("Viet Nam", "VN"),
    ("Russian Federation", "RU"),
    ("Iran, Islamic Republic of", "IR"),
    ("Bolivia, Plurinational State of", "BO"),
    ("Tanzania, United Republic of", "TZ"),
    ("Holy See (Vatican City State)", "VA"),
    ("Burma", "MM"),
    ("East Timor", "TL"),
    ("Cape Verde", "CV"),
    ("Bahamas, The", "BS"),
    ("St. Lucia", "LC"),
    ("Trinidad & Tobago", "TT"),
    ("UK", "GB"),
    ("Great Britain", "GB"),
    ("Wielka Brytania", "GB"),
    ("United States of America", "US"),
    ("Estados Unidos", "US"),
    ("Países Bajos", "NL"),
    ("Holandia", "NL"),
    ("Macedonia Północna", "MK"),
    ("Bośnia i Hercegowina", "BA"),
    ("república dominicana", "DO"),
    ("deu", "DE"),
    ("Włochy", "IT"),
]


@pytest.mark.parametrize(("value", "code"), AWKWARD_COUNTRIES)
def test_official_short_former_and_alias_country_names_are_known(value, code):
    assert normalise_country(value) == code


@pytest.mark.parametrize("value", ["Atlantis", "XX", "Narnia 2", "the"])
def test_unknown_country_is_refused(value):
    with pytest.raises(InvalidInput) as error:
        normalise_country(value)
    assert "country" in error.value.errors


def test_text_loses_control_characters_and_bidi_marks():
    assert clean_text("\u202eAna\u0000 \u200fGarcía\x07", field="x") == "Ana García"


def test_text_keeps_emoji_and_non_latin_letters():
    assert clean_text("Łucja 🚀 Ñúñez", field="x") == "Łucja 🚀 Ñúñez"


def test_text_keeps_sql_looking_strings_verbatim():
    text = "Robert'); DROP TABLE contacts;--"
    assert clean_text(text, field="x") == text


def test_ten_kilobyte_text_is_refused_with_the_limit():
    with pytest.raises(InvalidInput) as error:
        clean_text("a" * 10_240, field="first_name")
    assert "255" in error.value.errors["first_name"][0]


# The fast path for plain international numbers gives exactly what phonenumbers.parse gives:
# the same number (country code, national number, leading zeros) or a fall back to parse.
_COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@hypothesis.settings(max_examples=3000, deadline=None)
@hypothesis.given(
    country_code=st.sampled_from(_COUNTRY_CODES) | st.integers(0, 999),
    digits=st.text("0123456789", min_size=0, max_size=19),
    spaces=st.lists(st.integers(1, 19), max_size=4),
)
def test_plain_international_numbers_read_as_parse_reads_them(country_code, digits, spaces):
    for position in sorted(set(spaces), reverse=True):
        if 0 < position < len(digits):
            digits = f"{digits[:position]} {digits[position:]}"
    raw = f"+{country_code} {digits}" if digits else f"+{country_code}"
    fast = _international(raw)
    try:
        parsed = phonenumbers.parse(raw, "ES")
    except phonenumbers.NumberParseException:
        assert fast is None
        return
    assert fast is None or fast == parsed


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("+48 601 234 567", (48, 601234567)),
        ("+1 212 555 0100", (1, 2125550100)),
        ("+39 06 1234 5678", None),  # Italian leading zero: parse decides
        ("+44 020 7946 0958", None),  # national prefix written after the country code
        ("+7 8 912 345 67 89", None),  # 8 is Russia's national prefix
        ("+48-601-234-567", None),  # not the plain form
        ("+999 123456", None),  # no such country code
    ],
)
def test_fast_path_reads_plain_numbers_and_leaves_the_rest_to_parse(raw, read):
    number = _international(raw)
    assert (number and (number.country_code, number.national_number)) == (read or None)

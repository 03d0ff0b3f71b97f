"""Files exported from address books and other CRMs import without hand mapping: their numbered
and qualified headers, several values in one cell, and dates written day first."""

import datetime as dt

import pytest

from kartoteka.contacts.models import Contact
from kartoteka.core.errors import InvalidInput
from kartoteka.transfer import mapping, services
from tests.transfer.helpers import run, upload, write

GOOGLE_HEADERS = (
    "First Name,Middle Name,Last Name,Nickname,E-mail 1 - Label,E-mail 1 - Value,"
    "E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,"
    "Phone 2 - Value,Address 1 - Label,Address 1 - Formatted,Address 1 - Street,"
    "Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,"
    "Address 1 - Country,Organization Name,Organization Title,Organization Department,"
    "Birthday,Notes,Labels"
)
OUTLOOK_HEADERS = (
    "First Name,Middle Name,Last Name,Title,Suffix,Company,Department,Job Title,"
    "Business Street,Business City,Business State,Business Postal Code,"
    "Business Country/Region,Home Street,Home City,Business Fax,Business Phone,Home Phone,"
    "Mobile Phone,Birthday,Categories,E-mail Address,E-mail 2 Address,E-mail 3 Address,Notes"
)


def _suggested(headers: str) -> dict[str, str]:
    columns = headers.split(",")
    return {columns[int(i)]: t for i, t in mapping.suggest(columns, []).items() if t}


def test_google_contacts_headers_are_mapped():
    assert _suggested(GOOGLE_HEADERS) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "E-mail 1 - Value": "email",
        "E-mail 2 - Value": "emails",
        "Phone 1 - Value": "phone",
        "Phone 2 - Value": "phones",
        "Address 1 - Street": "street",
        "Address 1 - City": "city",
        "Address 1 - Region": "region",
        "Address 1 - Postal Code": "postal_code",
        "Address 1 - Country": "country",
        "Organization Name": "company",
        "Organization Title": "job_title",
        "Birthday": "birthday",
        "Notes": "note",
        "Labels": "tags",
    }


def test_outlook_headers_are_mapped_and_the_most_specific_header_wins():
    suggested = _suggested(OUTLOOK_HEADERS)
    # Outlook's "Title" is a salutation: "Job Title" takes the field.
    assert suggested["Job Title"] == "job_title" and "Title" not in suggested
    # The mobile number is the main one; the others are kept as further numbers.
    assert suggested["Mobile Phone"] == "phone"
    assert suggested["Business Phone"] == suggested["Home Phone"] == "phones"
    assert suggested["E-mail Address"] == "email"
    assert suggested["E-mail 2 Address"] == suggested["E-mail 3 Address"] == "emails"
    assert suggested["Business City"] == "city" and "Home City" not in suggested
    assert suggested["Business Country/Region"] == "country"
    assert suggested["Business State"] == "region"
    assert suggested["Categories"] == "tags"


# What the localised Outlook exports below map to, column by column.
OUTLOOK_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "phones",
    "company",
    "job_title",
    "street",
    "city",
    "postal_code",
    "country",
]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            "Nombre,Apellidos,Dirección de correo electrónico,Teléfono móvil,"
            "Teléfono del trabajo,Organización,Puesto,Calle del trabajo,Ciudad de trabajo,"
            "Código postal del trabajo,País o región del trabajo",
            OUTLOOK_FIELDS,
        ),
        (
            "Imię,Nazwisko,Adres e-mail,Telefon komórkowy,Telefon służbowy,Firma,Stanowisko,"
            "Ulica służbowa,Miejscowość służbowa,Kod pocztowy służbowy,Kraj/region służbowy",
            OUTLOOK_FIELDS,
        ),
    ],
    ids=["outlook-es", "outlook-pl"],
)
def test_spanish_and_polish_outlook_headers_are_mapped(headers, expected):
    columns = headers.split(",")
    assert list(mapping.suggest(columns, []).values()) == expected


@pytest.mark.django_db
def test_a_google_contacts_export_imports_with_its_suggested_mapping(admin, tmp_path):
    columns = GOOGLE_HEADERS.split(",")
    row = dict.fromkeys(columns, "")
    row.update(
        {
            "First Name": "Ana",
            "Last Name": "García",
            "E-mail 1 - Label": "* Home",
            "E-mail 1 - Value": "ana@example.com ::: ana.garcia@example.org",
            "E-mail 2 - Value": "ana@work.example.com",
            "Phone 1 - Value": "+34 600 123 456 ::: +34 911 222 333",
            "Phone 2 - Value": "+48 601 234 567",
            "Address 1 - City": "Sevilla",
            "Address 1 - Country": "Spain",
            "Organization Name": "Acme",
            "Organization Title": "CTO",
            "Birthday": "1985-04-12",
            "Labels": "* myContacts ::: Clientes ::: VIP",
        }
    )
    text = GOOGLE_HEADERS + "\n" + ",".join(f'"{row[c]}"' for c in columns) + "\n"
    imp = run(admin, write(tmp_path, "contacts.csv", text))
    assert (imp.created_count, imp.failed_count) == (1, 0)
    ana = Contact.objects.get()
    assert (ana.email, ana.first_name, ana.city, ana.country) == (
        "ana@example.com",
        "Ana",
        "Sevilla",
        "ES",
    )
    assert (ana.company.name, ana.job_title, ana.birthday) == ("Acme", "CTO", dt.date(1985, 4, 12))
    assert set(ana.emails.values_list("email", flat=True)) == {
        "ana@example.com",
        "ana.garcia@example.org",
        "ana@work.example.com",
    }
    assert list(ana.phones.order_by("-is_primary", "number").values_list("number", flat=True)) == [
        "+34600123456",
        "+34911222333",
        "+48601234567",
    ]
    # Google's own groups ("* myContacts") are not labels the user made.
    assert set(ana.tags.values_list("name", flat=True)) == {"Clientes", "VIP"}


@pytest.mark.django_db
def test_birthdays_written_day_first_import_and_one_without_year_is_reported(admin, tmp_path):
    text = (
        "Correo electrónico;Nombre;Fecha de nacimiento\n"
        "ana@example.com;Ana;12/04/1985\n"
        "jan@example.com;Jan;03.11.1990\n"
        "eva@example.com;Eva;--04-12\n"
        "leo@example.com;Leo;mañana\n"
    )
    imp = run(admin, write(tmp_path, "cumples.csv", text))
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (4, 0, 2)
    birthdays = dict(Contact.objects.values_list("email", "birthday"))
    assert birthdays == {
        "ana@example.com": dt.date(1985, 4, 12),
        "jan@example.com": dt.date(1990, 11, 3),
        "eva@example.com": None,
        "leo@example.com": None,
    }
    problems = {p.value: p.message for p in imp.problems.all()}
    assert "year" in problems["--04-12"]
    assert "DD.MM.YYYY" in problems["mañana"]


@pytest.mark.django_db
def test_several_columns_may_feed_the_other_emails_but_not_one_single_field(admin, tmp_path):
    imp = upload(
        admin, write(tmp_path, "o.csv", "Email,Email 2,Work email,City,Town\na@x.es,,,,\n")
    )
    assert list(imp.mapping.values()) == ["email", "emails", "emails", "city", ""]
    both = {"0": "email", "1": "emails", "2": "emails", "3": "city"}
    assert services.configure_import(admin, imp, column_map=both).mapping == both
    with pytest.raises(InvalidInput, match="both go to city"):
        services.configure_import(admin, imp, column_map={**both, "4": "city"})

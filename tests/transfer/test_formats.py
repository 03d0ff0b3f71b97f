import pytest
from openpyxl import Workbook

from kartoteka.contacts.models import Contact
from kartoteka.transfer import formats, mapping
from tests.transfer.helpers import run, upload, write

POLISH = "Email;Imię;Nazwisko;Miasto\nz@example.com;Zażółć;Gęślą-Jaźń;Łódź\n"
SPANISH = (
    "Correo electrónico\tNombre\tApellidos\tCiudad\n"
    "m@example.com\tMaría José\tMuñoz Peña\tA Coruña\n"
)


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (POLISH, "windows-1250", "windows-1250"),
        (POLISH, "iso-8859-2", "iso-8859-2"),
        (SPANISH, "iso-8859-1", "iso-8859-1"),
        (SPANISH + "“quoted”\n", "windows-1252", "windows-1252"),
        (SPANISH, "utf-8", "utf-8"),
        (SPANISH, "utf-8-sig", "utf-8-sig"),
        (POLISH, "utf-16", "utf-16"),
    ],
)
def test_encoding_is_detected(text, encoding, expected):
    assert formats.detect_encoding(text.encode(encoding)) == expected


@pytest.mark.parametrize(("delimiter"), [",", ";", "\t"])
def test_delimiter_is_detected(delimiter):
    text = (
        delimiter.join(["email", "name", "city"]) + "\n" + delimiter.join(["a@b.es", "A, B", "C"])
    )
    assert formats.detect_delimiter(text.replace("A, B", '"A, B"')) == delimiter


def test_headers_in_spanish_and_polish_are_mapped():
    headers = ["Correo electrónico", "Nombre", "Apellidos", "Teléfono", "Nazwisko", "Imię", "x"]
    assert mapping.suggest(headers, []) == {
        "0": "email",
        "1": "first_name",
        "2": "last_name",
        "3": "phone",
        "4": "",  # last name is taken already
        "5": "",
        "6": "",
    }


@pytest.mark.django_db
def test_polish_file_in_windows_1250_imports_its_letters(admin, tmp_path):
    imp = run(admin, write(tmp_path, "pl.csv", POLISH, "windows-1250"))
    assert (imp.encoding, imp.delimiter) == ("windows-1250", ";")
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.city) == ("Zażółć", "Gęślą-Jaźń", "Łódź")


@pytest.mark.django_db
def test_spanish_file_in_latin_1_with_tabs_imports(admin, tmp_path):
    imp = run(admin, write(tmp_path, "es.csv", SPANISH, "iso-8859-1"))
    assert imp.delimiter == "\t"
    assert Contact.objects.get().last_name == "Muñoz Peña"


@pytest.mark.django_db
def test_unicode_text_saved_by_excel_in_utf16_imports(admin, tmp_path):
    imp = run(admin, write(tmp_path, "es.txt", SPANISH, "utf-16"))
    assert (imp.encoding, imp.delimiter, imp.created_count) == ("utf-16", "\t", 1)
    assert Contact.objects.get().last_name == "Muñoz Peña"


@pytest.mark.django_db
def test_utf8_file_with_bom_keeps_its_first_header(admin, tmp_path):
    imp = upload(
        admin, write(tmp_path, "bom.csv", "email,city\na@example.com,Madrid\n", "utf-8-sig")
    )
    assert imp.headers == ["email", "city"]
    assert imp.mapping["0"] == "email"


@pytest.mark.django_db
def test_quoted_fields_with_new_lines_stay_in_their_row(admin, tmp_path):
    text = 'email,street\na@example.com,"Calle Mayor 1\nPiso 2"\nb@example.com,Rynek 5\n'
    imp = run(admin, write(tmp_path, "nl.csv", text))
    assert imp.created_count == 2
    assert Contact.objects.get(email="a@example.com").street == "Calle Mayor 1 Piso 2"


@pytest.mark.django_db
def test_xlsx_file_imports(admin, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["E-mail", "First name", "Birthday"])
    sheet.append(["x@example.com", "Xavi", "1990-05-01"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    imp = run(admin, path)
    assert imp.format == "xlsx"
    contact = Contact.objects.get()
    assert (contact.first_name, str(contact.birthday)) == ("Xavi", "1990-05-01")


@pytest.mark.django_db
def test_encoding_chosen_by_the_user_replaces_the_detected_one(admin, tmp_path):
    imp = upload(admin, write(tmp_path, "pl.csv", POLISH, "windows-1250"), encoding="iso-8859-2")
    assert imp.encoding == "iso-8859-2"


@pytest.mark.django_db
def test_excel_delimiter_line_names_the_delimiter_and_is_not_the_header(admin, tmp_path):
    text = "sep=;\r\nE-mail;Nombre;Ciudad\r\nana@example.com;Ana;Sevilla, centro\r\n"
    imp = upload(admin, write(tmp_path, "excel.csv", text, "utf-8-sig"))
    assert (imp.delimiter, imp.headers) == (";", ["E-mail", "Nombre", "Ciudad"])
    imp = run(admin, write(tmp_path, "excel.csv", text, "utf-8-sig"))
    assert imp.created_count == 1
    assert Contact.objects.get().city == "Sevilla, centro"


@pytest.mark.parametrize(
    "header", ["Domain", "website", "Web site", "Dominio", "Sitio web", "Domena", "Strona WWW"]
)
def test_a_domain_or_website_header_suggests_the_company_domain(header):
    assert mapping.suggest(["E-mail", "Firma", header], []) == {
        "0": "email",
        "1": "company",
        "2": "company_domain",
    }


def test_domain_headers_leave_the_other_guesses_as_they_were():
    # Mailing lists' column is offered but never guessed, and an address book's numbered or
    # qualified web pages stay unmapped: only a whole domain header is the company's domain.
    headers = ["E-mail", "Lists", "Mailing lists", "Mailing lists (keys)", "Listas"]
    headers += ["Listy mailingowe", "Newsletter", "Tags", "Company", "Web Page", "Home Page"]
    headers += ["Website 1 - Type", "Website 1 - Value", "Business Web Page", "Personal Website"]
    assert mapping.suggest(headers, []) == {
        str(i): {0: "email", 7: "tags", 8: "company"}.get(i, "") for i in range(len(headers))
    }
    both = mapping.suggest(["E-mail", "Mailing lists (keys)", "Website"], [])
    assert both == {"0": "email", "1": "", "2": "company_domain"}

"""Phone numbers without a prefix, rows kept without their bad values, and the report that
can be fixed and imported again."""

import pytest

from kartoteka.cli import main
from kartoteka.contacts.models import Contact
from kartoteka.transfer import services
from kartoteka.transfer.models import Import
from tests.factories import make_contact
from tests.transfer.helpers import run, upload, write

pytestmark = pytest.mark.django_db

# As Excel on a Polish Windows saves a sheet: Windows-1250, semicolons, Polish headers.
POLISH = (
    "Imię;Nazwisko;Adres e-mail;Telefon;Miasto\r\n"
    "Łukasz;Żółkiewski;lukasz@example.pl;600 100 200;Łódź\r\n"
    "Małgorzata;Świętochowska;malgosia@example.pl;+34 612 345 678;Kraków\r\n"
)


def test_a_polish_windows_1250_file_reads_numbers_as_polish(admin, tmp_path, settings):
    settings.KARTOTEKA_DEFAULT_PHONE_REGION = "ES"
    imp = run(admin, write(tmp_path, "kontakty.csv", POLISH, "windows-1250"))
    assert (imp.encoding, imp.phone_region) == ("windows-1250", "PL")
    lukasz = Contact.objects.get(email="lukasz@example.pl")
    assert (lukasz.first_name, lukasz.last_name, lukasz.city) == ("Łukasz", "Żółkiewski", "Łódź")
    assert lukasz.phone == "+48600100200"
    # A number with its prefix keeps its own country.
    assert Contact.objects.get(email="malgosia@example.pl").phone == "+34612345678"


def test_the_rows_country_column_decides_before_the_import_option(admin, tmp_path):
    text = "email,phone,country\na@example.com,600 100 200,Polska\nb@example.com,612 345 678,\n"
    run(admin, write(tmp_path, "p.csv", text), phone_region="ES")
    assert Contact.objects.get(email="a@example.com").phone == "+48600100200"
    assert Contact.objects.get(email="b@example.com").phone == "+34612345678"


def test_spanish_headers_suggest_spain_and_english_ones_the_default(admin, tmp_path, settings):
    settings.KARTOTEKA_DEFAULT_PHONE_REGION = "DE"
    spanish = upload(admin, write(tmp_path, "s.csv", "Correo;Nombre;Teléfono\na@b.es;A;1\n"))
    english = upload(admin, write(tmp_path, "e.csv", "Email,Name,Phone\na@b.es,A,1\n"))
    assert (spanish.phone_region, english.phone_region) == ("ES", "DE")


def test_updating_a_polish_contact_never_makes_his_number_spanish(admin, tmp_path):
    contact = make_contact(admin, email="jan@example.pl", phone="+48 600 100 200")
    text = "email,first_name,phone\njan@example.pl,Jan,600 100 200\n"
    imp = run(admin, write(tmp_path, "p.csv", text), phone_region="ES")
    contact.refresh_from_db()
    assert contact.phone == "+48600100200"
    assert list(contact.phones.values_list("number", flat=True)) == ["+48600100200"]
    assert imp.updated_count == 1  # the first name, not the phone


def test_an_unknown_phone_region_is_refused(admin, tmp_path):
    imp = upload(admin, write(tmp_path, "p.csv", "email\na@example.com\n"))
    with pytest.raises(services.InvalidInput) as error:
        services.configure_import(admin, imp, phone_region="Narnia")
    assert "phone_region" in error.value.errors


def test_the_command_line_takes_the_phone_region(admin, tmp_path, capsys):
    path = write(tmp_path, "p.csv", "email,phone\na@example.com,600 100 200\n")
    assert main(["import", str(path), "--phone-region", "pl"]) == 0
    assert Contact.objects.get().phone == "+48600100200"


def test_the_command_line_refuses_a_bad_phone_region_in_one_line(admin, tmp_path, capsys):
    path = write(tmp_path, "p.csv", "email,phone\na@example.com,600 100 200\n")
    assert main(["import", str(path), "--phone-region", "XX"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "XX" in err[0]
    assert not Import.objects.exists()


BAD_CELLS = (
    "email,first_name,phone,birthday,country\n"
    "\n"
    'ok@example.com,"Ana\nMaría",abc,1985-04-12,ES\n'
    "date@example.com,Bea,+34 600 123 456,31/02/1990,ES\n"
    "\n"
    "land@example.com,Cris,,,Atlantis\n"
    "wide@example.com,Dani,,,PL,surplus\n"
    "nomail,Eva,,,ES\n"
)


def test_a_row_with_a_good_email_is_kept_without_its_bad_values(admin, tmp_path):
    imp = run(admin, write(tmp_path, "bad.csv", BAD_CELLS))
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (4, 1, 4)
    ok = Contact.objects.get(email="ok@example.com")
    assert (ok.phone, str(ok.birthday), ok.country) == ("", "1985-04-12", "ES")
    assert Contact.objects.get(email="date@example.com").birthday is None
    assert Contact.objects.get(email="land@example.com").country == ""
    assert Contact.objects.get(email="wide@example.com").country == "PL"


def test_the_report_gives_physical_lines_and_levels(admin, tmp_path):
    imp = run(admin, write(tmp_path, "bad.csv", BAD_CELLS))
    levels = {(p.row_number, p.column): p.level for p in imp.problems.all()}
    # Line 1 is the header, 2 blank; the row on line 3 holds a line break in a quoted cell,
    # so the next row starts on line 5; line 6 is blank.
    assert levels == {
        (3, "phone"): "warning",
        (5, "birthday"): "warning",
        (7, "country"): "warning",
        (8, ""): "warning",
        (9, "email"): "error",
    }
    first = imp.problems.filter(row_number=3).first()
    assert first.cells == ["ok@example.com", "Ana\nMaría", "abc", "1985-04-12", "ES"]


def test_the_report_fixed_and_imported_again_completes_the_contacts(admin, tmp_path):
    imp = run(admin, write(tmp_path, "bad.csv", BAD_CELLS))
    report = "".join(services.problems_csv(imp))
    fixed = (
        report.replace(",abc,", ",+34 611 222 333,")
        .replace("31/02/1990", "28/02/1990")
        .replace("Atlantis", "Kosovo")
        .replace(",surplus", "")
        .replace("nomail", "eva@example.com")
    )
    again = run(admin, write(tmp_path, "fixed.csv", fixed))
    assert (again.failed_count, again.warned_count) == (0, 0)
    assert (again.created_count, again.updated_count) == (1, 3)
    assert Contact.objects.get(email="ok@example.com").phone == "+34611222333"
    assert str(Contact.objects.get(email="date@example.com").birthday) == "1990-02-28"
    assert Contact.objects.get(email="land@example.com").country == "XK"
    assert Contact.objects.get(email="eva@example.com").first_name == "Eva"


def test_strict_rejects_the_rows_a_lenient_import_keeps(admin, tmp_path):
    imp = run(admin, write(tmp_path, "bad.csv", BAD_CELLS), strict=True)
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (0, 5, 0)
    assert set(imp.problems.values_list("level", flat=True)) == {"error"}


def test_the_dry_run_counts_warnings_apart_from_rejections(admin, tmp_path):
    imp = upload(admin, write(tmp_path, "bad.csv", BAD_CELLS))
    plan = services.dry_run_import(admin, imp)
    assert (plan["created"], plan["failed"], plan["warned"]) == (4, 1, 4)
    assert [p["row"] for p in plan["problems"]] == [9]
    assert [p["row"] for p in plan["warnings"]] == [3, 5, 7, 8]
    assert not Contact.objects.exists()


def test_the_command_line_report_lists_warnings_and_errors(admin, tmp_path, capsys):
    report = tmp_path / "report.csv"
    path = write(tmp_path, "bad.csv", BAD_CELLS)
    assert main(["import", str(path), "--errors", str(report)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "created 4, updated 0, unchanged 0, failed 1, with warnings 4"
    )
    lines = report.read_text().splitlines()
    assert lines[0] == "Line,Level,Problems,email,first_name,phone,birthday,country"
    assert [line.split(",")[1] for line in lines if line[:1].isdigit()] == [
        "warning",
        "warning",
        "warning",
        "warning",
        "error",
    ]


OTHER_EMAILS = "email,emails,first_name\nnew@example.com,taken@example.com;spare@example.com,Ana\n"


def test_another_contacts_email_is_left_out_of_a_kept_row(admin, tmp_path):
    make_contact(admin, email="taken@example.com")
    imp = run(admin, write(tmp_path, "e.csv", OTHER_EMAILS))
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (1, 0, 1)
    ana = Contact.objects.get(email="new@example.com")
    assert set(ana.emails.values_list("email", flat=True)) == {
        "new@example.com",
        "spare@example.com",
    }
    assert "taken@example.com" in imp.problems.get(level="warning").message


def test_another_contacts_email_rejects_the_row_of_a_strict_import(admin, tmp_path):
    make_contact(admin, email="taken@example.com")
    imp = run(admin, write(tmp_path, "e.csv", OTHER_EMAILS), strict=True)
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (0, 1, 0)

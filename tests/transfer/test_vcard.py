import io

import pytest

from kartoteka.activity.models import Note
from kartoteka.contacts.models import Contact
from kartoteka.transfer import queries, services, vcard
from tests.transfer.helpers import run, write

APPLE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kowalska;Agnieszka;;;\r\nFN:Agnieszka Kowalska\r\n"
    "ORG:Firma Sp. z o.o.;\r\nTITLE:Dyrektor\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:agnieszka@example.com\r\n"
    "EMAIL;type=INTERNET;type=WORK:a.kowalska@example.org\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+48 601 234 567\r\n"
    "item2.ADR;type=HOME;type=pref:;;ul. Długa 5;Kraków;małopolskie;31-147;Polska\r\n"
    "BDAY:1984-02-29\r\nNOTE:Met at the fair\\, stand 4\\nCall in May\r\nEND:VCARD\r\n"
)
OLD_PHONE = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Mu=C3=B1oz;Jos=C3=A9\r\n"
    "TEL;CELL;PREF:600123456\r\nEMAIL;INTERNET:jose@example.es\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Primera l=C3=ADnea=0D=0A=\r\nsegunda l=C3=ADnea\r\n"
    "END:VCARD\r\n"
)
FOLDED_V4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Lucía Fernández\r\nEMAIL;PREF=1:lucia@example.es\r\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+34-91-123-45-67\r\nNOTE:A very long note that goes on and o\r\n"
    " n past the seventy-five octet limit\r\nBDAY:--0412\r\nEND:VCARD\r\n"
)


def test_parse_reads_names_emails_phones_address_and_note():
    (card,) = vcard.parse(io.StringIO(APPLE))
    assert card["first_name"] == "Agnieszka" and card["last_name"] == "Kowalska"
    assert card["email"] == "agnieszka@example.com"
    assert card["emails"] == "a.kowalska@example.org"
    assert card["city"] == "Kraków" and card["postal_code"] == "31-147"
    assert card["company"] == "Firma Sp. z o.o."
    assert card["note"] == "Met at the fair, stand 4\nCall in May"


def test_parse_decodes_quoted_printable_from_old_phones():
    (card,) = vcard.parse(io.StringIO(OLD_PHONE))
    assert (card["first_name"], card["last_name"]) == ("José", "Muñoz")
    assert card["note"] == "Primera línea\r\nsegunda línea"
    assert card["phones"] == "600123456"


def test_parse_unfolds_long_lines_and_reads_v4_uris():
    (card,) = vcard.parse(io.StringIO(FOLDED_V4))
    assert card["note"].endswith("and on past the seventy-five octet limit")
    assert card["phones"] == "+34-91-123-45-67"
    assert card["first_name"] == "Lucía" and card["birthday"] == ""


def test_a_birthday_apple_contacts_wrote_without_its_year_is_left_out():
    text = APPLE.replace("BDAY:1984-02-29", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12")
    (card,) = vcard.parse(io.StringIO(text))
    assert card["birthday"] == ""
    (card,) = vcard.parse(io.StringIO(APPLE))
    assert card["birthday"] == "1984-02-29"


def test_written_lines_are_folded_at_75_octets():
    text = vcard.card({"first_name": "Ż" * 60, "emails": ["a@example.com"]})
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (card,) = vcard.parse(io.StringIO(text))
    assert card["first_name"] == "Ż" * 60


@pytest.mark.django_db
def test_vcard_file_imports_every_card(admin, tmp_path):
    imp = run(admin, write(tmp_path, "book.vcf", APPLE + OLD_PHONE + FOLDED_V4))
    assert (imp.format, imp.created_count, imp.failed_count) == ("vcf", 3, 0)
    agnieszka = Contact.objects.get(email="agnieszka@example.com")
    assert agnieszka.country == "PL"
    assert list(agnieszka.emails.values_list("email", flat=True)) == [
        "agnieszka@example.com",
        "a.kowalska@example.org",
    ]
    assert Note.objects.get(contact=agnieszka).body == "Met at the fair, stand 4\nCall in May"


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_round_trip_loses_nothing(admin, tmp_path, version):
    run(admin, write(tmp_path, "book.vcf", APPLE + OLD_PHONE))
    first = tmp_path / "out1.vcf"
    services.write_export(
        first, format="vcf", contacts=queries.contacts_to_export(admin), columns=[]
    )
    text = first.read_bytes().decode()
    exported = [
        vcard.card(v, version=version) for v in queries.vcard_contacts(Contact.objects.all())
    ]
    Contact.objects.all().delete()
    run(admin, write(tmp_path, "again.vcf", "".join(exported)))
    again = "".join(
        vcard.card(v, version="3.0") for v in queries.vcard_contacts(Contact.objects.all())
    )
    assert _without_uid(again) == _without_uid(text)


def _without_uid(text: str) -> list[str]:
    return [line for line in text.split("\r\n") if not line.startswith("UID:")]


APPLE_WITH_PHOTO_AND_BROKEN_LINES = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
    "N:Nowak;Jan;;;\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJ\r\n"
    " CQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/\r\n"
    "this line has no colon\r\n"
    "NOTE;CHARSET=no-such-charset;ENCODING=QUOTED-PRINTABLE:Caf=E9 con le=F1a\r\n"
    "X-SOCIALPROFILE;type=twitter:https://twitter.com/jan\r\n"
    "EMAIL;type=INTERNET:jan@example.pl\r\nEND:VCARD\r\n"
)


def test_a_line_that_cannot_be_read_is_left_out_and_the_card_kept():
    first, second = vcard.parse(io.StringIO(APPLE_WITH_PHOTO_AND_BROKEN_LINES + FOLDED_V4))
    assert (first["first_name"], first["last_name"]) == ("Jan", "Nowak")
    assert first["email"] == "jan@example.pl"
    # A quoted-printable value in a charset nobody knows is read as Latin-1, not dropped.
    assert first["note"] == "Café con leña"
    assert second["email"] == "lucia@example.es"


@pytest.mark.django_db
def test_a_card_that_is_no_contact_is_reported_and_the_others_import(admin, tmp_path):
    empty = "BEGIN:VCARD\r\nVERSION:3.0\r\nTITLE:Only a title\r\nEND:VCARD\r\n"
    imp = run(admin, write(tmp_path, "book.vcf", APPLE + empty + FOLDED_V4))
    assert (imp.created_count, imp.failed_count) == (2, 1)
    assert {p.row_number for p in imp.problems.all()} == {2}

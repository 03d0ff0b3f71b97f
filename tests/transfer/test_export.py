import csv
import io

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from kartoteka.contacts.models import Contact
from kartoteka.contacts.services import define_property
from kartoteka.transfer import queries, services
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db


def _csv(actor, columns, **query) -> list[list[str]]:
    contacts = queries.contacts_to_export(actor, **query)
    header, rows = queries.export_table(contacts, columns, labels=False)
    text = "".join(services.csv_lines(header, rows))
    return list(csv.reader(io.StringIO(text)))


def test_formula_looking_cells_are_neutralised_on_export(admin):
    make_contact(
        admin, email="f@example.com", first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)"
    )
    rows = _csv(admin, ["first_name", "last_name"])
    assert rows[1] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]


def test_xlsx_export_writes_formula_looking_text_as_text_without_an_apostrophe(admin, tmp_path):
    make_contact(
        admin, email="f@example.com", first_name="=1+1", last_name="#N/A", phones=["+34612345678"]
    )
    target = tmp_path / "out.xlsx"
    services.write_export(
        target,
        format="xlsx",
        contacts=queries.contacts_to_export(admin),
        columns=["email", "first_name", "last_name", "phones"],
    )
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[2]] == ["f@example.com", "=1+1", "#N/A", "+34612345678"]
    assert [c.data_type for c in sheet[2]] == ["s", "s", "s", "s"]


def test_csv_export_keeps_phone_numbers_and_plain_numbers_as_they_are(admin):
    make_contact(admin, email="p@example.com", first_name="-12.5", phones=["+34612345678"])
    make_contact(admin, email="q@example.com", first_name="-1+2", phones=["+48601234567"])
    rows = _csv(admin, ["first_name", "phones"])
    assert rows[1:] == [["-12.5", "+34612345678"], ["'-1+2", "+48601234567"]]


def test_each_phone_and_other_email_gets_its_own_column(admin):
    make_contact(
        admin,
        email="many@example.com",
        emails=["many@example.com", "two@example.com", "three@example.com"],
        phones=["+34612345678", "+34699000111", "+48601234567"],
    )
    make_contact(admin, email="one@example.com", phones=["+34600000001"])
    rows = _csv(admin, ["email", "phones", "emails"])
    assert rows == [
        ["email", "phone", "phone 2", "phone 3", "email 2", "email 3"],
        [
            "many@example.com",
            "+34612345678",
            "+34699000111",
            "+48601234567",
            "two@example.com",
            "three@example.com",
        ],
        ["one@example.com", "+34600000001", "", "", "", ""],
    ]


def test_labelled_header_numbers_the_phone_and_email_columns(admin):
    make_contact(
        admin,
        email="a@example.com",
        emails=["a@example.com", "b@example.com"],
        phones=["+34612345678", "+34699000111"],
    )
    header, _rows = queries.export_table(
        queries.contacts_to_export(admin), ["email", "phones", "emails"]
    )
    assert header == ["E-mail", "Phone", "Phone 2", "E-mail 2"]
    with translation.override("es"):
        header, _rows = queries.export_table(
            queries.contacts_to_export(admin), ["email", "phones", "emails"]
        )
    assert header == ["Correo", "Teléfono", "Teléfono 2", "Correo 2"]


def test_a_phones_column_without_any_phone_is_one_empty_column(admin):
    make_contact(admin, email="a@example.com")
    assert _csv(admin, ["email", "phones"]) == [["email", "phone"], ["a@example.com", ""]]


def test_sales_users_export_has_only_their_contacts(sales, other_sales):
    make_contact(sales, email="mine@example.com")
    make_contact(other_sales, email="theirs@example.com")
    assert _csv(sales, ["email"]) == [["email"], ["mine@example.com"]]


def test_export_takes_a_text_filter(admin):
    make_contact(admin, email="a@example.com", tags=["vip"])
    make_contact(admin, email="b@example.com")
    assert _csv(admin, ["email"], q="tag:vip")[1:] == [["a@example.com"]]


def test_export_of_a_selection_and_of_the_clients_view(admin):
    won = make_contact(admin, email="won@example.com", status="won")
    other = make_contact(admin, email="other@example.com")
    assert _csv(admin, ["email"], ids=[other.pk])[1:] == [["other@example.com"]]
    assert _csv(admin, ["id"], view="clients")[1:] == [[str(won.pk)]]


def test_unknown_export_column_is_refused():
    with pytest.raises(Exception, match="Unknown columns: shoe"):
        queries.check_columns(["email", "shoe"])


def test_csv_round_trip_loses_nothing(admin, tmp_path):
    define_property(admin, key="budget", label="Budget", type="decimal")
    text = (
        "email,first_name,last_name,phones,company,city,country,birthday,tags,properties.budget\n"
        'ana@example.com,Ana,"=Gar,cía",+34600123456,Acme,Madrid,ES,1990-01-02,"a, b",12.5\n'
        "jan@example.com,Jan,@Kowalski,+48601234567,,Kraków,PL,,,\n"
    )
    first = run(admin, write(tmp_path, "in.csv", text))
    assert first.failed_count == 0
    columns = text.splitlines()[0].split(",")
    exported = _csv(admin, columns)
    Contact.objects.all().delete()
    out = io.StringIO()
    csv.writer(out).writerows(exported)
    run(admin, write(tmp_path, "again.csv", out.getvalue()))
    assert _csv(admin, columns) == exported
    assert Contact.objects.get(email="ana@example.com").last_name == "=Gar,cía"


def test_large_export_runs_in_the_background_and_has_a_file(admin, monkeypatch):
    make_contact(admin, email="a@example.com")
    export = services.start_export(
        admin, format="csv", columns=["email"], query=services.export_query()
    )
    export.refresh_from_db()
    assert (export.status, export.rows_done) == ("done", 1)
    with open(export.file_path, encoding="utf-8-sig") as handle:
        assert handle.read().splitlines() == ["email", "a@example.com"]


PEOPLE = [
    {
        "email": "ana@example.com",
        "emails": ["ana@example.com", "ana.work@example.com"],
        "first_name": "Ana",
        "last_name": "=Gar,cía",
        "phones": ["+34612345678", "+34699000111", "+48601234567"],
        "tags": ["a", "b"],
    },
    {"email": "jan@example.com", "first_name": "-Jan", "last_name": "@Kowalski", "phones": []},
]
ROUND_TRIP_COLUMNS = ["email", "first_name", "last_name", "phones", "emails", "tags"]


def _people(admin) -> list[list]:
    for data in PEOPLE:
        make_contact(admin, **data)
    header, rows = queries.export_table(queries.contacts_to_export(admin), ROUND_TRIP_COLUMNS)
    return [header, *rows]


@pytest.mark.parametrize(
    ("format", "language"), [("csv", "en"), ("xlsx", "en"), ("xlsx", "es"), ("xlsx", "pl")]
)
def test_an_export_imports_back_unchanged(admin, tmp_path, format, language):
    """Several phones and e-mails in their own columns, formula-looking text and labelled
    headers (in the user's language) come back from the file as they went out."""
    with translation.override(language):
        _round_trip(admin, tmp_path, format)


def _round_trip(admin, tmp_path, format):
    before = _people(admin)
    target = tmp_path / f"out.{format}"
    services.write_export(
        target,
        format=format,
        contacts=queries.contacts_to_export(admin),
        columns=ROUND_TRIP_COLUMNS,
    )
    Contact.objects.all().delete()
    imp = run(admin, target)
    assert (imp.created_count, imp.failed_count) == (2, 0)
    header, rows = queries.export_table(queries.contacts_to_export(admin), ROUND_TRIP_COLUMNS)
    assert [header, *rows] == before
    ana = Contact.objects.get(email="ana@example.com")
    assert [p.number for p in ana.phones.all()] == PEOPLE[0]["phones"]
    assert ana.last_name == "=Gar,cía"


def test_xlsx_export_writes_moments_as_date_cells_in_the_workspace_zone(admin, tmp_path):
    contact = make_contact(admin, email="d@example.com")
    target = tmp_path / "out.xlsx"
    services.write_export(
        target,
        format="xlsx",
        contacts=queries.contacts_to_export(admin),
        columns=["email", "created_at"],
    )
    cell = load_workbook(target).active["B2"]
    assert cell.is_date
    local = timezone.localtime(contact.created_at).replace(tzinfo=None, microsecond=0)
    assert cell.value.replace(microsecond=0) == local


def test_csv_export_writes_moments_in_iso_8601_with_the_workspace_offset(admin):
    contact = make_contact(admin, email="d@example.com")
    rows = _csv(admin, ["created_at"])
    local = timezone.localtime(contact.created_at)
    assert rows[1] == [local.isoformat(timespec="seconds")]


def test_a_labelled_export_names_the_status_and_the_source_in_the_readers_language(admin):
    make_contact(admin, email="s@example.com")
    contacts = queries.contacts_to_export(admin)
    with translation.override("pl"):
        _header, rows = queries.export_table(contacts, ["status", "source"])
        assert list(rows) == [["Nowy", "Ręcznie"]]
    _header, rows = queries.export_table(contacts, ["status", "source"], labels=False)
    assert list(rows) == [["new", "manual"]]

import csv
import io

import pytest
from openpyxl import load_workbook

from kartoteka.contacts.models import Contact
from kartoteka.contacts.services import define_property
from kartoteka.transfer import queries, services
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db


def _csv(actor, columns, **query) -> list[list[str]]:
    contacts = queries.contacts_to_export(actor, **query)
    text = "".join(services.csv_lines(columns, queries.export_rows(contacts, columns)))
    return list(csv.reader(io.StringIO(text)))


def test_formula_looking_cells_are_neutralised_on_export(admin):
    make_contact(
        admin, email="f@example.com", first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)"
    )
    rows = _csv(admin, ["first_name", "last_name"])
    assert rows[1] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]


def test_xlsx_export_neutralises_formulas_too(admin, tmp_path):
    make_contact(admin, email="f@example.com", first_name="=1+1", last_name="-2")
    target = tmp_path / "out.xlsx"
    services.write_export(
        target,
        format="xlsx",
        contacts=queries.contacts_to_export(admin),
        columns=["email", "first_name", "last_name"],
    )
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[2]] == ["f@example.com", "'=1+1", "'-2"]
    assert sheet["B2"].data_type == "s"


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

"""`kartoteka deals import FILE`: mapping by headers (en, es, pl) or by hand, a dry run that
writes nothing, problems by physical line, strict mode, a report to import again, revert."""

import csv

import pytest
from openpyxl import Workbook

from kartoteka.cli import main
from kartoteka.contacts.services import set_owners
from kartoteka.core.scope import SYSTEM
from kartoteka.deals import services
from kartoteka.deals.models import Deal, DealImport
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def people(db):
    sales_pipeline()
    return make_contact(email="ana@example.com"), make_contact(email="jan@example.com")


CSV = (
    "Nombre;Importe;Etapa;Correo;Fecha de cierre\n"
    "Flota;1200,50;Enviar propuesta;ana@example.com;2027-01-31\n"
    "\n"
    '"Renovación\n(anual)";300;Nuevo;jan@example.com; \n'
    "Sin nombre;abc;Nuevo;nadie@example.com;31/01/2027\n"
    ";100;Nuevo;ana@example.com;\n"
)


def _file(tmp_path, text=CSV, name="deals.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_maps_spanish_headers_reports_lines_and_writes_nothing(capsys, tmp_path, people):
    code, out, _err = run(capsys, "deals", "import", str(_file(tmp_path)), "--dry-run")
    assert code == 0
    assert "Nombre → name" in out and "Correo → contacts" in out
    # Physical lines: the blank line and the quoted line break are counted.
    assert "line 6: warning: amount:" in out
    assert "line 6: warning: contacts: No contact with this e-mail: nadie@example.com." in out
    assert "line 7: error: name:" in out
    assert "would create 3, failed 1, with warnings 1" in out
    assert not Deal.objects.exists() and not DealImport.objects.exists()


def test_import_creates_deals_with_contacts_and_stage_then_reverts(capsys, tmp_path, people):
    report = tmp_path / "report.csv"
    code, out, _err = run(capsys, "deals", "import", str(_file(tmp_path)), "--errors", str(report))
    assert code == 0 and "created 3, failed 1, with warnings 1" in out
    deal = Deal.objects.get(name="Flota")
    assert str(deal.amount) == "1200.50" and deal.stage.key == "proposal"
    assert [link.contact.email for link in deal.contact_links.all()] == ["ana@example.com"]
    assert Deal.objects.get(name__startswith="Renovación").contact_links.count() == 1
    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert rows[0][:4] == ["Line", "Level", "Problems", "Nombre"]
    assert [r[0] for r in rows[1:]] == ["6", "7"]
    # A deal moved since the import is kept by the revert.
    services.move_deal(services_actor(), deal, stage=deal.pipeline.stages.get(key="won").pk)
    imported = DealImport.objects.get()
    code, out, _err = run(capsys, "deals", "import", "--revert", str(imported.pk))
    assert code == 0 and "1 changed since and kept" in out
    assert list(Deal.objects.values_list("name", flat=True)) == ["Flota"]
    code, _out, err = run(capsys, "deals", "import", "--revert", str(imported.pk))
    assert code == 2 and "reverted already" in err


def services_actor():
    from kartoteka.core.scope import SYSTEM

    return SYSTEM


def test_strict_mode_rejects_any_row_with_a_problem(capsys, tmp_path, people):
    code, out, _err = run(capsys, "deals", "import", str(_file(tmp_path)), "--strict")
    assert code == 0 and "created 2, failed 2, with warnings 0" in out
    assert not Deal.objects.filter(name="Sin nombre").exists()


def test_mapping_by_hand_and_bad_flags_are_clear_errors(capsys, tmp_path, people):
    path = _file(tmp_path, "Deal,Value,Who\nBig one,10,ana@example.com\n")
    code, _out, err = run(capsys, "deals", "import", str(path), "--map", "Nope=amount")
    assert code == 2 and "No column Nope" in err
    code, _out, err = run(capsys, "deals", "import", str(path), "--map", "Value=price")
    assert code == 2 and "No field price" in err
    code, _out, err = run(capsys, "deals", "import", str(path), "--map", "Deal=ignore")
    assert code == 2 and "deal's name" in err
    code, _out, err = run(capsys, "deals", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err
    code, out, _err = run(capsys, "deals", "import", str(path), "--map", "3=contacts")
    assert code == 0 and "created 1" in out
    assert Deal.objects.get().amount == 10
    assert not DealImport.objects.filter(reverted_at__isnull=False).exists()


def test_sales_user_links_only_their_own_contacts(capsys, tmp_path, people, sales):
    ana, _jan = people
    set_owners(SYSTEM, ana, owners=[sales])
    path = _file(tmp_path, "name,email\nMine,ana@example.com\nTheirs,jan@example.com\n")
    code, out, _err = run(
        capsys, "deals", "import", str(path), "--user", sales.username, "--strict"
    )
    assert code == 0 and "created 1, failed 1" in out
    assert "No contact with this e-mail: jan@example.com." in out
    assert Deal.objects.get().owner == sales


def test_xlsx_rows_are_numbered_by_sheet_row(capsys, tmp_path, people):
    book = Workbook()
    sheet = book.active
    sheet.append(["Nazwa", "Kwota", "Kontakt"])
    sheet.append(["Flota", 100, "ana@example.com"])
    sheet.append(["Zła", "x", "ana@example.com"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    code, out, _err = run(capsys, "deals", "import", str(path), "--strict")
    assert code == 0 and "line 3: error: amount:" in out
    assert list(Deal.objects.values_list("name", flat=True)) == ["Flota"]
    assert make_deal  # the factory stays importable for the next test file

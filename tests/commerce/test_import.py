"""`kartoteka events import FILE`: mapping by header or --map, dry run, an error report of the
rejected rows, and a revert that takes back events, timeline entries and totals."""

import csv
import json

import pytest

from kartoteka.activity.models import Activity
from kartoteka.cli import main
from kartoteka.commerce.models import ExternalEvent, Totals
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

ROWS = [
    ["order_id", "Email", "type", "occurred_at", "value", "sku", "quantity", "details.channel"],
    ["o-1", "buyer@example.com", "purchase", "2026-02-01T10:00:00Z", "19.99", "HAT", "2", "shop"],
    ["o-2", "buyer@example.com", "purchase", "2026-02-03T10:00:00+01:00", "5.00", "", "", ""],
    ["o-3", "buyer@example.com", "teleport", "2026-02-04T10:00:00+01:00", "", "", "", ""],
]  # fmt: skip


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def events_csv(tmp_path):
    path = tmp_path / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    return path


def test_import_maps_columns_records_events_and_reports_rejected_rows(capsys, events_csv, tmp_path):
    contact = make_contact(email="buyer@example.com")
    report = tmp_path / "errors.csv"
    code, out, err = run(
        capsys, "events", "import", str(events_csv), "--map", "order_id=id", "--errors", str(report)
    )
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    assert "row 4: type" in err
    assert Totals.objects.get(contact=contact).total == 2499
    hat = ExternalEvent.objects.get(client_id="o-1")
    assert hat.lines.get().quantity == 2 and hat.details == {"channel": "shop"}
    assert "teleport" in report.read_text()


def test_dry_run_writes_nothing(capsys, events_csv):
    make_contact(email="buyer@example.com")
    code, out, _err = run(
        capsys, "events", "import", str(events_csv), "--map", "order_id=id", "--dry-run"
    )
    assert code == 0 and json.loads(out)["accepted"] == 2
    assert not ExternalEvent.objects.exists()


def test_revert_takes_back_events_timeline_and_totals(capsys, events_csv):
    contact = make_contact(email="buyer@example.com")
    _code, out, _err = run(capsys, "events", "import", str(events_csv), "--map", "order_id=id")
    batch = json.loads(out)["batch"]
    code, out, _err = run(capsys, "events", "revert", batch)
    assert code == 0 and "reverted 2 events" in out
    assert not ExternalEvent.objects.exists()
    assert not Activity.objects.filter(contact=contact, kind="purchase").exists()
    assert not Totals.objects.filter(contact=contact).exists()


def test_a_file_without_a_type_column_is_refused_clearly(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("email,when\nx@example.com,2026-01-01\n", encoding="utf-8")
    code, _out, err = run(capsys, "events", "import", str(path))
    assert code == 2
    assert "type" in err

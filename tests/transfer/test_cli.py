import pytest

from kartoteka.activity.models import Activity
from kartoteka.cli import main
from kartoteka.contacts.models import Contact, ContactTag
from kartoteka.transfer.models import Import
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

CSV = "Mail,Name,Kraj\nana@example.com,Ana García,ES\nbad,Bad,ES\n"


def test_import_command_maps_columns_and_ends_with_the_summary_line(admin, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    report = tmp_path / "errors.csv"
    code = main(
        ["import", str(path), "--map", "Kraj=country", "--errors", str(report), "--tag", "cli"]
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert out[-1] == "created 1, updated 0, unchanged 0, failed 1, with warnings 0"
    ana = Contact.objects.get()
    assert (ana.first_name, ana.last_name, ana.country) == ("Ana", "García", "ES")
    assert report.read_text().splitlines()[0].startswith("Line,Level,Problems,")
    assert report.read_text().splitlines()[1].startswith("3,error,Mail: ")
    assert report.read_text().splitlines()[1].endswith(",bad,Bad,ES")


def test_import_dry_run_writes_nothing(admin, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    assert main(["import", "--dry-run", str(path)]) == 0
    assert (
        "would create 1, update 0, leave 0 unchanged, fail 1, 0 with warnings"
        in capsys.readouterr().out
    )
    assert not Contact.objects.exists()


def test_import_revert_command(admin, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    main(["import", str(path)])
    imp = Import.objects.get()
    assert main(["import", "--revert", str(imp.pk)]) == 0
    assert not Contact.objects.exists()


def test_an_import_without_a_user_runs_as_the_system_actor(admin, sales, tmp_path, capsys):
    owned = make_contact(sales, email="ana@example.com", first_name="Old")
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    assert main(["import", str(path), "--map", "Kraj=country", "--tag", "cli"]) == 0
    owned.refresh_from_db()
    assert (owned.first_name, owned.country) == ("Ana", "ES")  # the system reaches every contact
    assert Import.objects.get().created_by is None
    assert ContactTag.objects.get(contact=owned).added_by is None
    assert Activity.objects.filter(contact=owned, kind="updated").get().actor_id is None


def test_unknown_column_in_map_is_a_user_error(admin, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    assert main(["import", str(path), "--map", "Shoe=email"]) == 2
    assert "no column 'Shoe'" in capsys.readouterr().err


def test_export_command_writes_chosen_columns(admin, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    main(["import", str(path)])
    out = tmp_path / "out.csv"
    assert main(["export", str(out), "--columns", "email,first_name"]) == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "email,first_name",
        "ana@example.com,Ana",
    ]


def test_export_to_an_unknown_format_is_refused(admin, tmp_path, capsys):
    assert main(["export", str(tmp_path / "out.pdf")]) == 2
    assert "Format must be one of" in capsys.readouterr().err

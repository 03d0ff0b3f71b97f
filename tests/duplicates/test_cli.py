import json

from kartoteka.cli import main
from kartoteka.duplicates import services
from kartoteka.duplicates.models import DuplicateScan, ScanState
from tests.factories import make_contact


def test_duplicates_json_lists_groups(admin, capsys):
    one = make_contact(admin, first_name="Jan", last_name="Nowak", company="Acme")
    two = make_contact(admin, first_name="Jan", last_name="Nowak", company="ACME")
    assert main(["duplicates", "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    assert groups == [
        {
            "contact_ids": [one.pk, two.pk],
            "reason": "Same name at the same company",
            "reasons": ["Same name at the same company"],
            "confidence": 90,
            "exact": True,
        }
    ]


def test_duplicates_text_output_names_the_contacts(admin, capsys):
    make_contact(admin, first_name="Jan", last_name="Nowak", phone="+48601000001")
    make_contact(admin, first_name="Janek", last_name="Nowak", phone="+48601000001")
    assert main(["duplicates"]) == 0
    out = capsys.readouterr().out
    assert "Same phone number" in out and "Janek Nowak" in out


def test_merge_exact_merges_the_exact_groups(admin, capsys):
    make_contact(admin, phone="+48601000002")
    make_contact(admin, phone="+48601000002")
    assert main(["duplicates", "--merge-exact"]) == 0
    assert "Merged 1 contacts" in capsys.readouterr().out


def test_duplicates_started_while_a_worker_scan_runs_waits_for_it(admin, capsys, monkeypatch):
    one = make_contact(admin, phone="+48601000003")
    two = make_contact(admin, phone="+48601000003")
    worker = services._new_scan(admin, "manual")
    assert services._claim(worker) is True  # a worker is reading the contacts

    def worker_finishes():
        # Nothing else started while the worker's scan held the claim.
        assert DuplicateScan.objects.count() == 1
        DuplicateScan.objects.filter(pk=worker.pk).update(running=None, state=ScanState.QUEUED)
        services.run_scan(worker.pk)

    monkeypatch.setattr(services, "_pause", worker_finishes)
    assert main(["duplicates", "--json"]) == 0
    captured = capsys.readouterr()
    assert f"already under way (scan #{worker.pk}, reading contacts)" in captured.err
    assert json.loads(captured.out)[0]["contact_ids"] == [one.pk, two.pk]
    (scan,) = DuplicateScan.objects.all()
    assert scan.pk == worker.pk and scan.state == ScanState.DONE and scan.running is None


def test_duplicates_runs_a_scan_queued_for_a_worker_itself(admin, capsys):
    make_contact(admin, phone="+48601000004")
    make_contact(admin, phone="+48601000004")
    queued = services._new_scan(admin, "manual")  # no worker has picked it up
    assert main(["duplicates"]) == 0
    assert "1 groups." in capsys.readouterr().out
    (scan,) = DuplicateScan.objects.all()
    assert scan.pk == queued.pk and scan.state == ScanState.DONE

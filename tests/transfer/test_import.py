import pytest
from django.test import override_settings

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact, ContactEmail
from kartoteka.contacts.services import define_property
from kartoteka.core import bulkload
from kartoteka.core.errors import InvalidInput
from kartoteka.transfer import services
from kartoteka.transfer.models import Import, ImportStatus
from tests.factories import make_contact
from tests.transfer.helpers import run, upload, write
from tests.uploads import LIMIT, PAST_THE_LIMIT, stored_files

pytestmark = pytest.mark.django_db

CSV = (
    "Email,First name,Last name,Phone,Company,Tags\n"
    "ana@example.com,Ana,García,+34 600 123 456,Acme,vip\n"
    "jan@example.com,Jan,Kowalski,+48 601 234 567,Firma,\n"
)


def test_import_creates_contacts_with_their_emails_phones_and_tags(admin, tmp_path):
    imp = run(admin, write(tmp_path, "people.csv", CSV))
    assert imp.status == ImportStatus.DONE
    assert (imp.created_count, imp.updated_count, imp.failed_count) == (2, 0, 0)
    ana = Contact.objects.get(email="ana@example.com")
    assert ana.last_name == "García"
    assert ana.phone == "+34600123456"
    assert ana.company.name == "Acme"
    assert ana.source == "import"
    assert list(ana.tags.values_list("name", flat=True)) == ["vip"]
    assert "garcia" in ana.search_text
    assert ContactEmail.objects.get(email_folded="ana@example.com").is_primary


def test_a_file_past_the_limit_is_refused_naming_the_limit_and_nothing_is_kept(admin, tmp_path):
    with override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT, DATA_DIR=tmp_path / "data"):
        with pytest.raises(InvalidInput) as refused:
            upload(admin, write(tmp_path, "people.csv", CSV))
        assert refused.value.errors == {"file": [PAST_THE_LIMIT["en"]]}
        assert not Import.objects.exists()
        assert stored_files(tmp_path / "data") == []


def test_imported_contacts_get_created_timeline_entries_named_after_the_import(admin, tmp_path):
    imp = run(admin, write(tmp_path, "people.csv", CSV))
    entry = Activity.objects.get(contact__email="ana@example.com", kind="created")
    assert entry.actor_label == f"import #{imp.pk}"
    assert entry.payload == {"source": "import", "email": "ana@example.com", "tags": ["vip"]}


def test_tags_a_contact_arrives_with_are_named_in_its_created_entry_only(admin, tmp_path):
    run(admin, write(tmp_path, "people.csv", CSV))
    kinds = Activity.objects.filter(contact__email="ana@example.com").values_list("kind", flat=True)
    assert list(kinds) == ["created"]


def test_importing_the_same_file_twice_changes_nothing(admin, tmp_path):
    path = write(tmp_path, "people.csv", CSV)
    run(admin, path)
    before = Activity.objects.count()
    second = run(admin, path)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert Contact.objects.count() == 2
    assert Activity.objects.count() == before


def test_import_updates_existing_contact_and_records_old_and_new(admin, tmp_path):
    contact = make_contact(admin, email="Ana@Example.com", first_name="Anita", last_name="G")
    imp = run(admin, write(tmp_path, "people.csv", CSV))
    assert imp.updated_count == 1
    contact.refresh_from_db()
    assert contact.first_name == "Ana"
    entry = Activity.objects.get(contact=contact, kind="updated")
    assert {"field": "first_name", "old": "Anita", "new": "Ana"} in entry.payload["changes"]


def test_skip_existing_leaves_matched_contacts_alone(admin, tmp_path):
    contact = make_contact(admin, email="ana@example.com", first_name="Anita")
    imp = run(admin, write(tmp_path, "people.csv", CSV), update_existing=False)
    contact.refresh_from_db()
    assert contact.first_name == "Anita"
    assert (imp.created_count, imp.unchanged_count) == (1, 1)


def test_rows_without_a_valid_email_are_rejected_and_bad_values_are_left_out(admin, tmp_path):
    define_property(admin, key="size", label="Size", type="number")
    text = (
        "email,first_name,size\n"
        "good@example.com,Good,3\n"
        ",Nomail,1\n"
        "not-an-email,Bad,1\n"
        "typed@example.com,Typed,lots\n"
        "wide@example.com,Wide,1,extra\n"
        f"big@example.com,{'x' * 1_000_000},1\n"
        "after@example.com,After,2\n"
    )
    imp = run(admin, write(tmp_path, "broken.csv", text))
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (5, 2, 3)
    assert Contact.objects.get(email="typed@example.com").properties == {}
    assert Contact.objects.get(email="wide@example.com").first_name == "Wide"
    assert Contact.objects.get(email="big@example.com").first_name == ""
    problems = {p.row_number: p for p in imp.problems.all()}
    assert problems[3].column == "email" and "required" in problems[3].message
    assert problems[3].level == problems[4].level == "error"
    assert problems[4].value == "not-an-email"
    assert problems[5].column == "size" and problems[5].value == "lots"
    assert "4 cells" in problems[6].message and problems[6].value == "extra"
    assert problems[7].column == "first_name" and "at most 255" in problems[7].message
    assert len(problems[7].value) < 300
    assert {problems[n].level for n in (5, 6, 7)} == {"warning"}


def test_a_strict_import_rejects_every_row_with_a_problem(admin, tmp_path):
    define_property(admin, key="size", label="Size", type="number")
    text = (
        "email,first_name,size\n"
        "good@example.com,Good,3\n"
        "typed@example.com,Typed,lots\n"
        "wide@example.com,Wide,1,extra\n"
        "nomail,X,1\n"
    )
    imp = run(admin, write(tmp_path, "broken.csv", text), strict=True)
    assert (imp.created_count, imp.failed_count, imp.warned_count) == (1, 3, 0)
    assert {p.level for p in imp.problems.all()} == {"error"}


def test_error_report_is_csv_with_the_line_the_problems_and_the_rows_cells(admin, tmp_path):
    imp = run(admin, write(tmp_path, "b.csv", "email,first_name\nbad,X\nok@example.com,Y\n"))
    report = "".join(services.problems_csv(imp)).splitlines()
    assert report[0] == "Line,Level,Problems,email,first_name"
    assert report[1].startswith("2,error,email: ")
    assert report[1].endswith(",bad,X")
    assert len(report) == 2


def test_formula_looking_cells_are_kept_as_plain_text(admin, tmp_path):
    text = 'email,first_name\nf@example.com,"=HYPERLINK(""http://x"",""y"")"\n'
    run(admin, write(tmp_path, "f.csv", text))
    assert Contact.objects.get().first_name == '=HYPERLINK("http://x","y")'


def test_same_email_twice_in_a_file_creates_one_contact_then_updates_it(admin, tmp_path):
    text = "email,city\nsam@example.com,Madrid\nSAM@example.com,Kraków\n"
    imp = run(admin, write(tmp_path, "d.csv", text))
    assert (imp.created_count, imp.updated_count) == (1, 1)
    assert Contact.objects.get().city == "Kraków"


def test_sales_user_cannot_update_a_contact_they_do_not_own(sales, other_sales, tmp_path):
    make_contact(other_sales, email="ana@example.com", first_name="Olga's")
    imp = run(sales, write(tmp_path, "people.csv", CSV))
    assert imp.failed_count == 1
    assert "belongs to another contact" in imp.problems.get().message
    assert Contact.objects.get(email="ana@example.com").first_name == "Olga's"
    assert list(Contact.objects.get(email="jan@example.com").owners.all()) == [sales]


def test_dry_run_counts_without_writing(admin, tmp_path):
    make_contact(admin, email="ana@example.com", first_name="Anita")
    imp = upload(admin, write(tmp_path, "p.csv", CSV + "bad,X,Y,,,\n"))
    plan = services.dry_run_import(admin, imp)
    assert (plan["created"], plan["updated"], plan["failed"]) == (1, 1, 1)
    assert plan["problems"][0]["row"] == 4
    assert Contact.objects.count() == 1


def test_owner_and_tags_options_apply_to_every_new_contact(admin, sales, tmp_path):
    run(admin, write(tmp_path, "p.csv", CSV), owner="sergio", tags=["fair 2026"])
    jan = Contact.objects.get(email="jan@example.com")
    assert list(jan.owners.all()) == [sales]
    assert list(jan.tags.values_list("name", flat=True)) == ["fair 2026"]


def test_custom_details_are_coerced_by_type(admin, tmp_path):
    define_property(admin, key="budget", label="Presupuesto", type="decimal")
    run(admin, write(tmp_path, "p.csv", 'Correo electrónico,Presupuesto\nb@example.com,"12,50"\n'))
    assert Contact.objects.get().properties == {"budget": "12.50"}


def test_dry_run_counts_a_repeated_email_as_one_new_contact_then_an_update(admin, tmp_path):
    text = "email,city\nsam@example.com,Madrid\nSAM@example.com,Kraków\n"
    plan = services.dry_run_import(admin, upload(admin, write(tmp_path, "d.csv", text)))
    assert (plan["created"], plan["updated"]) == (1, 1)


def test_the_card_timeline_names_the_tags_in_the_created_entry(admin, tmp_path):
    from kartoteka.activity import timeline

    run(admin, write(tmp_path, "people.csv", CSV))
    entry = Activity.objects.get(contact__email="ana@example.com", kind="created")
    assert timeline.present(entry, timeline.Context())["text"] == "vip"


def test_imported_contacts_are_found_by_text_search_and_in_the_recency_ladder(admin, tmp_path):
    from django.db import connection

    from kartoteka.segments.queries import document_from, filter_contacts
    from tests.segments.test_recency import expected_ladder, ladder

    existing = make_contact(admin, email="jan@example.com", first_name="Janek")
    run(admin, write(tmp_path, "people.csv", CSV))
    found = filter_contacts(admin, document_from(q="garcí"))
    assert list(found.values_list("email", flat=True)) == ["ana@example.com"]
    assert list(filter_contacts(admin, document_from(q="kowalski"))) == [existing]
    assert ladder() == expected_ladder()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
        # The per-row triggers a batch suspends are back for every other writer.
        assert {"segments_contact_search_insert", "segments_activityrecency_insert"} <= triggers


def test_the_import_writes_with_its_own_sqlite_settings_and_gives_the_connection_its_own_back(
    admin, tmp_path, monkeypatch
):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite connection settings")

    def setting(name):
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name}")
            return cursor.fetchone()[0]

    before = {name: setting(name) for name in bulkload.SQLITE_PRAGMAS}
    during = []
    real_commit = services._commit_batch

    def commit(*args, **kwargs):
        during.append({name: setting(name) for name in bulkload.SQLITE_PRAGMAS})
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(services, "_commit_batch", commit)
    run(admin, write(tmp_path, "people.csv", CSV))
    assert during == [bulkload.SQLITE_PRAGMAS]
    assert {name: setting(name) for name in bulkload.SQLITE_PRAGMAS} == before


def test_a_thread_copies_the_write_ahead_log_while_the_import_writes_and_stops_with_it(
    admin, tmp_path, monkeypatch
):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    started = []
    real_start = bulkload.Checkpointer.start

    def start():
        started.append(real_start())
        return started[-1]

    monkeypatch.setattr(bulkload.Checkpointer, "start", staticmethod(start))
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    imp = run(admin, write(tmp_path, "people.csv", CSV))
    assert imp.created_count == 2
    [checkpointer] = started  # one for the whole import, not one per batch
    assert checkpointer.runs >= 1  # at least the last one, when the import ends
    assert not checkpointer.running


@pytest.mark.django_db(transaction=True)
def test_an_import_validated_by_helper_processes_writes_each_row_once(admin, tmp_path, monkeypatch):
    monkeypatch.setattr(bulkload, "HELPERS_FROM_ROWS", 1)
    monkeypatch.setattr(bulkload.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    prepared = []
    real_prepared = bulkload.prepared_in_helpers

    def in_helpers(*args, **kwargs):
        for item, result in real_prepared(*args, **kwargs):
            prepared.append(item)
            yield item, result

    monkeypatch.setattr(bulkload, "prepared_in_helpers", in_helpers)
    rows = "".join(f"p{n}@example.com,P{n},,,,t{n % 3}\n" for n in range(9))
    imp = run(admin, write(tmp_path, "people.csv", CSV + rows + "broken,X,,,,\n"))
    assert len(prepared) == 6  # 12 rows, 2 a batch, every batch validated by a helper
    assert (imp.status, imp.created_count, imp.failed_count) == (ImportStatus.DONE, 11, 1)
    assert Contact.objects.get(email="p7@example.com").first_name == "P7"
    assert sorted(Contact.objects.values_list("email", flat=True))[:3] == [
        "ana@example.com",
        "jan@example.com",
        "p0@example.com",
    ]

"""After a forget has returned, nothing holds the person any more: not the database's own
files (SQLite's database file and write-ahead log, byte for byte; on PostgreSQL pg_dump and
every row version the tables keep, dead ones included, which the vacuum after a forget
removes), not a file in the data directory or the file storage, not what the API shows of
other contacts."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from kartoteka.activity import services as activity
from kartoteka.privacy.services import forget_contact
from kartoteka.transfer import services as transfer
from tests.conftest import ApiClient
from tests.duplicates.helpers import fill_related_tables
from tests.factories import make_contact
from tests.transfer.helpers import run, write

# Committed for real, so that the write-ahead log and the database file are what they would be.
pytestmark = pytest.mark.django_db(transaction=True)

# What of the person may be looked for in raw bytes: the e-mails, the phone in three forms, and
# the ASCII letters of each name (a JSON column on SQLite keeps "í" as "\u00ed").
TRACES = [
    b"xiadani.quorthwick@example.net",
    b"xq.private@example.org",
    b"699817263",
    b"699 817 263",
    b"699 81 72 63",
    b"xiadan",
    b"rthwick",
]


@pytest.fixture
def person(admin, sales, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    contact = make_contact(
        admin,
        email="xiadani.quorthwick@example.net",
        emails=["xiadani.quorthwick@example.net", "xq.private@example.org"],
        first_name="Xiadaní",
        last_name="Quórthwick",
        phone="+34699817263",
        owners=[sales],
    )
    fill_related_tables(admin, contact, mention=sales, words="Xiadaní Quórthwick called")
    colleague = make_contact(admin, email="ola.kos@example.org", first_name="Ola", last_name="Kos")
    activity.add_note(
        admin,
        colleague,
        body="Referred by Xiadaní Quórthwick (xiadani.quorthwick@example.net, +34 699 817 263)",
    )
    activity.add_comment(admin, colleague, body=f"@{sales.username} ask XIADANI QUORTHWICK")
    activity.create_task(
        admin,
        data={
            "title": "Call Quórthwick, Xiadaní",
            "description": "Private: xq.private@example.org, 699 81 72 63",
            "contacts": [colleague.pk],
            "assignees": [sales],
        },
    )
    run(admin, write(tmp_path, "update.csv", "email,phone\nxq.private@example.org,699817263\n"))
    transfer.start_export(
        admin,
        format="csv",
        columns=["email", "first_name", "last_name", "phone"],
        query=transfer.export_query(q="Xiadaní"),
    )
    return contact, colleague


def _row_versions() -> bytes:
    """Every version of every row PostgreSQL's tables hold, live or dead (until VACUUM)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        cursor.execute(
            "SELECT oid::regclass::text, pg_relation_size(oid) / current_setting('block_size')::int"
            " FROM pg_class WHERE relkind IN ('r', 't') AND relpersistence = 'p'"
            " AND relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)"
        )
        for table, pages in cursor.fetchall():
            for page in range(int(pages)):
                cursor.execute(
                    "SELECT t_data FROM heap_page_items(get_raw_page(%s, %s))"
                    " WHERE t_data IS NOT NULL",
                    [table, page],
                )
                found += [bytes(data) for (data,) in cursor.fetchall()]
    return b"".join(found)


def _database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        files = [name, Path(f"{name}-wal"), Path(f"{name}-journal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    params = connection.get_connection_params()
    dumped = subprocess.run(
        [
            "pg_dump",
            "--host",
            params.get("host") or "localhost",
            "--port",
            str(params.get("port") or 5432),
            "--username",
            params["user"],
            "--no-owner",
            params["dbname"],
        ],
        env={**os.environ, "PGPASSWORD": params.get("password") or ""},
        capture_output=True,
        check=True,
        timeout=120,
    )
    return dumped.stdout + _row_versions()


def _files_bytes(*roots: Path) -> bytes:
    return b"".join(
        path.name.encode() + path.read_bytes()
        for root in roots
        for path in sorted(Path(root).rglob("*"))
        if path.is_file()
    )


def _shown_by_the_api(admin, sales, colleague) -> bytes:
    admin_api, sales_api = ApiClient(admin), ApiClient(sales)
    pages = [
        admin_api.get(f"/api/v1/contacts/{colleague.pk}/notes"),
        admin_api.get(f"/api/v1/contacts/{colleague.pk}/comments"),
        admin_api.get(f"/api/v1/contacts/{colleague.pk}/tasks"),
        admin_api.get("/api/v1/tasks"),
        sales_api.get("/api/v1/notifications"),
    ]
    assert all(page.status_code == 200 for page in pages)
    return b"".join(page.content for page in pages)


def _everything(admin, sales, colleague) -> bytes:
    roots = [django_settings.DATA_DIR, django_settings.MEDIA_ROOT]
    dump = _database_bytes() + _files_bytes(*roots) + _shown_by_the_api(admin, sales, colleague)
    return dump.lower()


def test_nothing_of_a_forgotten_person_is_left_in_the_database_files_or_the_api(
    admin, sales, person
):
    contact, colleague = person
    before = _everything(admin, sales, colleague)
    assert [trace for trace in TRACES if trace not in before] == []

    forget_contact(admin, contact)

    after = _everything(admin, sales, colleague)
    assert [trace for trace in TRACES if trace in after] == []

"""The background scan: stored groups, progress, scope when read, stale groups, triggers."""

import pytest
from django.utils import timezone

from kartoteka.contacts import services as contact_services
from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates import services, views
from kartoteka.duplicates.models import DuplicateGroup, DuplicateScan, ScanState
from kartoteka.duplicates.queries import stored_groups, with_contact_ids
from tests.duplicates.helpers import scanned
from tests.duplicates.pages import layout  # noqa: F401
from tests.factories import make_contact

PHONE = "+48601555444"


def _ids(actor, scan) -> list[list[int]]:
    return [g.contact_ids for g in with_contact_ids(stored_groups(actor, scan))]


@pytest.fixture
def trio(admin, sales):
    return [
        make_contact(admin, email=f"trio{n}@example.com", phone=PHONE, owners=[sales])
        for n in range(3)
    ]


def test_scan_stores_the_groups_and_how_far_it_got(admin, trio):
    scan = scanned()
    assert scan.state == ScanState.DONE
    assert scan.contacts_total == scan.contacts_read == 3
    assert scan.groups_found == 1 and scan.finished_at is not None
    (group,) = with_contact_ids(stored_groups(admin, scan))
    assert group.contact_ids == [c.pk for c in trio]
    assert group.reasons == ["Same phone number"] and group.confidence == 95 and group.exact


def test_a_new_scan_replaces_the_groups_of_the_last_one(admin, trio):
    first = scanned()
    second = scanned()
    assert not DuplicateScan.objects.filter(pk=first.pk).exists()
    assert DuplicateGroup.objects.get().scan_id == second.pk


def test_running_the_task_twice_changes_nothing(admin, trio):
    scan = scanned()
    assert services.run_scan(scan.pk).state == ScanState.DONE
    assert DuplicateGroup.objects.count() == 1


def test_sales_user_sees_only_groups_whose_contacts_are_all_theirs(admin, sales, trio):
    stranger = make_contact(admin, email="x@example.com", phone="+48601000999")
    mine = make_contact(admin, email="y@example.com", phone="+48601000999", owners=[sales])
    scan = scanned()
    assert _ids(admin, scan) == [[c.pk for c in trio], [stranger.pk, mine.pk]]
    assert _ids(sales, scan) == [[c.pk for c in trio]]


def test_a_deleted_contact_leaves_its_group_which_drops_below_two(admin, trio):
    scan = scanned()
    contact_services.delete_contact(admin, trio[0])
    assert _ids(admin, scan) == [[trio[1].pk, trio[2].pk]]
    contact_services.delete_contact(admin, trio[1])
    assert _ids(admin, scan) == []


def test_merging_a_whole_group_removes_it(admin, trio):
    scan = scanned()
    services.merge_contacts(admin, survivor_id=trio[0].pk, merged_ids=[trio[1].pk, trio[2].pk])
    assert _ids(admin, scan) == []


def test_a_failed_scan_says_why(admin, trio, monkeypatch):
    def broken(records, rules):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(services, "find_groups", broken)
    scan = services._new_scan(SYSTEM, "test")
    with pytest.raises(RuntimeError):
        services.run_scan(scan.pk)
    scan.refresh_from_db()
    assert scan.state == ScanState.FAILED and scan.message == "out of memory"


def test_sales_user_cannot_start_a_scan(sales):
    with pytest.raises(services.Forbidden):
        services.request_scan(sales)
    assert not DuplicateScan.objects.exists()


def test_a_scan_under_way_is_not_started_twice(admin):
    now = timezone.now()
    running = DuplicateScan.objects.create(
        state=ScanState.READING, requested_at=now, updated_at=now
    )
    assert services.request_scan(admin) == running
    assert DuplicateScan.objects.count() == 1


def test_a_stalled_scan_does_not_block_a_new_one(admin, trio):
    long_ago = timezone.now() - timezone.timedelta(hours=2)
    stalled = DuplicateScan.objects.create(
        state=ScanState.MATCHING, requested_at=long_ago, updated_at=long_ago
    )
    scan = services.request_scan(admin)
    assert scan != stalled and scan.state == ScanState.DONE
    assert not DuplicateScan.objects.filter(pk=stalled.pk).exists()


def test_changing_the_matching_rules_scans_again(admin, trio, django_capture_on_commit_callbacks):
    rule = services.queries.matching_rules().get(name="Same phone number")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_rule(admin, rule, data={"is_active": False})
    scan = DuplicateScan.objects.get()
    assert scan.trigger == "rules" and scan.state == ScanState.DONE
    assert _ids(admin, scan) == []


def test_scan_now_button_scans_and_the_page_shows_the_groups(client, admin, trio):
    client.force_login(admin)
    page = client.get("/duplicates/").content.decode()
    assert "No scan for duplicates has run yet." in page and "Scan now" in page
    response = client.post("/duplicates/scan/", follow=True)
    page = response.content.decode()
    assert "Last scanned" in page and "3 contacts compared" in page
    assert "Same phone number" in page and "95%" in page


def test_sales_user_gets_no_scan_button(client, sales, trio):
    client.force_login(sales)
    page = client.get("/duplicates/").content.decode()
    assert "Scan now" not in page and "An admin can start one." in page
    client.post("/duplicates/scan/")
    assert not DuplicateScan.objects.exists()


def test_page_shows_progress_while_a_scan_runs(client, admin):
    now = timezone.now()
    DuplicateScan.objects.create(
        state=ScanState.READING,
        requested_at=now,
        updated_at=now,
        contacts_total=1000,
        contacts_read=250,
    )
    client.force_login(admin)
    page = client.get("/duplicates/").content.decode()
    assert "Scanning for duplicates" in page and "250 of 1000 contacts read" in page
    assert 'value="25"' in page and "Scan now" not in page
    fragment = client.get("/duplicates/scan/progress/")
    assert "HX-Refresh" not in fragment and "Reading contacts" in fragment.content.decode()


def test_progress_fragment_reloads_the_page_once_the_scan_is_done(client, admin, trio):
    scanned()
    client.force_login(admin)
    assert client.get("/duplicates/scan/progress/")["HX-Refresh"] == "true"


def test_page_says_how_many_contacts_changed_since_the_scan(client, admin, trio):
    scanned()
    make_contact(admin, email="late@example.com")
    client.force_login(admin)
    assert "1 contact was added or changed since." in client.get("/duplicates/").content.decode()


def test_the_groups_come_a_page_at_a_time(client, admin, monkeypatch):
    monkeypatch.setattr(views, "GROUPS_PER_PAGE", 2)
    for n in range(5):
        make_contact(admin, email=f"a{n}@example.com", phone=f"+4860100010{n}")
        make_contact(admin, email=f"b{n}@example.com", phone=f"+4860100010{n}")
    scanned()
    client.force_login(admin)
    first = client.get("/duplicates/").content.decode()
    assert "Page 1 of 3" in first and first.count("Compare and merge") == 2
    last = client.get("/duplicates/?page=3").content.decode()
    assert last.count("Compare and merge") == 1 and 'rel="prev"' in last


def test_api_starts_a_scan_and_reports_it(admin_api, sales_api, trio):
    assert admin_api.get("/api/v1/duplicates/scan").status_code == 204
    assert sales_api.post("/api/v1/duplicates/scan").status_code == 403
    response = admin_api.post("/api/v1/duplicates/scan")
    assert response.status_code == 202
    assert admin_api.get("/api/v1/duplicates/scan").json()["state"] == "done"
    (group,) = admin_api.get("/api/v1/duplicates").json()
    assert group["contact_ids"] == [c.pk for c in trio]


def test_api_lists_the_groups_after_a_cursor(admin, admin_api):
    for n in range(3):
        make_contact(admin, email=f"a{n}@example.com", phone=f"+4860100020{n}")
        make_contact(admin, email=f"b{n}@example.com", phone=f"+4860100020{n}")
    scanned()
    first = admin_api.get("/api/v1/duplicates?limit=2").json()
    rest = admin_api.get(f"/api/v1/duplicates?limit=2&after={first[-1]['id']}").json()
    assert len(first) == 2 and len(rest) == 1
    assert admin_api.get("/api/v1/duplicates?limit=0").status_code == 422


def test_one_scan_runs_at_a_time(admin, trio, monkeypatch):
    first, second = services._new_scan(SYSTEM, "manual"), services._new_scan(SYSTEM, "cli")
    assert services._claim(first) is True
    assert services._claim(second) is False  # the database allows one claim
    waited = []

    def first_finishes():
        second.refresh_from_db()
        waited.append(second.state)
        DuplicateScan.objects.filter(pk=first.pk).update(running=None, state=ScanState.QUEUED)
        services.run_scan(first.pk)

    monkeypatch.setattr(services, "_pause", first_finishes)
    assert services.run_scan(second.pk).state == ScanState.DONE
    # The second stayed queued until the first was done, then scanned on its own.
    assert waited == [ScanState.QUEUED]
    assert list(DuplicateScan.objects.values_list("pk", "running")) == [(second.pk, None)]


def test_a_scan_being_run_is_not_run_again(admin, trio):
    scan = services._new_scan(SYSTEM, "manual")
    assert services._claim(scan) is True
    assert services._claim(scan) is None
    assert services.run_scan(scan.pk).state == ScanState.READING


def test_a_claim_whose_worker_died_does_not_block_the_next_scan(admin, trio):
    dead = services._new_scan(SYSTEM, "manual")
    assert services._claim(dead) is True
    long_ago = timezone.now() - timezone.timedelta(hours=2)
    DuplicateScan.objects.filter(pk=dead.pk).update(updated_at=long_ago)
    scan = scanned()
    assert scan.state == ScanState.DONE and scan.groups_found == 1
    assert not DuplicateScan.objects.filter(pk=dead.pk).exists()

"""An admin scans for duplicates, finds two cards of one person, merges them keeping the newer
e-mail, undoes the merge from the survivor's Merges tab, and finally answers an erasure request
with Forget; a scan under way shows its progress and the page reloads when it ends."""

import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from kartoteka.duplicates.models import DuplicateScan, MatchingRule, ScanState
from tests.e2e.conftest import go_by_nav, login, screenshot
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.e2e


@pytest.fixture
def default_rules(transactional_db):
    """An earlier browser test's flush empties every table, the migration's rules included."""
    if not MatchingRule.objects.exists():
        importlib.import_module(
            "kartoteka.duplicates.migrations.0002_default_matching_rules"
        ).add_rules(apps, None)
        importlib.import_module(
            "kartoteka.duplicates.migrations.0004_similar_name_at_the_same_company_rule"
        ).add_rule(apps, None)


@pytest.fixture
def twins(transactional_db, default_rules):
    admin = UserFactory(username="alba", role="admin", first_name="Alba")
    old = make_contact(
        admin,
        email="marta@old.example",
        first_name="Marta",
        last_name="Nowak",
        phone="+48601555666",
    )
    new = make_contact(
        admin,
        email="marta.nowak@new.example",
        first_name="Marta",
        last_name="Nowak",
        phone="+48601555666",
        job_title="Buyer",
    )
    return admin, old, new


def test_scan_then_merge_then_undo_then_forget(page, twins):
    admin, old, new = twins
    login(page, admin)
    go_by_nav(page, "Duplicates")
    expect(page.get_by_text("No scan for duplicates has run yet.")).to_be_visible()
    page.get_by_role("button", name="Scan now").click()
    expect(page.get_by_text(re.compile("Last scanned .*, 2 contacts compared"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Same phone number"))
    expect(row).to_contain_text("95%")
    screenshot(page, "duplicates-list")
    row.get_by_role("link", name="Compare and merge").click()

    page.locator(f"input[name='field:email'][value='{new.pk}']").check()
    screenshot(page, "duplicates-compare")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Merged 1 contact into this one")
    survivor = Contact.objects.get(pk=old.pk)
    assert survivor.email == "marta.nowak@new.example" and survivor.job_title == "Buyer"
    assert not Contact.objects.filter(pk=new.pk).exists()
    go_by_nav(page, "Duplicates")
    expect(page.get_by_text("No duplicates found. Nice and clean.")).to_be_visible()
    page.go_back()

    page.get_by_role("link", name="Merges").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo merge").click()
    expect(page.locator(".flash")).to_contain_text("The merge was undone")
    assert Contact.objects.get(pk=new.pk).email == "marta.nowak@new.example"

    page.goto(f"{page.base_url}/contacts/{new.pk}/forget/")
    page.get_by_label(re.compile("to confirm")).fill("marta.nowak@new.example")
    page.get_by_role("button", name="Forget this person").click()
    expect(page.get_by_role("heading", name=f"Contact #{new.pk} was forgotten")).to_be_visible()
    screenshot(page, "forget-proof")
    assert not Contact.objects.filter(pk=new.pk).exists()


def test_a_running_scan_shows_its_progress_and_the_page_reloads_when_it_ends(page, twins):
    admin, old, new = twins
    now = timezone.now()
    scan = DuplicateScan.objects.create(
        state=ScanState.READING,
        requested_at=now,
        updated_at=now,
        started_at=now,
        contacts_total=1_000_000,
        contacts_read=420_000,
    )
    login(page, admin)
    page.goto(f"{page.base_url}/duplicates/")
    expect(page.get_by_text("Scanning for duplicates…")).to_be_visible()
    expect(page.get_by_text(re.compile("420000 of 1000000 contacts read"))).to_be_visible()
    expect(page.get_by_role("button", name="Scan now")).to_have_count(0)
    screenshot(page, "duplicates-scanning")

    DuplicateScan.objects.filter(pk=scan.pk).update(
        state=ScanState.DONE, finished_at=timezone.now(), contacts_read=1_000_000
    )
    expect(page.get_by_role("button", name="Scan now")).to_be_visible(timeout=10_000)
    expect(page.get_by_text(re.compile("1000000 contacts compared"))).to_be_visible()

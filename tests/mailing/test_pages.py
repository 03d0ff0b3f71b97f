"""The list pages, the card's section and the contact list's selection, in the user's scope."""

import io

from django.test import Client
from openpyxl import load_workbook

from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import Mailing, OutgoingEmail, Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_page_shows_counts_and_a_chart_of_the_last_days(admin, newsletter):
    contact = make_contact()
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    page = _signed_in(admin).get(f"/lists/{newsletter.pk}/")
    assert page.status_code == 200
    assert b"<svg" in page.content and page.content.count(b"<rect") == 30
    assert contact.email.encode() in page.content


def test_sales_users_see_only_their_contacts_on_the_list_page(sales, other_sales, newsletter):
    mine, theirs = make_contact(owners=[sales]), make_contact(owners=[other_sales])
    grant(mine)
    grant(theirs)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[mine.pk, theirs.pk])
    page = _signed_in(sales).get(f"/lists/{newsletter.pk}/")
    assert mine.email.encode() in page.content
    assert theirs.email.encode() not in page.content
    exported = b"".join(_signed_in(sales).get(f"/lists/{newsletter.pk}/export.csv"))
    assert mine.email.encode() in exported and theirs.email.encode() not in exported


def test_subscribers_export_to_csv_and_xlsx(admin, newsletter):
    contact = make_contact(first_name="=cmd")
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    client = _signed_in(admin)
    csv_text = b"".join(client.get(f"/lists/{newsletter.pk}/export.csv").streaming_content)
    assert b"'=cmd" in csv_text  # no formula runs in a spreadsheet
    xlsx = client.get(f"/lists/{newsletter.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    assert rows[1][0] == contact.email and rows[1][3] == "Subscribed"


def test_subscribing_from_the_card(admin, newsletter):
    contact = make_contact()
    grant(contact)
    client = _signed_in(admin)
    answer = client.post(
        f"/contacts/{contact.pk}/lists/", {"list": newsletter.pk}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and b"1 subscribed" in answer.content
    assert Subscription.objects.get(contact=contact).source == "card"


def test_the_card_refuses_a_blocked_contact_with_the_reason(admin, newsletter):
    from kartoteka.consents import services as consent_services

    contact = make_contact()
    consent_services.block_contact(SYSTEM, contact, blocked=True, reason="abuse")
    answer = _signed_in(admin).post(
        f"/contacts/{contact.pk}/lists/", {"list": newsletter.pk}, HTTP_HX_REQUEST="true"
    )
    assert b"The contact is blocked." in answer.content
    assert not Subscription.objects.exists()


def test_a_contact_outside_the_scope_cannot_be_subscribed_from_the_card(
    sales, other_sales, newsletter
):
    theirs = make_contact(owners=[other_sales])
    answer = _signed_in(sales).post(f"/contacts/{theirs.pk}/lists/", {"list": newsletter.pk})
    assert answer.status_code == 404


def test_the_selection_of_the_contact_list_is_subscribed(admin, newsletter):
    first, second = make_contact(), make_contact()
    grant(first)
    grant(second)
    client = _signed_in(admin)
    choose = client.post("/lists/selection/", {"ids": [first.pk, second.pk], "next": "/contacts/"})
    assert b"Subscribe 2 contacts" in choose.content
    client.post(
        "/lists/selection/",
        {"ids": [first.pk, second.pk], "next": "/contacts/", "list": newsletter.pk},
    )
    assert Subscription.objects.filter(source="bulk", status="subscribed").count() == 2


def test_subscribing_a_segment_runs_in_the_background_with_progress(admin, newsletter, commit):
    from kartoteka.segments.services import create_segment

    grant(make_contact())
    segment = create_segment(admin, name="All", document={"all": []})
    client = _signed_in(admin)
    with commit(execute=True):
        answer = client.post(f"/lists/{newsletter.pk}/subscribe/", {"segment": segment.pk})
    progress = client.get(answer["Location"])
    assert b"1 of 1" in progress.content and b"1 subscribed" in progress.content


def test_preview_shows_the_markdown_rendered_and_sends_nothing(admin, newsletter):
    answer = _signed_in(admin).post(
        f"/lists/{newsletter.pk}/mail/",
        {"action": "preview", "subject": "Hi", "body": "**bold** <script>x</script>"},
    )
    assert b"<strong>bold</strong>" in answer.content
    assert b"<script>x" not in answer.content
    assert not OutgoingEmail.objects.exists()


def test_a_test_send_goes_to_the_user_alone(admin, newsletter, commit, mailoutbox):
    admin.email = "alba@example.com"
    admin.save()
    grant(make_contact())
    with commit(execute=True):
        _signed_in(admin).post(
            f"/lists/{newsletter.pk}/mail/", {"action": "test", "subject": "Hi", "body": "Hello"}
        )
    assert [m.to for m in mailoutbox] == [["alba@example.com"]]
    assert not Mailing.objects.exists()


def test_the_mailing_goes_only_to_subscribed_consenting_unblocked_unsuppressed(
    admin, newsletter, commit, mailoutbox
):
    from kartoteka.consents import services as consent_services

    ok, blocked, withdrawn, pending = (make_contact() for _ in range(4))
    for contact in (ok, blocked, withdrawn):
        grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[ok.pk, blocked.pk, withdrawn.pk])
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[pending.pk], double_opt_in=True)
    consent_services.block_contact(SYSTEM, blocked, blocked=True, reason="abuse")
    consent_services.record_consent(
        SYSTEM, withdrawn, channel="email", purpose="marketing", status="withdrawn", source="api"
    )
    mailoutbox.clear()
    with commit(execute=True):
        _signed_in(admin).post(
            f"/lists/{newsletter.pk}/mail/", {"action": "send", "subject": "News", "body": "Hi"}
        )
    assert [m.to for m in mailoutbox] == [[ok.email]]
    mailing = Mailing.objects.get()
    assert (mailing.status, mailing.sent, mailing.total) == ("done", 1, 1)


def test_sales_users_cannot_mail_a_list(sales, newsletter):
    answer = _signed_in(sales).post(
        f"/lists/{newsletter.pk}/mail/", {"action": "send", "subject": "x", "body": "y"}
    )
    assert answer.status_code == 404

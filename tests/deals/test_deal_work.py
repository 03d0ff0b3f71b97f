"""Comments with mentions, tasks and files on a deal: kept by the activity app on the deal's
contacts, shown on the deal page to those who see them; bad input writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from kartoteka.activity.models import Comment, ContactFile, Notification, Task
from kartoteka.contacts.services import set_owners
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import SYSTEM
from kartoteka.deals import queries, services
from kartoteka.deals.models import DealActivity
from tests.factories import make_contact, make_deal
from tests.uploads import LANGUAGES, LIMIT, PAST_THE_LIMIT, stored_files

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_comment_on_a_deal_notifies_mentions_and_sits_on_the_primary_contact(admin, sales):
    contact = make_contact()
    set_owners(SYSTEM, contact, owners=[sales])
    deal = make_deal(contacts=[contact])
    comment = services.add_deal_comment(admin, deal, body=f"Call them, @{sales.username}")
    assert comment.contact_id == contact.pk
    assert Notification.objects.filter(recipient=sales, comment=comment).exists()
    assert queries.deal_work(sales, deal).comments == [comment]


def test_comment_needs_a_contact_the_author_sees_and_writes_nothing(sales):
    deal = make_deal(owner=sales, contacts=[make_contact()])
    with pytest.raises(InvalidInput):
        services.add_deal_comment(sales, deal, body="Hello")
    assert not Comment.objects.exists() and not DealActivity.objects.exists()


def test_task_on_a_deal_links_its_contacts_and_refuses_a_blank_title(admin):
    contacts = [make_contact(), make_contact()]
    deal = make_deal(contacts=contacts)
    task = services.add_deal_task(admin, deal, data={"title": "Send the offer"})
    assert {c.pk for c in task.contacts.all()} == {c.pk for c in contacts}
    with pytest.raises(InvalidInput):
        services.add_deal_task(admin, deal, data={"title": "  "})
    assert Task.objects.count() == 1
    assert queries.deal_work(admin, deal).tasks == [task]


def test_deal_page_adds_a_comment_a_task_and_a_file(admin):
    client = _client(admin)
    deal = make_deal(contacts=[make_contact()])
    assert client.post(f"/deals/{deal.pk}/comments/", {"body": "First **call**"}).status_code == 302
    assert (
        client.post(f"/deals/{deal.pk}/tasks/", {"title": "Follow up", "assignees": ""}).status_code
        == 302
    )
    upload = SimpleUploadedFile("offer.txt", b"the offer", content_type="text/plain")
    assert client.post(f"/deals/{deal.pk}/files/", {"file": upload}).status_code == 302
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "<strong>call</strong>" in page and "Follow up" in page and "offer.txt" in page
    assert ContactFile.objects.count() == 1


def test_deal_page_refuses_bad_input_with_a_message_and_writes_nothing(admin):
    client = _client(admin)
    deal = make_deal(contacts=[make_contact()])
    answer = client.post(
        f"/deals/{deal.pk}/tasks/", {"title": "", "assignees": "nobody-here"}, follow=True
    )
    assert answer.status_code == 200
    assert "No active team member is called" in answer.content.decode()
    answer = client.post(f"/deals/{deal.pk}/files/", {}, follow=True)
    assert "Choose a file." in answer.content.decode()
    assert not DealActivity.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_file_past_the_limit_names_the_limit_once_and_keeps_nothing(admin, tmp_path, language):
    client = Client(headers={"Accept-Language": language})
    client.force_login(admin)
    deal = make_deal(contacts=[make_contact()])
    upload = SimpleUploadedFile("offer.txt", b"more than ten bytes", content_type="text/plain")
    with override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT, MEDIA_ROOT=tmp_path):
        answer = client.post(f"/deals/{deal.pk}/files/", {"file": upload}, follow=True)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert page.count(PAST_THE_LIMIT[language]) == 1
    assert "Choose a file." not in page
    assert not ContactFile.objects.exists() and not DealActivity.objects.exists()
    assert stored_files(tmp_path) == []


def test_a_file_needs_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    deal = make_deal(contacts=[make_contact()])
    upload = SimpleUploadedFile("offer.txt", b"the offer", content_type="text/plain")
    assert client.post(f"/deals/{deal.pk}/files/", {"file": upload}).status_code == 403
    assert not ContactFile.objects.exists()


def test_sales_user_sees_no_comment_kept_on_a_contact_they_do_not_own(admin, sales):
    theirs, other = make_contact(), make_contact()
    set_owners(SYSTEM, theirs, owners=[sales])
    deal = make_deal(owner=sales, contacts=[other, theirs])
    hidden = services.add_deal_comment(admin, deal, body="About the other one")
    shown = services.add_deal_comment(sales, deal, body="About mine")
    assert hidden.contact_id == other.pk and shown.contact_id == theirs.pk
    assert queries.deal_work(sales, deal).comments == [shown]
    page = _client(sales).get(f"/deals/{deal.pk}/").content.decode()
    assert "About mine" in page and "About the other one" not in page


def test_forgetting_the_contact_takes_the_comment_off_the_deal(admin):
    from kartoteka.privacy.services import forget_contact

    contact = make_contact()
    deal = make_deal(contacts=[contact])
    services.add_deal_comment(admin, deal, body="Personal remark")
    forget_contact(admin, contact)
    assert queries.deal_work(admin, deal).comments == []

"""Comments with @mentions: who is notified, the unread counter, the comments-only timeline."""

from kartoteka.activity import queries, services
from kartoteka.activity.markdown import mentioned_names
from kartoteka.contacts import services as contact_services
from kartoteka.core.scope import SYSTEM
from tests.factories import UserFactory


def test_mention_of_a_colleague_who_sees_the_contact_notifies_them(sales, admin, contact):
    services.add_comment(sales, contact, body="@alba can you approve the discount?")
    notification = queries.notifications_for(admin).get()
    assert notification.kind == "mention"
    assert notification.contact == contact
    assert "approve the discount" in notification.text
    assert queries.unread_count(admin) == 1


def test_mention_is_matched_case_insensitively_and_highlighted(sales, admin, contact):
    comment = services.add_comment(sales, contact, body="Thanks @ALBA.")
    assert list(comment.mentions.all()) == [admin]
    assert '<span class="mention">@ALBA</span>' in comment.body_html


def test_colleague_who_cannot_see_the_contact_is_not_notified(sales, other_sales, contact):
    comment = services.add_comment(sales, contact, body="@olga look at this")
    assert not queries.notifications_for(other_sales).exists()
    assert comment.unreachable_mentions == ["olga"]


def test_an_email_address_is_not_a_mention(sales, admin, contact):
    services.add_comment(sales, contact, body="write to info@alba or me")
    assert not queries.notifications_for(admin).exists()


def test_mentioning_yourself_sends_no_notification(sales, contact):
    services.add_comment(sales, contact, body="note to self @sergio")
    assert queries.unread_count(sales) == 0


def test_unknown_names_are_left_as_text(sales, contact):
    comment = services.add_comment(sales, contact, body="@nobody here")
    assert comment.mentions.count() == 0
    assert "mention" not in comment.body_html


def test_mentions_in_code_are_not_highlighted(sales, admin, contact):
    comment = services.add_comment(sales, contact, body="`@alba` and @alba")
    assert comment.body_html.count('class="mention"') == 1


def test_marking_a_notification_read_lowers_the_counter(sales, admin, contact):
    services.add_comment(sales, contact, body="@alba one")
    services.add_comment(sales, contact, body="@alba two")
    first = queries.notifications_for(admin).last()
    services.mark_notification_read(admin, first.pk)
    assert queries.unread_count(admin) == 1
    assert services.mark_all_notifications_read(admin) == 1
    assert queries.unread_count(admin) == 0


def test_notifications_about_a_contact_no_longer_visible_are_hidden(sales, contact):
    colleague = UserFactory(username="carla", role="sales")
    contact_services.set_owners(SYSTEM, contact, owners=["sergio", "carla"])
    services.add_comment(sales, contact, body="@carla please call")
    assert queries.unread_count(colleague) == 1
    contact_services.set_owners(SYSTEM, contact, owners=["sergio"])
    assert queries.unread_count(colleague) == 0


def test_comments_only_timeline_is_a_kind_filter(sales, contact):
    services.add_note(sales, contact, body="a note")
    services.add_comment(sales, contact, body="a comment")
    entries = queries.timeline(sales, contact.pk, kinds=["comment_added"])
    assert [e.payload["body"] for e in entries] == ["a comment"]


def test_mentioned_names_are_read_in_order_without_repeats():
    assert mentioned_names("@ana, @Bob and @ana. mail x@y.com") == ["ana", "Bob"]

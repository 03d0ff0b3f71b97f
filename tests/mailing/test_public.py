"""The public pages: the same answer whatever the address, rate limits, translations, and the
cross-site form that needs no CSRF cookie."""

from django.test import Client, override_settings

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services, tokens
from kartoteka.mailing.models import Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant


def _post(client, address, **extra):
    return client.post(
        "/subscribe/newsletter", {"email": address, "first_name": "X", "consent": "on"}, **extra
    )


def _body(response) -> bytes:
    # The page differs only by its CSRF-free form; the message is what a visitor reads.
    return response.content.split(b'role="status"', 1)[1].split(b"</p>", 1)[0]


def test_known_unknown_subscribed_and_blocked_addresses_get_the_same_answer(newsletter, commit):
    known = make_contact(email="known@example.com")
    subscribed = make_contact(email="on@example.com")
    grant(subscribed)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[subscribed.pk])
    blocked = make_contact(email="blocked@example.com")
    consent_services.block_contact(SYSTEM, blocked, blocked=True, reason="abuse")
    answers = []
    for address in ("nobody@example.com", known.email, subscribed.email, blocked.email):
        with commit(execute=True):
            response = _post(Client(), address)
        answers.append((response.status_code, _body(response)))
    assert len(set(answers)) == 1
    assert answers[0][0] == 200


def test_a_blocked_contact_is_not_put_on_the_list_from_the_form(newsletter, commit):
    blocked = make_contact(email="blocked@example.com")
    consent_services.block_contact(SYSTEM, blocked, blocked=True, reason="abuse")
    _post(Client(), blocked.email)
    assert not Subscription.objects.filter(contact=blocked).exists()


def test_the_json_answer_is_the_same_for_known_and_unknown_addresses(newsletter):
    make_contact(email="known@example.com")
    answers = {
        _post(Client(), address, HTTP_ACCEPT="application/json").content
        for address in ("known@example.com", "unknown@example.com")
    }
    assert len(answers) == 1


@override_settings(KARTOTEKA_SUBSCRIBE_PER_ADDRESS=2)
def test_one_address_is_refused_after_its_share_of_attempts(newsletter):
    for n in range(2):
        assert _post(Client(REMOTE_ADDR=f"10.0.0.{n}"), "ana@example.com").status_code == 200
    assert _post(Client(REMOTE_ADDR="10.0.0.9"), "ana@example.com").status_code == 429


@override_settings(KARTOTEKA_SUBSCRIBE_PER_IP=3)
def test_one_ip_is_refused_after_its_share_of_attempts(newsletter):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for n in range(3):
        assert _post(client, f"person{n}@example.com").status_code == 200
    assert _post(client, "another@example.com").status_code == 429
    assert _post(Client(REMOTE_ADDR="10.1.1.2"), "another@example.com").status_code == 200


def test_the_form_posts_from_another_site_without_a_csrf_cookie(newsletter):
    client = Client(enforce_csrf_checks=True)
    response = _post(client, "ana@example.com", HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 200
    assert Subscription.objects.filter(status="pending").count() == 1


def test_a_form_without_the_consent_box_is_refused_next_to_the_field(newsletter):
    response = Client().post("/subscribe/newsletter", {"email": "ana@example.com"})
    assert response.status_code == 422
    assert b"Tick the box" in response.content
    assert not Subscription.objects.exists()


def test_the_form_answers_in_the_lists_language(db):
    services.create_list(
        SYSTEM, data={"key": "boletin", "name": "Boletín", "language": "es", "double_opt_in": True}
    )
    response = Client().post("/subscribe/boletin", {"email": "ana@example.com", "consent": "on"})
    assert b"Gracias" in response.content


def test_a_changed_unsubscribe_link_is_refused(newsletter):
    contact = make_contact()
    token = tokens.unsubscribe_token(contact.pk, newsletter.pk)
    response = Client().post(f"/unsubscribe/{token[:-2]}xx")
    assert response.status_code == 404


def test_the_preferences_page_takes_the_person_off_a_list(newsletter):
    contact = make_contact()
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    token = tokens.preferences_token(contact.pk)
    client = Client()
    page = client.get(f"/preferences/{token}")
    assert page.status_code == 200 and b"Newsletter" in page.content
    client.post(f"/preferences/{token}", {"channel_email": "on"})
    assert Subscription.objects.get(contact=contact).status == "unsubscribed"

"""The public door /f/{key}: the hosted page, answers by Accept, and spam kept out."""

import pytest

from kartoteka.contacts.models import Contact
from kartoteka.core.errors import Conflict, NotFound
from kartoteka.web.forms import ServiceForm
from kartoteka.webforms import services
from kartoteka.webforms.models import Submission
from tests.factories import make_contact

from .conftest import post


def test_hosted_page_shows_the_fields_and_a_fill_token(webform, client):
    page = client.get(f"/f/{webform.key}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ('name="email"', 'name="company"', "Team size", 'name="_ts" value="', "I agree"):
        assert text in html


def test_hosted_page_is_translated(webform, client):
    page = client.get(f"/f/{webform.key}", HTTP_ACCEPT_LANGUAGE="es")
    assert "Enviar" in page.content.decode()


def test_unknown_form_is_404(db, client):
    assert client.get("/f/nope").status_code == 404


def test_html_submission_thanks_and_writes(webform):
    answer = post(webform)
    assert answer.status_code == 200
    assert "Thank you" in answer.content.decode()
    assert Submission.objects.count() == 1


def test_json_submission_answers_json(webform):
    answer = post(webform, json=True)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_redirect_after_sending(webform):
    webform.redirect_url = "https://shop.example.com/thanks"
    webform.save()
    answer = post(webform)
    assert answer.status_code == 302 and answer["Location"] == "https://shop.example.com/thanks"


def test_answer_is_the_same_for_known_and_unknown_addresses(webform):
    first = post(webform, {"email": "new@example.com"}, json=True).json()
    make_contact(email="known@example.com")
    second = post(webform, {"email": "known@example.com"}, json=True).json()
    assert first == second


def test_honeypot_is_thanked_and_nothing_written(webform):
    answer = post(webform, {"website": "http://spam.example"}, json=True)
    assert answer.status_code == 200
    assert not Contact.objects.exists() and not Submission.objects.exists()


def test_too_fast_is_refused(webform, settings):
    settings.KARTOTEKA_FORM_MIN_SECONDS = 3
    answer = post(webform, json=True)
    assert answer.status_code == 422
    assert not Contact.objects.exists()


def test_missing_token_is_refused(webform):
    assert post(webform, {"_ts": None}, json=True).status_code == 422
    assert not Submission.objects.exists()


def test_rate_limited_per_ip(webform, settings):
    settings.KARTOTEKA_FORM_RATE_IP = "2/h"
    for n in range(2):
        assert post(webform, {"email": f"p{n}@example.com"}).status_code == 200
    answer = post(webform, {"email": "p9@example.com"}, json=True)
    assert answer.status_code == 429
    assert Submission.objects.count() == 2


def test_rate_limited_per_address(webform, settings):
    settings.KARTOTEKA_FORM_RATE_ADDRESS = "1/h"
    assert post(webform, ip="198.51.100.1").status_code == 200
    assert post(webform, ip="198.51.100.2", json=True).status_code == 429


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "no-at-sign"),
        ("email", ""),
        ("email", "a" * 300 + "@example.com"),
        ("company", ""),
        ("company", "x" * 300),
        ("first_name", "x" * 300),
        ("budget", "b" * 300),
        ("message", "m" * 6000),
        ("size", "not a choice"),
    ],
)
def test_bad_input_in_each_field_is_named_and_nothing_written(webform, field, value):
    answer = post(webform, {field: value}, json=True)
    assert answer.status_code == 422
    assert field in answer.json()["errors"]
    assert not Contact.objects.exists()


def test_bad_input_rerenders_the_page_with_the_values(webform):
    answer = post(webform, {"company": ""})
    assert answer.status_code == 422
    assert 'value="Ana"' in answer.content.decode()


def test_public_post_needs_no_csrf_token(webform):
    from django.test import Client

    from kartoteka.webforms import services

    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        f"/f/{webform.key}",
        {"email": "x@example.com", "company": "X", "_ts": services.fill_token()},
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("error", [Conflict("This address is blocked."), NotFound("Gone.")])
def test_a_refusal_other_than_bad_input_is_thanked_and_not_told(webform, monkeypatch, error):
    def refuse(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(services, "submit_form", refuse)
    answer = post(webform, json=True)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert str(error.message) not in answer.content.decode()


def test_bad_input_is_mapped_by_the_shared_form_mapping(webform, monkeypatch):
    refused = []
    original = ServiceForm.refuse

    def spy(form, errors, **options):
        refused.append((type(form).__name__, options.get("status")))
        original(form, errors, **options)

    monkeypatch.setattr(ServiceForm, "refuse", spy)
    answer = post(webform, {"company": ""}, json=True)
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["company"]
    assert refused == [("PublicAnswers", 422)]

"""A form with mapped, custom-detail and unmapped fields, and a way to send it as a browser."""

import pytest
from django.test import Client

from kartoteka.contacts import services as contact_services
from kartoteka.core.scope import SYSTEM
from kartoteka.webforms import services

PAGE = "https://shop.example.com/offer?utm_source=google&utm_campaign=spring&gclid=G1&keyword=crm"


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings):
    settings.KARTOTEKA_FORM_MIN_SECONDS = 0


@pytest.fixture
def webform(db):
    contact_services.define_property(SYSTEM, key="budget", label="Budget", type="text")
    return services.create_form(
        SYSTEM,
        data={
            "name": "Demo request",
            "fields": [
                {"key": "first_name", "label": "First name", "maps_to": "first_name"},
                {"key": "company", "label": "Company", "required": True, "maps_to": "company"},
                {"key": "budget", "label": "Budget", "maps_to": "properties.budget"},
                {"key": "message", "label": "Message", "type": "textarea"},
                {"key": "size", "label": "Team size", "type": "choice", "choices": ["1-10", "11+"]},
            ],
            "consent_text": "I agree to receive e-mails.",
            "tags": ["lead", "demo"],
        },
    )


def post(form, data=None, *, json=False, ip="203.0.113.5", **headers):
    values = {
        "email": "ana@example.com",
        "first_name": "Ana",
        "company": "Acme",
        "budget": "5000",
        "message": "Call me",
        "size": "11+",
        "consent": "on",
        "_ts": services.fill_token(),
        "page_url": PAGE,
    }
    values.update(data or {})
    values = {k: v for k, v in values.items() if v is not None}
    if json:
        headers["HTTP_ACCEPT"] = "application/json"
    return Client().post(
        f"/f/{form.key}", values, REMOTE_ADDR=ip, HTTP_USER_AGENT="TestBrowser/1.0", **headers
    )

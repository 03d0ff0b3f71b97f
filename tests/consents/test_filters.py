"""The consent and blocking fields of the filter language, JSON and text form."""

import pytest

from kartoteka.consents import services
from kartoteka.core.scope import SYSTEM
from kartoteka.segments.queries import count_contacts, filter_contacts
from kartoteka.segments.text import parse
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    granted, withdrawn, none, blocked = (make_contact() for _ in range(4))
    for contact, status in ((granted, "granted"), (withdrawn, "withdrawn"), (blocked, "granted")):
        services.record_consent(
            SYSTEM, contact, channel="email", purpose="marketing", status=status, source="form"
        )
    services.record_consent(
        SYSTEM, none, channel="sms", purpose="processing", status="granted", source="form"
    )
    services.block_contact(SYSTEM, blocked, blocked=True, reason="Spam complaints")
    return {"granted": granted, "withdrawn": withdrawn, "none": none, "blocked": blocked}


def _ids(document):
    return set(filter_contacts(SYSTEM, document).values_list("pk", flat=True))


def test_text_form_consent_and_not_blocked(people):
    assert _ids(parse("consent:email blocked:no")) == {people["granted"].pk}


def test_consent_status_per_channel(people):
    document = {"field": "consent.email", "op": "eq", "value": "withdrawn"}
    assert _ids(document) == {people["withdrawn"].pk}


def test_no_consent_is_none(people):
    document = {"field": "consent.email", "op": "eq", "value": "none"}
    assert _ids(document) == {people["none"].pk}


def test_not_granted_is_the_exact_complement(people):
    document = {"not": {"field": "consent.email", "op": "eq", "value": "granted"}}
    assert _ids(document) == {people["withdrawn"].pk, people["none"].pk}


def test_other_purpose_in_text_form(people):
    assert _ids(parse("consent.sms.processing:granted")) == {people["none"].pk}


def test_blocked_yes(people):
    assert _ids(parse("blocked:yes")) == {people["blocked"].pk}


def test_counts_agree_with_the_list(people):
    document = parse("consent:email")
    assert count_contacts(SYSTEM, document) == 2


def test_unknown_status_is_refused(people):
    from kartoteka.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        filter_contacts(SYSTEM, {"field": "consent.email", "op": "eq", "value": "maybe"})

"""The ledger and the consent in force: latest given_at wins, the ledger keeps every entry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.consents import queries, services
from kartoteka.consents.models import ConsentEntry
from kartoteka.core.errors import Conflict, InvalidInput, NotFound
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _record(contact, status, *, ago=0, source="api", actor=SYSTEM, **kwargs):
    return services.record_consent(
        actor,
        contact,
        channel=kwargs.pop("channel", "email"),
        purpose=kwargs.pop("purpose", "marketing"),
        status=status,
        source=source,
        given_at=timezone.now() - timedelta(hours=ago),
        **kwargs,
    )


def test_a_grant_is_the_consent_in_force():
    contact = make_contact()
    _record(contact, "granted")
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "granted"
    assert queries.consent_status(contact, channel="sms", purpose="marketing") == "none"


def test_an_older_grant_arriving_later_does_not_overwrite_a_withdrawal():
    contact = make_contact()
    _record(contact, "withdrawn", ago=1)
    _record(contact, "granted", ago=5, source="form")
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "withdrawn"
    assert ConsentEntry.objects.filter(contact=contact).count() == 2


def test_the_older_entry_is_on_the_timeline_as_older():
    contact = make_contact()
    _record(contact, "withdrawn", ago=1)
    _record(contact, "granted", ago=5, source="form")
    granted = Activity.objects.get(contact=contact, kind="consent_granted")
    assert granted.payload["older"] is True


def test_a_later_grant_replaces_a_withdrawal():
    contact = make_contact()
    _record(contact, "withdrawn", ago=5)
    _record(contact, "granted", ago=1, source="form")
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "granted"


def test_statuses_of_many_contacts_name_those_without_consent():
    granted, withdrawn, none = make_contact(), make_contact(), make_contact()
    _record(granted, "granted")
    _record(withdrawn, "withdrawn")
    found = queries.consent_statuses(
        [granted.pk, withdrawn.pk, none.pk], channel="email", purpose="marketing"
    )
    assert found == {granted.pk: "granted", withdrawn.pk: "withdrawn", none.pk: "none"}


def test_bulk_form_keeps_the_latest_of_one_contact():
    contact = make_contact()
    now = timezone.now()
    result = services.record_consents(
        SYSTEM,
        [
            services.ConsentItem(contact.pk, "email", "marketing", "granted", "import", None, now),
            services.ConsentItem(
                contact.pk, "email", "marketing", "withdrawn", "import", None, now - timedelta(1)
            ),
        ],
    )
    assert result.written == 2
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "granted"
    assert Activity.objects.filter(contact=contact, kind__startswith="consent_").count() == 2


def test_staff_granting_must_say_where():
    contact = make_contact()
    with pytest.raises(InvalidInput) as caught:
        _record(contact, "granted", source="staff")
    assert "proof.where" in caught.value.errors
    _record(contact, "granted", source="staff", proof={"where": "Trade fair, Madrid"})
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "granted"


def test_unknown_purpose_is_refused():
    contact = make_contact()
    with pytest.raises(InvalidInput):
        _record(contact, "granted", purpose="astrology")
    assert not ConsentEntry.objects.exists()


def test_a_consent_in_the_future_is_refused():
    contact = make_contact()
    with pytest.raises(InvalidInput):
        _record(contact, "granted", ago=-2)


def test_unknown_proof_fields_are_refused():
    contact = make_contact()
    with pytest.raises(InvalidInput):
        _record(contact, "granted", proof={"signature": "x"})


def test_a_text_version_must_exist():
    contact = make_contact()
    with pytest.raises(InvalidInput):
        _record(contact, "granted", proof={"text_version": 3})


def test_sales_user_cannot_write_consents_of_others_contacts(sales, other_sales):
    contact = make_contact(owners=[other_sales])
    with pytest.raises(NotFound):
        _record(contact, "granted", actor=sales)


def test_withdrawal_suppresses_the_address_and_import_cannot_grant_again():
    contact = make_contact(email="Ana@Example.com")
    _record(contact, "withdrawn", ago=2)
    assert queries.is_suppressed("ana@example.com")
    with pytest.raises(Conflict):
        _record(contact, "granted", ago=1, source="import")
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "withdrawn"


def test_new_consent_from_a_form_lifts_the_suppression():
    contact = make_contact(email="ana@example.com")
    _record(contact, "withdrawn", ago=2)
    _record(contact, "granted", ago=1, source="form")
    assert not queries.is_suppressed("ana@example.com")


def test_bulk_form_names_the_refused_contacts():
    kept, suppressed = make_contact(), make_contact()
    _record(suppressed, "withdrawn", ago=2)
    result = services.record_consents(
        SYSTEM,
        [
            services.ConsentItem(c.pk, "email", "marketing", "granted", "import")
            for c in (kept, suppressed)
        ],
    )
    assert set(result.refused) == {suppressed.pk}
    assert result.changed == {kept.pk}


def test_bulk_form_past_one_statement_keeps_later_consents_in_force(monkeypatch):
    """More rows than one upsert statement takes (PostgreSQL copies them to a scratch table)."""
    monkeypatch.setattr(services, "UPSERT_ROWS", 1)
    older, newer = make_contact(), make_contact()
    _record(newer, "withdrawn", ago=1)
    now = timezone.now()
    result = services.record_consents(
        SYSTEM,
        [
            services.ConsentItem(c.pk, "email", "marketing", "granted", "form", None, when)
            for c, when in ((older, now), (newer, now - timedelta(hours=3)))
        ],
    )
    assert result.changed == {older.pk}
    statuses = queries.consent_statuses([older.pk, newer.pk], channel="email", purpose="marketing")
    assert statuses == {older.pk: "granted", newer.pk: "withdrawn"}

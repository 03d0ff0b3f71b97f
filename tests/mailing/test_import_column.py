"""An import column naming mailing lists subscribes each row's contact, with the same checks
as everywhere; what it cannot do is a warning of the import."""

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing.models import Subscription
from kartoteka.transfer.models import ImportProblem
from tests.factories import make_contact
from tests.transfer.helpers import run, write

CSV = "email,first_name,lists\nana@example.com,Ana,newsletter\nbea@example.com,Bea,\n"


def _mapping() -> dict[str, str]:
    return {"0": "email", "1": "first_name", "2": "lists"}


def test_an_import_column_subscribes_each_rows_contact(admin, newsletter, tmp_path):
    run(admin, write(tmp_path, "people.csv", CSV), column_map=_mapping())
    (subscription,) = Subscription.objects.all()
    assert subscription.contact.email == "ana@example.com"
    assert (subscription.status, subscription.source) == ("pending", "import")


def test_an_existing_contact_with_consent_is_subscribed_by_the_import(admin, newsletter, tmp_path):
    ana = make_contact(email="ana@example.com")
    consent_services.record_consent(
        SYSTEM, ana, channel="email", purpose="marketing", status="granted", source="api"
    )
    run(admin, write(tmp_path, "people.csv", CSV), column_map=_mapping())
    assert Subscription.objects.get(contact=ana).status == "subscribed"


def test_a_blocked_contact_and_an_unknown_list_are_import_warnings(admin, newsletter, tmp_path):
    ana = make_contact(email="ana@example.com")
    consent_services.block_contact(SYSTEM, ana, blocked=True, reason="abuse")
    text = "email,first_name,lists\nana@example.com,Ana,newsletter\nbea@example.com,Bea,nope\n"
    run(admin, write(tmp_path, "people.csv", text), column_map=_mapping())
    assert not Subscription.objects.exists()
    messages = sorted(ImportProblem.objects.values_list("message", flat=True))
    assert messages == ["Newsletter: The contact is blocked.", "No list with the key or id nope."]

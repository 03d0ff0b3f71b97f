"""Recording consents in bulk reads and writes per batch, not per row: the number of queries
stays the same however many entries the batch holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.consents import queries, services
from kartoteka.consents.models import ConsentEntry
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _queries_to_grant(count: int) -> int:
    people = [make_contact() for _ in range(count)]
    items = [
        services.ConsentItem(
            person.pk, "email", "marketing", "granted", "import", {"text_version": 1, "ip": "::1"}
        )
        for person in people
    ]
    with CaptureQueriesContext(connection) as captured:
        result = services.record_consents(SYSTEM, items)
    assert result.written == count
    return len(captured.captured_queries)


def test_a_bulk_grant_takes_as_many_queries_for_thirty_rows_as_for_three(admin):
    services.publish_legal_text(admin, queries.get_purpose("marketing"), body="News by e-mail")
    _queries_to_grant(2)  # anything read once per process is read here
    assert _queries_to_grant(3) == _queries_to_grant(30)
    assert ConsentEntry.objects.filter(proof__text_version=1).count() == 35


def test_a_text_version_of_no_text_is_still_refused_in_bulk(admin):
    person = make_contact()
    with pytest.raises(services.InvalidInput) as refused:
        services.record_consents(
            SYSTEM,
            [services.ConsentItem(person.pk, "email", "marketing", "granted", "import",
                                  {"text_version": 4})],
        )  # fmt: skip
    assert "entries[0].proof.text_version" in refused.value.errors
    assert not ConsentEntry.objects.exists()

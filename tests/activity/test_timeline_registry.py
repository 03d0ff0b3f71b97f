"""The timeline registry: apps add kinds without touching activity or web; every kind is
translated; entries show their own description; unknown kinds still render."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from kartoteka.activity import services, timeline
from kartoteka.activity.models import Activity
from kartoteka.activity.timeline import Description, TimelineKind
from kartoteka.contacts import services as contacts
from kartoteka.privacy import services as privacy
from tests.factories import make_contact


def _section(client, contact, language: str = "en") -> str:
    url = reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": "timeline"})
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


# What a later app (calls, say) writes in its own kinds.py and registers from its ready().
def _describe_call(payload: dict, _context) -> Description:
    return Description(text=f"{payload['minutes']} min with {payload['with']}")


CALL_LOGGED = TimelineKind("call_logged", "Call logged", icon="☎", describe=_describe_call)


def call_logged(contact, *, actor, minutes: int, with_whom: str):
    return CALL_LOGGED.entry(contact, actor=actor, payload={"minutes": minutes, "with": with_whom})


def test_a_kind_registered_by_another_app_is_recorded_and_rendered(
    registry, sales, sales_client, contact
):
    registry.register(CALL_LOGGED)
    services.record_entry(call_logged(contact, actor=sales, minutes=12, with_whom="Marta"))
    page = _section(sales_client, contact)
    assert "Call logged" in page
    assert "12 min with Marta" in page
    assert "☎" in page
    assert '<option value="call_logged">Call logged</option>' in page


def test_the_bulk_form_of_a_typed_constructor_writes_what_the_row_form_writes(registry, sales):
    registry.register(CALL_LOGGED)
    one, two = make_contact(sales), make_contact(sales)
    at = timezone.now()
    services.record_entry(
        call_logged(one, actor=sales, minutes=3, with_whom="A")._replace(occurred_at=at)
    )
    with transaction.atomic():
        services.record_many(
            [call_logged(two, actor=sales, minutes=3, with_whom="A")._replace(occurred_at=at)]
        )
    fields = ["kind", "occurred_at", "actor_id", "actor_label", "payload", "detail_type"]
    assert list(Activity.objects.filter(contact=one, kind="call_logged").values(*fields)) == list(
        Activity.objects.filter(contact=two, kind="call_logged").values(*fields)
    )


def test_a_key_cannot_be_registered_by_two_apps(registry):
    registry.register(CALL_LOGGED)
    with pytest.raises(ValueError):
        registry.register(TimelineKind("call_logged", "Another call"))


def test_an_entry_of_a_kind_nobody_registers_still_renders(sales_client, contact):
    services.record(contact, "legacy_thing", payload={"summary": "from the old system"})
    page = _section(sales_client, contact)
    assert "Legacy thing" in page
    assert "from the old system" in page


def test_an_entry_whose_payload_its_describer_cannot_read_shows_its_summary(
    registry, sales_client, contact
):
    registry.register(CALL_LOGGED)
    services.record(contact, CALL_LOGGED, payload={"summary": "older shape"})
    assert "older shape" in _section(sales_client, contact)


@pytest.mark.parametrize("language", ["es", "pl"])
def test_every_registered_kind_has_a_translated_label(language):
    untranslated = []
    for kind in timeline.registered():
        english = str(kind.label)
        with translation.override(language):
            if str(kind.label) == english:
                untranslated.append(kind.key)
    assert untranslated == []


@pytest.mark.parametrize(
    ("language", "expected"), [("es", "Seguimiento detenido"), ("pl", "Monitorowanie wstrzymane")]
)
def test_timeline_kinds_show_in_the_readers_language(
    sales, sales_client, contact, language, expected
):
    privacy.set_monitoring(sales, contact, enabled=False)
    page = _section(sales_client, contact, language)
    assert expected in page


def test_a_note_shows_on_the_timeline_as_rendered_markdown(sales, sales_client, contact):
    services.add_note(
        sales, contact, body="**Urgent**: call back\n\n- price\n- [terms](https://example.com)"
    )
    page = _section(sales_client, contact)
    assert "<strong>Urgent</strong>" in page
    assert "<li>price</li>" in page
    assert 'href="https://example.com"' in page
    assert "**Urgent**" not in page


def test_markup_stored_in_an_entry_is_cleaned_before_it_is_shown(sales_client, contact):
    services.record(
        contact,
        "note_added",
        payload={"summary": "x", "html": '<p onclick="steal()">Hi</p><script>alert(1)</script>'},
    )
    page = _section(sales_client, contact)
    assert "<p>Hi</p>" in page
    assert "<script>alert(1)" not in page
    assert "steal()" not in page


def test_a_note_recorded_before_the_timeline_kept_markup_is_rendered_from_its_summary(
    sales_client, contact
):
    services.record(contact, "note_added", payload={"summary": "**old** note"})
    assert "<strong>old</strong> note" in _section(sales_client, contact)


def test_a_status_change_names_the_statuses_in_the_readers_language(sales, sales_client, contact):
    contacts.update_contact(sales, contact, data={"status": "won"})
    assert "Cliente" in _section(sales_client, contact, "es")


def test_api_and_page_page_through_entries_of_the_same_moment_without_gaps(
    sales_api, sales_client, contact
):
    at = timezone.now() + dt.timedelta(minutes=1)
    for n in range(60):
        services.record(contact, "note_added", payload={"summary": f"entry-{n}-"}, occurred_at=at)
    seen, cursor = [], ""
    while True:
        page = sales_api.get(
            f"/api/v1/contacts/{contact.pk}/timeline", limit=7, cursor=cursor
        ).json()
        seen += [item["payload"].get("summary", "") for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert sorted(s for s in seen if s.startswith("entry-")) == sorted(
        f"entry-{n}-" for n in range(60)
    )
    assert len(seen) == len(set(seen))  # no entry twice
    first = _section(sales_client, contact)
    assert first.count("entry-") == 25


def test_payload_values_json_cannot_hold_are_kept_as_text(registry, contact):
    import decimal

    registry.register(CALL_LOGGED)
    entry = services.record_entry(
        CALL_LOGGED.entry(
            contact, payload={"minutes": decimal.Decimal("1.5"), "with": dt.date(2026, 5, 4)}
        )
    )
    entry.refresh_from_db()
    assert entry.payload == {"minutes": "1.5", "with": "2026-05-04"}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"kind": "note\x00added"}, 400),  # refused with its reason before the view runs
        ({"kind": "x" * 500}, 200),
        ({"before": "2026-01-01T00:00:00", "before_id": "²"}, 200),
    ],
)
def test_odd_timeline_parameters_answer_a_page_not_an_error(sales_client, contact, params, status):
    url = reverse("web:timeline-more", kwargs={"contact_id": contact.pk})
    assert sales_client.get(url, params).status_code == status


def test_a_kind_filter_with_a_nul_byte_in_the_api_is_not_a_server_error(sales_api, contact):
    response = sales_api.get(f"/api/v1/contacts/{contact.pk}/timeline", kind="a\x00b")
    assert response.status_code < 500

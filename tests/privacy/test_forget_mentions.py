"""Forget takes the person out of what the team wrote about others: notes, comments, tasks and
notifications on other contacts, import reports and export queries, whatever the form of the
phone number or the accents and case of the name."""

import pytest

from kartoteka.activity import services as activity
from kartoteka.activity.models import Activity, Comment, Note, Notification, Task
from kartoteka.privacy.services import forget_contact
from kartoteka.transfer import services as transfer
from kartoteka.transfer.models import Export, Import, ImportProblem
from tests.factories import make_contact

REFERRAL = "Referred by Ana García (ana@x.es, +34 612 345 678), met at the fair."


@pytest.fixture
def ana(admin):
    return make_contact(
        admin,
        email="ana@x.es",
        emails=["ana@x.es", "ana.work@y.es"],
        first_name="Ana",
        last_name="García",
        phone="+34612345678",
    )


@pytest.fixture
def colleague(admin):
    return make_contact(admin, email="colleague@example.org", first_name="Ola", last_name="Kos")


def test_a_note_on_another_contact_keeps_its_text_without_the_person(
    admin, admin_api, ana, colleague
):
    note = activity.add_note(admin, colleague, body=REFERRAL)

    forget_contact(admin, ana)

    note = Note.objects.get(pk=note.pk)
    assert note.body == "Referred by […] ([…], […]), met at the fair."
    for gone in ("ana@x.es", "612", "garcía"):
        assert gone not in note.body_html.casefold()
    shown = admin_api.get(f"/api/v1/contacts/{colleague.pk}/notes").content.decode()
    timeline = str(list(Activity.objects.filter(contact=colleague).values_list("payload")))
    for text in (shown, timeline):
        assert "ana@x.es" not in text and "612 345 678" not in text and "García" not in text


@pytest.mark.parametrize(
    "phone",
    [
        "+34 612 345 678",
        "+34612345678",
        "0034 612 345 678",
        "34 612345678",
        "612345678",
        "612 34 56 78",
        "612-345-678",
        "612.345.678",
        "(+34) 612 345 678",
    ],
)
def test_every_way_people_type_the_phone_is_swept(admin, ana, colleague, phone):
    note = activity.add_note(admin, colleague, body=f"Call back on {phone} tomorrow")
    forget_contact(admin, ana)
    body = Note.objects.get(pk=note.pk).body
    assert body.startswith("Call back on ") and body.endswith("[…] tomorrow")
    assert not any(char.isdigit() for char in body)


@pytest.mark.parametrize(
    "text", ["612 345 679", "1612345678", "order 612345678901", "+48 612 345 678"]
)
def test_other_numbers_are_left(admin, ana, colleague, text):
    note = activity.add_note(admin, colleague, body=f"Number {text}")
    forget_contact(admin, ana)
    assert Note.objects.get(pk=note.pk).body == f"Number {text}"


@pytest.mark.parametrize(
    "text", ["ana garcia", "ANA GARCÍA", "García, Ana", "GARCIA Ana", "ana.garcia", "Ana García"]
)
def test_the_whole_name_is_swept_with_or_without_accents_in_any_case(admin, ana, colleague, text):
    note = activity.add_note(admin, colleague, body=f"Spoke to {text} today")
    forget_contact(admin, ana)
    assert Note.objects.get(pk=note.pk).body == "Spoke to […] today"


def test_a_name_stored_without_accents_is_found_written_with_them(admin, colleague):
    person = make_contact(
        admin, email="l.w@example.org", first_name="Lukasz", last_name="Wisniewski"
    )
    note = activity.add_note(admin, colleague, body="Łukasz Wiśniewski and Anna Garcíaz")
    forget_contact(admin, person)
    assert Note.objects.get(pk=note.pk).body == "[…] and Anna Garcíaz"


def test_comments_tasks_and_notifications_on_other_contacts_are_swept(admin, sales, ana, colleague):
    comment = activity.add_comment(admin, colleague, body=f"@{sales.username} {REFERRAL}")
    task = activity.create_task(
        admin,
        data={
            "title": "Call Ana García about the referral",
            "description": "Her second address is ana.work@y.es; mobile 612 34 56 78.",
            "contacts": [colleague.pk],
            "assignees": [sales],
        },
    )

    forget_contact(admin, ana)

    comment = Comment.objects.get(pk=comment.pk)
    assert "ana@x.es" not in comment.body + comment.body_html
    assert comment.body.startswith(f"@{sales.username} Referred by […]")
    assert f"@{sales.username}" in comment.body_html  # the mention is still rendered
    task = Task.objects.get(pk=task.pk)
    assert task.title == "Call […] about the referral"
    assert task.description == "Her second address is […]; mobile […]."
    texts = " ".join(Notification.objects.values_list("text", flat=True))
    assert "García" not in texts and "ana@x.es" not in texts


def test_an_export_query_loses_even_the_first_name_alone(admin, ana, colleague):
    searched = transfer.start_export(
        admin, format="csv", columns=["email"], query=transfer.export_query(q="ana")
    )
    other = transfer.start_export(
        admin, format="csv", columns=["email"], query=transfer.export_query(q="anabel kos")
    )
    forget_contact(admin, ana)
    assert Export.objects.get(pk=searched.pk).query["q"] == "[…]"
    assert Export.objects.get(pk=other.pk).query["q"] == "anabel kos"


def test_an_import_report_loses_the_person(admin, ana):
    imp = Import.objects.create(
        created_by=admin, file_name="referrals.csv", file_path="", format="csv"
    )
    problem = ImportProblem.objects.create(
        batch=imp,
        row_number=2,
        column="phone",
        value="ana@x.es;612 345 678",
        message="Bad phone",
        cells=["Ana García", "ana@x.es", "612 345 678", "Madrid"],
    )
    forget_contact(admin, ana)
    problem.refresh_from_db()
    assert problem.value == "[…];[…]"
    assert problem.cells == ["[…]", "[…]", "[…]", "Madrid"]


def test_the_audit_record_counts_the_mentions(admin, ana, colleague):
    activity.add_note(admin, colleague, body=REFERRAL)
    record = forget_contact(admin, ana)
    # The note and its timeline entry.
    assert record.erased["mentions elsewhere"] == 2

"""ServiceForm: Django checks the fields, then the service's refusals land on the same form with
the page's status; NotFound stays the 404 unless the form names the field it belongs to."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.web.forms import ServiceForm, text, ticked


class NoteForm(ServiceForm):
    body = text()
    count = forms.IntegerField(required=False)
    pinned = ticked()


def _refuse(error: Exception):
    def call(data):
        raise error

    return call


def test_a_valid_form_runs_the_call_with_the_cleaned_data():
    form = NoteForm({"body": " hi ", "count": "3", "pinned": "on"})
    assert form.submit(lambda data: data) == {"body": " hi ", "count": 3, "pinned": True}
    assert form.ok and form.status == 200


def test_a_field_django_rejects_is_a_422_and_the_call_does_not_run():
    calls = []
    form = NoteForm({"count": "many"})
    assert form.submit(calls.append) is None
    assert calls == []
    assert not form.ok and form.status == 422
    assert list(form.field_errors()) == ["count"]


def test_invalid_input_lands_on_its_field_with_422():
    form = NoteForm({"body": ""})
    form.submit(_refuse(InvalidInput("body", "Write something.")))
    assert form.status == 422
    assert form.field_errors() == {"body": ["Write something."]}


def test_an_error_for_a_field_the_form_lacks_keeps_its_key_for_the_template():
    form = NoteForm({})
    form.submit(_refuse(InvalidInput("emails.0.email", "Not an e-mail.")))
    assert form.field_errors() == {"emails__0__email": ["Not an e-mail."]}


def test_an_error_for_an_entry_of_a_list_lands_on_the_list():
    form = NoteForm({})
    form.submit(_refuse(InvalidInput("body.2", "Too long.")))
    assert form.field_errors() == {"body": ["Too long."]}


def test_where_maps_the_services_names_to_the_forms():
    form = NoteForm({})
    form.submit(_refuse(InvalidInput("text", "Too long.")), where={"text": "body"})
    assert form.field_errors() == {"body": ["Too long."]}


def test_a_whole_form_error_is_general():
    form = NoteForm({})
    form.submit(_refuse(InvalidInput(errors={"__all__": ["No."]})))
    assert form.field_errors() == {"general": ["No."]}


def test_conflict_is_a_409_on_its_field():
    form = NoteForm({})
    form.submit(_refuse(Conflict("Taken.", field="body")))
    assert form.status == 409
    assert form.field_errors() == {"body": ["Taken."]}


def test_conflict_without_a_field_is_general():
    form = NoteForm({})
    form.submit(_refuse(Conflict("Changed meanwhile.")))
    assert form.field_errors() == {"general": ["Changed meanwhile."]}


def test_forbidden_is_a_403_for_the_whole_form():
    form = NoteForm({})
    form.submit(_refuse(Forbidden("Only its author may.")))
    assert form.status == 403
    assert form.all_errors() == ["Only its author may."]


def test_not_found_is_left_to_the_404_page():
    form = NoteForm({})
    with pytest.raises(NotFound):
        form.submit(_refuse(NotFound("No such note.")))


def test_not_found_lands_on_the_field_named_for_it():
    form = NoteForm({})
    form.submit(_refuse(NotFound("No such task.")), not_found="count")
    assert form.status == 422
    assert form.field_errors() == {"count": ["No such task."]}


def test_an_unbound_form_is_not_ok():
    assert not NoteForm().ok


def test_flash_turns_every_error_into_a_notice():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    form = NoteForm({"count": "x"})
    form.submit(_refuse(Conflict("Taken.")))
    form.flash(request)
    assert [m.message for m in get_messages(request)] == form.all_errors() != []

"""Page input: Django forms whose service call maps the service's refusals onto the form (the
web layer's one error mapping, as kartoteka.api is the API's), and form errors as templates
read them."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound

T = TypeVar("T")


def form_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Field errors keyed so templates can read them: "__all__" → "general", dots → "__"."""
    return {
        ("general" if key == "__all__" else key.replace(".", "__")): list(messages)
        for key, messages in errors.items()
    }


# A fragment that carries a form's errors says so, so the page's htmx swaps it in place whatever
# its status (web/kartoteka.js); htmx swaps only 2xx answers by itself.
ERRORS_HEADER = "Kartoteka-Form-Errors"


def errors_in_place(response: HttpResponse, status: int) -> HttpResponse:
    """The fragment answered with the form's status (422, 409, 403) and swapped in place."""
    response.status_code = status
    if status >= 400:
        response[ERRORS_HEADER] = "1"
    return response


def text(**options: Any) -> forms.CharField:
    """An optional text input taken as typed: the service decides what is missing or wrong."""
    return forms.CharField(required=False, strip=False, **options)


def many(**options: Any) -> forms.Field:
    """Every value posted under one name (ticked boxes, a multiple select), as typed."""
    return forms.Field(required=False, widget=forms.SelectMultiple, **options)


def ticked(**options: Any) -> forms.BooleanField:
    """A checkbox: ticked or not, never an error."""
    return forms.BooleanField(required=False, **options)


class ServiceForm(forms.Form):
    """A page's input: Django parses and checks the fields, then one service call runs on the
    cleaned data, and whatever the service refuses lands on the same form's errors.

    InvalidInput puts each message on its field (422), Conflict on its field or the form (409),
    Forbidden on the form (403). NotFound is the 404 page (web.middleware) unless `not_found`
    names the field whose choice was not found. A form without fields serves a plain button,
    or a door whose input the service reads itself (a public form's answers, a hit).
    """

    status = 200
    # What refused input and a `not_found` answer with; a public door whose callers were
    # always told another status (the tracking collector's 400 and 404) names its own.
    invalid_status = 422
    not_found_status = 422

    def submit(
        self,
        call: Callable[[dict[str, Any]], T],
        *,
        where: Mapping[str, str] | None = None,
        not_found: str | None = None,
    ) -> T | None:
        """The call's result, or None once the form holds errors (see `ok`). `where` maps the
        service's field names (dotted paths too) to the form's where they differ."""
        if not self.is_valid():
            self.status = self.invalid_status
            return None
        try:
            return call(self.cleaned_data)
        except InvalidInput as exc:
            self.refuse(exc.errors, status=self.invalid_status, where=where)
        except Conflict as exc:
            self.refuse({exc.field or "__all__": [exc.message]}, status=409, where=where)
        except Forbidden as exc:
            self.refuse({"__all__": [exc.message]}, status=403)
        except NotFound as exc:
            if not_found is None:
                raise
            self.refuse({not_found: [exc.message]}, status=self.not_found_status)
        return None

    def refuse(
        self,
        errors: Mapping[str, list[str]],
        *,
        status: int = 422,
        where: Mapping[str, str] | None = None,
    ) -> None:
        """Put errors on the form: on the form's field they name (an entry of a list on the
        list), else under the service's own key (the page shows it by that name), "__all__"
        for the whole form."""
        self.status = status
        for key, found in errors.items():
            name = (where or {}).get(key, key)
            if name not in self.fields and name.split(".")[0] in self.fields:
                name = name.split(".")[0]  # a list's entry ("owners.2") shows at the list
            if name in self.fields or name == "__all__":
                self.add_error(None if name == "__all__" else name, list(found))
            else:
                self.errors.setdefault(name, self.error_class()).extend(found)

    @property
    def ok(self) -> bool:
        """Bound, valid, and the service took it."""
        return self.is_bound and not self.errors

    def field_errors(self) -> dict[str, list[str]]:
        """The errors as templates read them (see form_errors)."""
        return form_errors({key: list(found) for key, found in self.errors.items()})

    def all_errors(self) -> list[str]:
        """Every message in one list, for a page that shows them above the form."""
        return [message for found in self.errors.values() for message in found]

    def flash(self, request: HttpRequest) -> None:
        """Every message as an error notice, for a page that redirects after the post."""
        for message in self.all_errors():
            messages.error(request, message)

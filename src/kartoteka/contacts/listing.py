"""The contacts a list shows, read from its query parameters: one function for the contact
list, the Clients view, their count and an export of either, so that they never disagree."""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import Source


@dataclass(frozen=True)
class FilterLanguage:
    """The filter language of the list's search box (?q=) and builder (?f=). Segments owns it
    and registers it from its ready(), so contacts never imports segments."""

    # (params, contacts) → (the contacts narrowed, or none and the message saying why)
    narrow: Callable[[Mapping[str, str], QuerySet], tuple[QuerySet, str]]
    # request → what `template` (the builder, included in the filter bar) reads
    context: Callable[[HttpRequest], dict]
    template: str
    # The saved filters to pick from (the list's bar offers them), read from the same context.
    saved_template: str = ""


_language: list[FilterLanguage] = []


def register_filter_language(language: FilterLanguage) -> None:
    _language[:] = [language]


def filter_language() -> FilterLanguage | None:
    return _language[0] if _language else None


# The quick filters of the list's filter bar; the search box (q) and the builder (f) take
# the filter language.
QUICK_FILTERS = (
    "owner",
    "tag",
    "status",
    "source",
    "created_from",
    "created_to",
    "last_days",
)
# Every parameter that narrows a list (sorting and paging do not).
LIST_PARAMETERS = ("q", "f", *QUICK_FILTERS)


def quick_filters(params: Mapping[str, str]) -> tuple[dict, dict]:
    """The quick filters from the query string, and a message per filter that makes no sense."""
    filters = {name: (params.get(name) or "").strip() for name in ("q", *QUICK_FILTERS)}
    errors = {}
    if filters["status"] and lead_statuses.load().resolve(filters["status"]) is None:
        errors["status"] = _("Unknown status.")
    if filters["source"] and filters["source"] not in Source.values:
        errors["source"] = _("Unknown source.")
    for name in ("created_from", "created_to"):
        if filters[name] and _parse_day(filters[name]) is None:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    days = filters["last_days"]
    if days and (not days.isdigit() or not 0 < int(days) <= 36500):
        errors["last_days"] = _("Enter a number of days between 1 and 36500.")
    return filters, errors


def _parse_day(value: str) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _day_start(value: str, *, plus_days: int = 0) -> dt.datetime | None:
    day = _parse_day(value) if value else None
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time()))


def list_contacts(
    actor, params: Mapping[str, str], *, clients: bool = False
) -> tuple[QuerySet, dict, dict]:
    """The contacts a list shows: the actor's scope narrowed by every filter in `params`.

    Returns (contacts, filters, errors). Every filter narrows `contacts` here, in this one
    function; the list, its count, its bulk actions and its export all call it, so they always
    agree with what the list shows. A quick filter that makes no sense is left out (and named
    in `errors`); a wrong search text or builder filter shows nothing (and says why).
    """
    filters, errors = quick_filters(params)
    clean = {k: v for k, v in filters.items() if k not in errors}
    created_from = _day_start(clean["created_from"]) if "created_from" in clean else None
    if clean.get("last_days"):
        recent = timezone.now() - dt.timedelta(days=int(clean["last_days"]))
        created_from = max(created_from, recent) if created_from else recent
    contacts = contact_queries.filter_contacts(
        actor,
        tag=clean.get("tag", ""),
        owner=clean.get("owner", ""),
        status=lead_statuses.load().resolve(clean["status"]) if clean.get("status") else "",
        source=clean.get("source", ""),
        created_from=created_from,
        created_to=_day_start(clean.get("created_to", ""), plus_days=1),
    )
    if clients:
        contacts = contacts.filter(lead_statuses.load().clients())
    # The search box takes the filter language's text form (?q=), the builder a document (?f=).
    language = filter_language()
    if language is not None:
        contacts, problem = language.narrow(params, contacts)
        if problem:
            errors["q"] = problem
    return contacts, filters, errors

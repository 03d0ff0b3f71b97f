"""Filter fields of website tracking: how often and when a contact visited, which pages, and on
which devices, systems and browsers."""

import operator
from typing import Any

from django.db.models import Q, Subquery
from django.utils.translation import gettext_lazy as _

from kartoteka.segments.fields import (
    MAX_DAYS,
    Field,
    column,
    days_ago,
    linked_ids,
    register,
    register_alias,
    register_family,
    related,
)
from kartoteka.tracking.models import FileDownload, PageView, PublicFile, Visit, VisitTotals

_COMPARE = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _visit_count(op: str, value: Any) -> Q:
    """Contacts by their number of visits; a contact never seen has 0 (and no totals row)."""
    if op in ("is_empty", "is_not_empty"):
        having = Q(pk__in=Subquery(VisitTotals.objects.filter(visits__gt=0).values("contact_id")))
        return ~having if op == "is_empty" else having
    if op in ("ne", "not_in"):
        return ~_visit_count("eq" if op == "ne" else "in", value)
    if op == "between":
        condition, zero_matches = {"visits__range": value}, value[0] <= 0 <= value[1]
    elif op == "in":
        condition, zero_matches = {"visits__in": value}, 0 in value
    else:
        condition, zero_matches = (
            {f"visits__{op if op != 'eq' else 'exact'}": value},
            _COMPARE[op](0, value),
        )
    matching = Q(pk__in=Subquery(VisitTotals.objects.filter(**condition).values("contact_id")))
    if zero_matches:
        matching |= ~Q(pk__in=Subquery(VisitTotals.objects.values("contact_id")))
    return matching


def _visited_url(op: str, value: Any) -> Q:
    """Contacts with a page view whose address equals, contains or starts with the text."""
    if op in ("ne", "not_in"):
        return ~_visited_url("eq" if op == "ne" else "in", value)
    views = PageView.objects.filter(visit__contact__isnull=False).order_by()
    if op in ("is_empty", "is_not_empty"):
        having = Q(pk__in=Subquery(views.values("visit__contact_id")))
        return ~having if op == "is_empty" else having
    lookup = {"eq": "url", "in": "url__in", "contains": "url__icontains"}.get(
        op, "url__istartswith"
    )
    return Q(pk__in=Subquery(views.filter(**{lookup: value}).values("visit__contact_id")))


def _visited_within(days: int | None):
    """Contacts with a page view whose address contains the text, in the last `days` days
    (ever for None). The page views of the period are read by their time index first."""

    def build(_op: str, value: Any) -> Q:
        # No ORDER BY: the subquery is a set (the model's ordering would sort every match).
        views = PageView.objects.filter(
            visit__contact__isnull=False, url__icontains=value
        ).order_by()
        if days is not None:
            views = views.filter(viewed_at__gte=days_ago(days))
        return Q(pk__in=Subquery(views.values("visit__contact_id")))

    return build


def visited_within(name: str) -> Field | None:
    """`visited.<days>`: a page whose address contains the text, in the last <days> days."""
    if not name.isdigit() or not 1 <= int(name) <= MAX_DAYS:
        return None
    days = int(name)
    return Field(
        f"visited.{days}",
        _("Visited a page containing (in the last %(days)s days)") % {"days": days},
        "search",
        _visited_within(days),
        group=_("Website"),
    )


def _downloads_of(values: list[str] | None):
    downloads = FileDownload.objects.filter(contact__isnull=False).order_by()
    if values is not None:
        downloads = downloads.filter(file_id__in=[int(v) for v in values])
    return downloads.values_list("contact_id")


def _public_files() -> list[tuple[str, str]]:
    return [(str(pk), title) for pk, title in PublicFile.objects.values_list("pk", "title")[:500]]


def _visits_with(field: str):
    def rows(values: list[str] | None):
        visits = Visit.objects.filter(contact__isnull=False)
        if values is not None:
            visits = visits.filter(**{f"{field}__in": values})
        return visits.values_list("contact_id")

    return rows


def _seen(field: str):
    def choices() -> list[tuple[str, str]]:
        found = Visit.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
        return [(value, value) for value in sorted(found)[:200]]

    return choices


def register_fields() -> None:
    group = _("Website")
    register(Field("visits.count", _("Number of visits"), "number", _visit_count, group=group))
    register(
        Field(
            "visits.last_at",
            _("Last visit"),
            "date",
            column("visit_totals__last_visit_at", "date", nullable=True),
            group=group,
            present=Q(visit_totals__last_visit_at__isnull=False),
        )
    )
    register(Field("visits.url", _("Visited page"), "text", _visited_url, group=group))
    register(
        Field(
            "visited",
            _("Visited a page containing"),
            "search",
            _visited_within(None),
            group=group,
        )
    )
    register_family("visited", visited_within)
    register(
        Field(
            "files.downloaded",
            _("Downloaded the file"),
            "choice",
            related(_downloads_of),
            choices=_public_files,
            group=group,
            ids=linked_ids(_downloads_of),
        )
    )
    register_alias("downloaded", "files.downloaded")
    register(
        Field(
            "visits.device",
            _("Device used"),
            "choice",
            related(_visits_with("device_type")),
            choices=lambda: [
                ("desktop", str(_("Computer"))),
                ("mobile", str(_("Mobile"))),
                ("tablet", str(_("Tablet"))),
            ],
            group=group,
        )
    )
    register(
        Field(
            "visits.browser",
            _("Browser used"),
            "choice",
            related(_visits_with("browser")),
            choices=_seen("browser"),
            group=group,
        )
    )
    register(
        Field(
            "visits.os",
            _("System used"),
            "choice",
            related(_visits_with("os")),
            choices=_seen("os"),
            group=group,
        )
    )

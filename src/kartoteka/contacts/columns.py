"""The columns of the contact list: what each shows, how it sorts, and the user's choice."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts import tag_colors
from kartoteka.contacts.detail_columns import PropertyValue, built_column
from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.models import ContactOwner, ContactTag, PropertyDefinition, PropertyType
from kartoteka.core import display
from kartoteka.web.registry import ContactColumn, contact_columns

# A contact that never became a client sorts by "client since" as if it held this date.
_OLDEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def _aware(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if timezone.is_naive(value):
        raise ValueError(text)
    return value


# Cursor values of a column whose rows may lack one: the type travels with the value.
_TYPED = {"s": str, "i": int, "f": float, "d": _aware}


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    sort: Any = None  # an expression, or None when the column cannot sort
    value_type: str = "text"  # text, int, float, datetime: how a cursor value is read back
    prefetch: tuple[str, ...] = ()
    definition: PropertyDefinition | None = None
    # The sort value is NULL for rows without one (a custom detail, the company, last activity):
    # those rows come after the others in both directions, like blank cells in a spreadsheet.
    missing_last: bool = False
    # A column another app adds (web.registry.ContactColumn): its values are read per page.
    added: ContactColumn | None = None

    def cursor_text(self, value: Any) -> str:
        """A sort value as a page link carries it (read back by cursor_value)."""
        if self.missing_last:
            if value is None:
                return ""
            if isinstance(value, dt.datetime):
                return f"d:{value.isoformat()}"
            kind = "f" if isinstance(value, float) else "i" if isinstance(value, int) else "s"
            return f"{kind}:{value}"
        return value.isoformat() if isinstance(value, dt.datetime) else str(value)

    def cursor_value(self, raw: str) -> Any:
        """A sort value read back from a page link; ValueError when it is not one."""
        if self.missing_last:
            if not raw:
                return None
            kind, sep, text = raw.partition(":")
            if not sep or kind not in _TYPED:
                raise ValueError(raw)
            return _TYPED[kind](text)
        if self.value_type == "int":
            return int(raw)
        if self.value_type == "float":
            return float(raw)
        if self.value_type == "datetime":
            return _aware(raw)
        return raw


def _first_owner():
    return Coalesce(
        Subquery(
            ContactOwner.objects.filter(contact=OuterRef("pk"))
            .order_by("user__username")
            .values("user__username")[:1]
        ),
        Value(""),
    )


def _first_tag():
    return Coalesce(
        Subquery(
            ContactTag.objects.filter(contact=OuterRef("pk"))
            .order_by("tag__name_folded")
            .values("tag__name_folded")[:1]
        ),
        Value(""),
    )


CORE_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("name", _("Name"), F("last_name")),  # by last name, as address books do
        Column("email", _("E-mail"), F("email")),
        Column("phone", _("Phone"), F("phone")),
        # Contacts without a company come last; the others are read company by company.
        Column("company", _("Company"), F("company__name"), missing_last=True),
        Column("job_title", _("Job title"), F("job_title")),
        Column("status", _("Status"), F("status")),
        Column("source", _("Source"), F("source")),
        Column("score", _("Score"), F("score"), "int"),
        Column("owners", _("Owners"), _first_owner(), prefetch=("owners",)),
        Column("tags", _("Tags"), _first_tag(), prefetch=("tag_links__tag",)),
        Column("city", _("City"), F("city")),
        Column("country", _("Country"), F("country")),
        Column("created_at", _("Created"), F("created_at"), "datetime"),
        Column(
            "last_activity_at",
            _("Last activity"),
            F("last_activity_at"),
            "datetime",
            missing_last=True,  # contacts with no activity yet; the column's index serves it
        ),
        Column("won_at", _("Client since"), Coalesce(F("won_at"), Value(_OLDEST)), "datetime"),
    )
}
DEFAULT_COLUMNS = ["name", "email", "phone", "company", "status", "owners", "tags", "created_at"]
# The Clients view also shows where clients came from: columns the tracking app adds (a key no
# app registered is left out).
CLIENT_COLUMNS = [
    "name",
    "email",
    "company",
    "owners",
    "won_at",
    "utm_source",
    "utm_medium",
    "ads_campaign",
    "ads_keyword",
]


def detail_column(definition: PropertyDefinition, materialised: set[str]) -> Column:
    """A custom detail's column. It sorts by the same SQL value as the detail's index (see
    contacts.detail_columns.PropertyValue), so a page sorted by it reads about 50 index entries
    instead of every contact's details; `materialised` names PostgreSQL's generated detail
    columns."""
    key = f"detail:{definition.key}"
    if definition.type == PropertyType.MULTI_CHOICE:
        return Column(key, definition.label, definition=definition)
    value = PropertyValue(
        definition.key,
        numeric=definition.type in (PropertyType.NUMBER, PropertyType.DECIMAL),
        column=built_column(definition.key, materialised),
    )
    return Column(key, definition.label, value, definition=definition, missing_last=True)


def available_columns(
    definitions: list[PropertyDefinition], materialised: set[str] = frozenset()
) -> dict[str, Column]:
    details = {f"detail:{d.key}": detail_column(d, materialised) for d in definitions}
    added = {
        c.key: Column(
            c.key, c.label, c.sort, c.value_type, missing_last=c.sort is not None, added=c
        )
        for c in contact_columns()
    }
    return {**CORE_COLUMNS, **details, **added}


def load_added_values(contacts: list, columns: list[Column]) -> None:
    """Read the values of the columns other apps add for a page of contacts, one read per
    column, into each contact's `added_values`."""
    ids = [contact.pk for contact in contacts]
    for contact in contacts:
        contact.added_values = {}
    for column in columns:
        if column.added is None or not ids:
            continue
        values = column.added.load(ids)
        for contact in contacts:
            contact.added_values[column.key] = values.get(contact.pk)


def chosen_columns(user, available: dict[str, Column], *, clients: bool) -> list[Column]:
    """The columns the user chose (kept in their preferences), in their order."""
    preference = "client_columns" if clients else "list_columns"
    saved = (user.preferences or {}).get(preference) or (
        CLIENT_COLUMNS if clients else DEFAULT_COLUMNS
    )
    columns = [available[k] for k in saved if k in available]
    return columns or [available["name"]]


def _date(value) -> str:
    return display.day(value) if value else "—"


def render_cell(contact, column: Column) -> str:
    """One cell of the list as HTML. Done in Python, not with a template per cell: a page has
    hundreds of cells, and an include for each one would dominate the page's time."""
    key = column.key
    if key == "name":
        # One line per row: a long name is cut short on screen and read whole in its title.
        name = contact.full_name or contact.email
        return format_html(
            '<a class="contact-name" href="{}" title="{}">{}</a>',
            reverse("web:contact-card", kwargs={"contact_id": contact.pk}),
            name,
            name,
        )
    if key in ("email", "job_title"):
        value = getattr(contact, key, "")
        return format_html('<span title="{}">{}</span>', value, value) if value else ""
    if key == "status":
        status = lead_statuses.load().by_key.get(contact.status)
        return format_html(
            '<span class="status status-{} status-meaning-{}">{}</span>',
            contact.status,
            status.meaning if status else "",
            status.label if status else contact.status,
        )
    if key == "source":
        return escape(contact.get_source_display())
    if key == "company":
        name = contact.company.name if contact.company else ""
        return format_html('<span title="{}">{}</span>', name, name) if name else ""
    if key == "owners":
        return escape(", ".join(owner.display_name for owner in contact.owners.all()))
    if key == "tags":
        chips = (tag_colors.chip(link.tag.name, link.tag.color) for link in contact.tag_links.all())
        return format_html_join(" ", "{}", ((chip,) for chip in chips))
    if key in ("created_at", "last_activity_at", "won_at"):
        return format_html('<span class="nowrap">{}</span>', _date(getattr(contact, key)))
    if column.added is not None:
        return escape(column.added.text(getattr(contact, "added_values", {}).get(key)))
    if column.definition is not None:
        return escape(
            property_display(
                column.definition, (contact.properties or {}).get(column.definition.key)
            )
        )
    return escape(getattr(contact, key, ""))

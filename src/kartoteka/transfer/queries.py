"""Reads of imports, exports and the contacts an export takes, always in the actor's scope."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    PropertyDefinition,
)
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.transfer import formats
from kartoteka.transfer.mapping import FIELD_LABELS
from kartoteka.transfer.models import Export, Import, ImportProblem
from kartoteka.web.registry import contact_columns

# Columns an export may have, with their labels; custom details follow as properties.<key>.
EXPORT_COLUMNS: dict[str, Any] = {
    "id": gettext_lazy("Contact ID"),
    **FIELD_LABELS,
    "source": gettext_lazy("Source"),
    "owners": gettext_lazy("Owners"),
    "created_at": gettext_lazy("Created"),
    "last_activity_at": gettext_lazy("Last activity"),
}
DEFAULT_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "phones",
    "company",
    "job_title",
    "city",
    "country",
    "tags",
]


def _imports(actor) -> QuerySet[Import]:
    if is_admin(actor):
        return Import.objects.all()
    return Import.objects.filter(created_by=actor)


def imports_of(actor) -> QuerySet[Import]:
    return _imports(actor).select_related("created_by")


def get_import(actor, import_id: int) -> Import:
    """The import if the actor started it (admins: any); NotFound otherwise."""
    found = _imports(actor).filter(pk=import_id).first()
    if found is None:
        raise NotFound(_("No such import."))
    return found


def get_export(actor, export_id: int) -> Export:
    found = Export.objects.filter(pk=export_id, created_by=actor).first()
    if found is None:
        raise NotFound(_("No such export."))
    return found


def import_problems(imp: Import, *, level: str, limit: int = 50) -> list[dict[str, Any]]:
    """The first problems of one level (error: rows rejected; warning: values left out)."""
    problems = imp.problems.filter(level=level).order_by("row_number", "pk")[:limit]
    return [problem_out(problem) for problem in problems]


def problem_out(problem: ImportProblem) -> dict[str, Any]:
    """A problem as the API, the CLI and the wizard show it: `row` is the line of the file
    the row starts on; `cells` (on a row's first problem) the row as the file had it."""
    return {
        "row": problem.row_number,
        "level": problem.level,
        "column": problem.column,
        "value": problem.value,
        "message": problem.message,
        "cells": problem.cells,
    }


def preview(imp: Import, *, rows: int = 10) -> list[list[str]]:
    """The first data rows, padded to the header's width, for the wizard's preview."""
    reader = formats.read_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    result: list[list[str]] = []
    try:
        next(reader, None)
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            shown = [c if len(c) <= 80 else c[:80] + "…" for c in cells]
            result.append(shown + [""] * (len(imp.headers) - len(shown)))
            if len(result) >= rows:
                break
    finally:
        reader.close()
    return result


def export_columns() -> dict[str, Any]:
    columns = dict(EXPORT_COLUMNS)
    for definition in PropertyDefinition.objects.order_by("position", "id"):
        columns[f"properties.{definition.key}"] = definition.label
    for added in contact_columns():
        columns[added.key] = added.label
    return columns


def check_columns(columns: list[str] | None) -> list[str]:
    known = export_columns()
    chosen = [c.strip() for c in (columns or DEFAULT_COLUMNS) if c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise InvalidInput(
            "columns",
            _("Unknown columns: %(join_unknown)s.") % {"join_unknown": ", ".join(unknown)},
        )
    if not chosen:
        raise InvalidInput("columns", _("Choose at least one column."))
    return chosen


def contacts_to_export(
    actor,
    *,
    q: str = "",
    document: Any = None,
    segment_id: int | None = None,
    ids: list[int] | None = None,
    view: str = "",
    quick: dict[str, str] | None = None,
) -> QuerySet[Contact]:
    """The list the user is looking at, only contacts the actor may see: the contact list (or,
    with view "clients", the Clients view) narrowed by its search text `q` (the filter
    language's text form), its builder's `document` and its `quick` filters, exactly as the
    list narrows it (contacts.listing); then by a segment and a selection (`ids`). Every part
    given narrows the list further; InvalidInput when one of them is wrong."""
    import json

    from kartoteka.contacts.listing import QUICK_FILTERS, list_contacts
    from kartoteka.segments.queries import document_from, get_segment

    quick = quick or {}
    # Exports queued by an earlier version kept the list's search box among the quick filters.
    text = " ".join(part for part in (quick.get("q", ""), q) if part and part.strip())
    document_from(document=document, q=text)  # a wrong filter is named by its own field
    if segment_id is not None:
        segment = get_segment(actor, segment_id).document or {"all": []}
        document = {"all": [document, segment]} if document else segment
    params = {name: str(quick[name]) for name in QUICK_FILTERS if quick.get(name)}
    params.update(q=text, f=json.dumps(document) if document else "")
    contacts, _filters, errors = list_contacts(actor, params, clients=view == "clients")
    if errors:
        raise InvalidInput(errors=errors)
    if ids is not None:
        contacts = contacts.filter(pk__in=ids)
    return contacts


def count(contacts: QuerySet[Contact]) -> int:
    return contacts.count()


# Columns that hold several values of a contact: one file column per value (phone, phone 2,
# …), as many as the contact with the most of them has, so that no cell holds a list.
SPREAD_COLUMNS = {"phones": "phone", "emails": "email"}


def export_table(
    contacts: QuerySet[Contact], columns: list[str], *, labels: bool = True
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header (column labels, or keys with `labels=False`) and the rows of an export; with
    labels, a status or a source is its name too (import reads either back)."""
    widths = _spread_widths(contacts, columns)
    return export_header(columns, widths, labels=labels), export_rows(
        contacts, columns, widths=widths, labels=labels
    )


def _spread_widths(contacts: QuerySet[Contact], columns: list[str]) -> dict[str, int]:
    """How many file columns each phones / other e-mails column takes (at least one)."""
    widths = {}
    for column in columns:
        if column not in SPREAD_COLUMNS:
            continue
        values = ContactPhone.objects if column == "phones" else ContactEmail.objects
        if column == "emails":
            values = values.filter(is_primary=False)
        most = (
            values.filter(contact__in=contacts.order_by().values("pk"))
            .values("contact")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("n", flat=True)
            .first()
        )
        widths[column] = max(most or 0, 1)
    return widths


def export_header(columns: list[str], widths: dict[str, int], *, labels: bool) -> list[str]:
    known = export_columns()
    header: list[str] = []
    for column in columns:
        if column not in SPREAD_COLUMNS:
            header.append(str(known[column]) if labels else column)
            continue
        # Headers the import maps back: "Phone", "Phone 2" (other phones), "E-mail 2", …
        first = 1 if column == "phones" else 2
        for number in range(first, first + widths.get(column, 1)):
            header.append(_numbered(SPREAD_COLUMNS[column], number, labels=labels))
    return header


def _numbered(field: str, number: int, *, labels: bool) -> str:
    if not labels:
        return field if number == 1 else f"{field} {number}"
    if number == 1:
        return str(FIELD_LABELS[field])
    if field == "phone":
        return _("Phone %(number)s") % {"number": number}
    return _("E-mail %(number)s") % {"number": number}


def export_rows(
    contacts: QuerySet[Contact],
    columns: list[str],
    *,
    widths: dict[str, int] | None = None,
    chunk: int = 2000,
    labels: bool = False,
) -> Iterator[list[Any]]:
    """Each contact as a list of cell values in `columns` order (no header), in id order; a
    phones or other e-mails column spreads over `widths[column]` cells."""
    if widths is None:
        widths = _spread_widths(contacts, columns)
    queryset = (
        contacts.order_by("pk")
        .select_related("company")
        .prefetch_related(
            "emails",
            "phones",
            "owners",
            Prefetch("tag_links", queryset=ContactTag.objects.select_related("tag")),
        )
    )
    added = {c.key: c for c in contact_columns() if c.key in columns}
    batch: list[Contact] = []
    for contact in queryset.iterator(chunk_size=chunk):
        batch.append(contact)
        if len(batch) == chunk:
            yield from _batch_rows(batch, columns, widths, added, labels)
            batch = []
    yield from _batch_rows(batch, columns, widths, added, labels)


def _batch_rows(
    contacts: list[Contact],
    columns: list[str],
    widths: dict[str, int],
    added: dict[str, Any],
    labels: bool,
) -> Iterator[list[Any]]:
    """The rows of a batch of contacts; the columns other apps add are read once a batch."""
    ids = [contact.pk for contact in contacts]
    loaded = {key: column.load(ids) for key, column in added.items()} if ids else {}
    for contact in contacts:
        row: list[Any] = []
        for column in columns:
            if column in SPREAD_COLUMNS:
                values = _spread(contact, column)
                width = widths.get(column, 1)
                row += values[:width] + [""] * (width - len(values))
            elif column in added:
                row.append(added[column].export(loaded[column].get(contact.pk)))
            else:
                row.append(_value(contact, column, labels))
        yield row


def _spread(contact: Contact, column: str) -> list[str]:
    if column == "phones":
        return [p.number for p in contact.phones.all()]  # the primary first (model ordering)
    return [e.email for e in contact.emails.all() if not e.is_primary]


def contact_values(contact: Contact) -> dict[str, Any]:
    """A contact's values in the shape vcard.card expects."""
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "emails": [e.email for e in contact.emails.all()],
        "phones": [p.number for p in contact.phones.all()],
        "company": contact.company.name if contact.company else "",
        "job_title": contact.job_title,
        "street": contact.street,
        "city": contact.city,
        "region": contact.region,
        "postal_code": contact.postal_code,
        "country": contact.country,
        "birthday": contact.birthday.isoformat() if contact.birthday else "",
        "note": "\n\n".join(n.body for n in reversed(list(contact.notes.all()))),
        "uid": f"kartoteka-{contact.pk}",
    }


def vcard_contacts(contacts: QuerySet[Contact]) -> Iterator[dict[str, Any]]:
    queryset = (
        contacts.order_by("pk")
        .select_related("company")
        .prefetch_related("emails", "phones", "notes")
    )
    for contact in queryset.iterator(chunk_size=1000):
        yield contact_values(contact)


def _value(contact: Contact, column: str, labels: bool = False) -> Any:
    if column == "company":
        return contact.company.name if contact.company else ""
    if column == "tags":
        return ", ".join(sorted(link.tag.name for link in contact.tag_links.all()))
    if column == "owners":
        return ", ".join(sorted(u.username for u in contact.owners.all()))
    if column == "id":
        return contact.pk
    if labels and column == "status":
        return lead_statuses.load().label(contact.status)
    if labels and column == "source":
        return contact.get_source_display()
    if column.startswith("properties."):
        value = (contact.properties or {}).get(column.split(".", 1)[1])
        return ", ".join(value) if isinstance(value, list) else value
    return getattr(contact, column)

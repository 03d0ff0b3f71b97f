"""Reads of imports, exports and the contacts an export takes, always in the actor's scope."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kartoteka.contacts.models import Contact, ContactTag, PropertyDefinition
from kartoteka.contacts.queries import clients
from kartoteka.contacts.queries import filter_contacts as contact_filters
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import is_admin, visible_contacts
from kartoteka.transfer import formats
from kartoteka.transfer.mapping import FIELD_LABELS
from kartoteka.transfer.models import Export, Import

# Columns an export may have, with their labels; custom details follow as properties.<key>.
EXPORT_COLUMNS: dict[str, Any] = {
    "id": _("Contact ID"),
    **FIELD_LABELS,
    "source": _("Source"),
    "owners": _("Owners"),
    "created_at": _("Created"),
    "last_activity_at": _("Last activity"),
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
# eCommerce totals, exported when the app that keeps them is installed (columns on Contact).
_OPTIONAL_COLUMNS = ("total_value", "average_cart", "transactions")


def _imports(actor) -> QuerySet[Import]:
    if actor is None or is_admin(actor):
        return Import.objects.all()
    return Import.objects.filter(created_by=actor)


def imports_of(actor) -> QuerySet[Import]:
    return _imports(actor).select_related("created_by")


def get_import(actor, import_id: int) -> Import:
    """The import if the actor started it (admins: any); NotFound otherwise."""
    found = _imports(actor).filter(pk=import_id).first()
    if found is None:
        raise NotFound(gettext("No such import."))
    return found


def get_export(actor, export_id: int) -> Export:
    found = Export.objects.filter(pk=export_id, created_by=actor).first()
    if found is None:
        raise NotFound(gettext("No such export."))
    return found


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
    field_names = {f.name for f in Contact._meta.get_fields()}
    for name in _OPTIONAL_COLUMNS:
        if name in field_names:
            columns[name] = name.replace("_", " ").capitalize()
    for definition in PropertyDefinition.objects.order_by("position", "id"):
        columns[f"properties.{definition.key}"] = definition.label
    return columns


def check_columns(columns: list[str] | None) -> list[str]:
    known = export_columns()
    chosen = [c.strip() for c in (columns or DEFAULT_COLUMNS) if c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise InvalidInput(
            "columns",
            gettext("Unknown columns: %(join_unknown)s.") % {"join_unknown": ", ".join(unknown)},
        )
    if not chosen:
        raise InvalidInput("columns", gettext("Choose at least one column."))
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
    """The list the user is looking at: a filter (text or JSON), a segment, a selection, the
    contact list's quick filters or the Clients view; only contacts the actor may see."""
    if view == "clients":
        contacts = clients(actor)
    elif segment_id is not None:
        from kartoteka.segments.queries import filter_contacts, get_segment

        contacts = filter_contacts(actor, get_segment(actor, segment_id).document)
    elif q or document:
        from kartoteka.segments.queries import document_from, filter_contacts

        contacts = filter_contacts(actor, document_from(document=document, q=q))
    else:
        contacts = visible_contacts(actor)
    if quick:
        search = {"search" if k == "q" else k: v for k, v in quick.items()}
        listed = contact_filters(actor, **search).values("pk")
        contacts = contacts.filter(pk__in=listed)
    if ids is not None:
        contacts = contacts.filter(pk__in=ids)
    return contacts


def count(contacts: QuerySet[Contact]) -> int:
    return contacts.count()


def export_rows(
    contacts: QuerySet[Contact], columns: list[str], *, chunk: int = 2000
) -> Iterator[list[Any]]:
    """Each contact as a list of cell values in `columns` order (no header), in id order."""
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
    for contact in queryset.iterator(chunk_size=chunk):
        yield [_value(contact, column) for column in columns]


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


def _value(contact: Contact, column: str) -> Any:
    if column == "emails":
        return ", ".join(e.email for e in contact.emails.all() if not e.is_primary)
    if column == "phones":
        return ", ".join(p.number for p in contact.phones.all())
    if column == "company":
        return contact.company.name if contact.company else ""
    if column == "tags":
        return ", ".join(sorted(link.tag.name for link in contact.tag_links.all()))
    if column == "owners":
        return ", ".join(sorted(u.username for u in contact.owners.all()))
    if column == "id":
        return contact.pk
    if column.startswith("properties."):
        value = (contact.properties or {}).get(column.split(".", 1)[1])
        return ", ".join(value) if isinstance(value, list) else value
    value = getattr(contact, column)
    return value.isoformat() if hasattr(value, "isoformat") else value

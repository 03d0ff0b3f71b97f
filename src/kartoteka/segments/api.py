"""REST endpoints: contact search with a filter, saved filters, segments and the filter fields."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.contacts.schemas import contact_json
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import InvalidInput
from kartoteka.segments import fields, queries, services
from kartoteka.segments.models import NamedFilter, Segment
from kartoteka.segments.schemas import (
    FieldOut,
    NamedFilterIn,
    NamedFilterPatch,
    OptionOut,
    OptionsQuery,
    PageQuery,
    SavedFilterOut,
    SearchIn,
    SearchOut,
    SegmentOut,
)

router = Router(tags=["filters and segments"])


def _after_id(cursor: str) -> int | None:
    if not cursor:
        return None
    (after_id,) = decode_cursor(cursor, size=1)
    if not isinstance(after_id, int) or isinstance(after_id, bool):
        raise InvalidInput("cursor", _("Not a cursor from this list; start again without it."))
    return after_id


def _page(request: HttpRequest, document: Any, limit: int, cursor: str) -> dict:
    count, items, next_after = queries.search(
        request.user, document, limit=limit, after_id=_after_id(cursor)
    )
    return {
        "count": count,
        "items": [contact_json(c) for c in items],
        "next_cursor": encode_cursor(next_after) if next_after is not None else None,
    }


@router.post("/contacts/search", response=SearchOut, tags=["contacts"])
def search_contacts(request: HttpRequest, payload: SearchIn):
    """Count and one keyset page of the contacts matching a filter document or text form."""
    document = queries.document_from(document=payload.filter, q=payload.q or "")
    return _page(request, document, payload.limit, payload.cursor)


@router.get("/filter-fields", response=list[FieldOut])
def filter_fields(request: HttpRequest):
    """Every field a filter may name, with its type, operators and choices."""
    return [fields.describe(item) for item in fields.known_fields()]


@router.get("/filter-fields/{key}/options", response=list[OptionOut])
def filter_field_options(request: HttpRequest, key: str, asked: Query[OptionsQuery]):
    """The values of a field that exist among your contacts, with how many have each, most
    common first (a picker's list): those whose label starts with q."""
    return queries.field_options(request.user, key, prefix=asked.q, limit=asked.limit)


def _named_json(request: HttpRequest, item: NamedFilter) -> dict:
    shape = {
        "id": item.pk,
        "name": item.name,
        "owner": item.owner.username,
        "shared": item.is_shared,
        "filter": item.document,
        "can_change": services.can_change(request.user, item),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
    if isinstance(item, Segment):
        count, counted_at = queries.segment_count(request.user, item)
        shape.update(count=count, counted_at=counted_at)
    return shape


def _document(payload: NamedFilterIn | NamedFilterPatch) -> Any:
    if payload.filter is None and payload.q is None:
        return None
    return queries.document_from(document=payload.filter, q=payload.q or "")


@router.get("/saved-filters", response=list[SavedFilterOut])
def list_saved_filters(request: HttpRequest):
    return [_named_json(request, s) for s in queries.saved_filters(request.user)]


@router.post("/saved-filters", response={201: SavedFilterOut})
def create_saved_filter(request: HttpRequest, payload: NamedFilterIn):
    saved = services.create_saved_filter(
        request.user, name=payload.name, document=_document(payload) or {}, shared=payload.shared
    )
    return Status(201, _named_json(request, saved))


@router.get("/saved-filters/{saved_filter_id}", response=SavedFilterOut)
def read_saved_filter(request: HttpRequest, saved_filter_id: int):
    return _named_json(request, queries.get_saved_filter(request.user, saved_filter_id))


@router.patch("/saved-filters/{saved_filter_id}", response=SavedFilterOut)
def update_saved_filter(request: HttpRequest, saved_filter_id: int, payload: NamedFilterPatch):
    saved = queries.get_saved_filter(request.user, saved_filter_id)
    services.update_saved_filter(
        request.user,
        saved,
        name=payload.name,
        document=_document(payload),
        shared=payload.shared,
    )
    return _named_json(request, saved)


@router.delete("/saved-filters/{saved_filter_id}", response={204: None})
def delete_saved_filter(request: HttpRequest, saved_filter_id: int):
    services.delete_saved_filter(
        request.user, queries.get_saved_filter(request.user, saved_filter_id)
    )
    return Status(204, None)


@router.get("/segments", response=list[SegmentOut], tags=["segments"])
def list_segments(request: HttpRequest):
    return [_named_json(request, s) for s in queries.segments(request.user)]


@router.post("/segments", response={201: SegmentOut}, tags=["segments"])
def create_segment(request: HttpRequest, payload: NamedFilterIn):
    segment = services.create_segment(
        request.user, name=payload.name, document=_document(payload) or {}, shared=payload.shared
    )
    return Status(201, _named_json(request, segment))


@router.get("/segments/{segment_id}", response=SegmentOut, tags=["segments"])
def read_segment(request: HttpRequest, segment_id: int):
    return _named_json(request, queries.get_segment(request.user, segment_id))


@router.patch("/segments/{segment_id}", response=SegmentOut, tags=["segments"])
def update_segment(request: HttpRequest, segment_id: int, payload: NamedFilterPatch):
    segment = queries.get_segment(request.user, segment_id)
    services.update_segment(
        request.user,
        segment,
        name=payload.name,
        document=_document(payload),
        shared=payload.shared,
    )
    return _named_json(request, segment)


@router.delete("/segments/{segment_id}", response={204: None}, tags=["segments"])
def delete_segment(request: HttpRequest, segment_id: int):
    services.delete_segment(request.user, queries.get_segment(request.user, segment_id))
    return Status(204, None)


@router.get("/segments/{segment_id}/contacts", response=SearchOut, tags=["segments"])
def segment_contacts(request: HttpRequest, segment_id: int, page: Query[PageQuery]):
    """The segment's contacts as the caller sees them (their own scope), with the count."""
    segment = queries.get_segment(request.user, segment_id)
    return _page(request, segment.document, page.limit, page.cursor)

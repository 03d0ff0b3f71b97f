"""REST endpoints for contacts, their tags and timeline, and custom detail definitions."""

import datetime as dt
import re

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kartoteka.activity.models import Activity
from kartoteka.contacts import queries, services, status_services
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import LeadStatus, PropertyDefinition, Source, StatusRules
from kartoteka.contacts.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    LeadStatusDeleted,
    LeadStatusIn,
    LeadStatusOrder,
    LeadStatusOut,
    LeadStatusPatch,
    PropertyIn,
    PropertyOut,
    PropertyPatch,
    StatusRulesIO,
    TagOut,
    TagPatch,
    TagsIn,
    TagsOut,
    TimelinePage,
    contact_json,
)
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import ErrorCollector, InvalidInput, NotFound
from kartoteka.core.openapi import one_of

router = Router(tags=["contacts"])

MAX_PAGE = 200


def _fresh(request: HttpRequest, contact_id: int, response: HttpResponse | None = None) -> dict:
    """Re-read the contact through the actor's scope, as the answer to a write."""
    contact = queries.get_contact(request.user, contact_id)
    if response is not None:
        response["ETag"] = f'"{contact.version}"'
    return contact_json(contact)


def _payload(fields: Schema) -> dict:
    """The fields the client sent, with nested objects as plain dicts (PATCH semantics)."""
    data = fields.model_dump(exclude_unset=True)
    data.pop("version", None)
    return data


# --------------------------------------------------------------------------------------------
# Contacts


class ContactFilters(Schema):
    search: str = Field("", description="Words found in the name, e-mail, phone or company")
    tag: str = ""
    owner: str = Field("", description="Username")
    status: str = Field("", description="Key of a lead status")
    source: str = Field("", json_schema_extra=one_of("", *Source.values))
    created_from: str = Field("", description="Date or date-time (inclusive)")
    created_to: str = Field("", description="Date or date-time (exclusive)")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}")
    cursor: str = Field("", description="next_cursor of the previous page")


def _when(value: str, field: str, errors: ErrorCollector) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        moment = None
    if moment is None:
        errors.add(field, _("Use a date (YYYY-MM-DD) or a date-time (ISO 8601)."))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _limit(value: int, errors: ErrorCollector) -> int:
    if not 1 <= value <= MAX_PAGE:
        errors.add("limit", _("limit must be between 1 and %(max_page)s.") % {"max_page": MAX_PAGE})
    return value


@router.get("/contacts", response=ContactPage)
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]):
    """Contacts the caller sees, newest first, one keyset page at a time."""
    errors = ErrorCollector()
    known = lead_statuses.load()
    if filters.status and filters.status not in known.by_key:
        errors.add(
            "status",
            _("Status must be one of: %(values)s.") % {"values": ", ".join(known.keys)},
        )
    if filters.source and filters.source not in Source.values:
        errors.add(
            "source",
            _("Source must be one of: %(join_source_values)s.")
            % {"join_source_values": ", ".join(Source.values)},
        )
    created_from = _when(filters.created_from, "created_from", errors)
    created_to = _when(filters.created_to, "created_to", errors)
    limit = _limit(filters.limit, errors)
    after_id = None
    if filters.cursor:
        try:
            (after_id,) = decode_cursor(filters.cursor, size=1)
        except InvalidInput as exc:
            errors.capture(exc)
        if after_id is not None and not isinstance(after_id, int):
            errors.add("cursor", _("Not a cursor from this list; start again without it."))
    errors.raise_if_any()
    contacts = queries.filter_contacts(
        request.user,
        search=filters.search,
        tag=filters.tag,
        owner=filters.owner,
        status=filters.status,
        source=filters.source,
        created_from=created_from,
        created_to=created_to,
    )
    items, next_after = queries.keyset_page(
        contacts, after_id=after_id, limit=limit, rows=queries.with_card_data
    )
    return {
        "items": [contact_json(c) for c in items],
        "next_cursor": encode_cursor(next_after) if next_after is not None else None,
    }


@router.post("/contacts", response={201: ContactOut})
def create_contact(request: HttpRequest, payload: ContactIn, response: HttpResponse):
    contact = services.create_contact(request.user, data=_payload(payload), source="api")
    return Status(201, _fresh(request, contact.pk, response))


@router.get("/contacts/{int:contact_id}", response=ContactOut)
def read_contact(request: HttpRequest, contact_id: int, response: HttpResponse):
    return _fresh(request, contact_id, response)


def _expected_version(request: HttpRequest, payload: ContactPatch) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if header:
        match = re.fullmatch(r'(?:W/)?"?(\d+)"?', header)
        if match is None:
            raise InvalidInput("If-Match", _('If-Match must be the contact\'s version, e.g. "3".'))
        return int(match.group(1))
    return payload.version


@router.patch("/contacts/{int:contact_id}", response=ContactOut)
def update_contact(
    request: HttpRequest, contact_id: int, payload: ContactPatch, response: HttpResponse
):
    """Change the fields sent. Send `If-Match: "<version>"` (or `version`) to get a 409 instead
    of overwriting someone else's newer edit."""
    contact = queries.get_contact(request.user, contact_id)
    services.update_contact(
        request.user,
        contact,
        data=_payload(payload),
        expected_version=_expected_version(request, payload),
    )
    return _fresh(request, contact_id, response)


@router.delete("/contacts/{int:contact_id}", response={204: None})
def delete_contact(request: HttpRequest, contact_id: int):
    services.delete_contact(request.user, queries.get_contact(request.user, contact_id))
    return Status(204, None)


@router.put("/contacts/by-email/{email}", response={200: ContactOut, 201: ContactOut})
def upsert_contact(request: HttpRequest, email: str, payload: ContactPatch, response: HttpResponse):
    """Create the contact with this e-mail (201) or update the one that has it (200).

    Sending the same body twice leaves the same contact."""
    data = _payload(payload)
    if "email" in data:
        raise InvalidInput("email", _("The e-mail address is the one in the URL; leave it out."))
    contact, created = services.upsert_contact_by_email(
        request.user, email=email, data=data, source="api"
    )
    return Status(201 if created else 200, _fresh(request, contact.pk, response))


# --------------------------------------------------------------------------------------------
# Tags


@router.post("/contacts/{int:contact_id}/tags", response=TagsOut, tags=["tags"])
def add_tags(request: HttpRequest, contact_id: int, payload: TagsIn):
    contact = queries.get_contact(request.user, contact_id)
    added = services.add_tags(request.user, contact, names=payload.tags, origin="api")
    return {"added": added, "tags": _fresh(request, contact_id)["tags"]}


@router.delete("/contacts/{int:contact_id}/tags/{name}", response={204: None}, tags=["tags"])
def remove_tag(request: HttpRequest, contact_id: int, name: str):
    contact = queries.get_contact(request.user, contact_id)
    services.remove_tag(request.user, contact, name=name)
    return Status(204, None)


@router.get("/tags", response=list[TagOut], tags=["tags"])
def list_tags(request: HttpRequest):
    """Every tag with its colour."""
    return list(queries.all_tags().values("name", "color"))


@router.patch("/tags/{name}", response=TagOut, tags=["tags"])
def update_tag(request: HttpRequest, name: str, payload: TagPatch):
    """Rename a tag or give it another colour of the palette (admins)."""
    return services.update_tag(
        request.user, queries.get_tag(name), name=payload.name, color=payload.color
    )


# --------------------------------------------------------------------------------------------
# Timeline


class TimelineFilters(Schema):
    kind: list[str] = Field([], description="Only these kinds (repeat the parameter)")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}")
    cursor: str = ""


def _entry(entry: Activity) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at,
        "actor": entry.actor.username if entry.actor else None,
        "actor_label": entry.actor_label,
        "detail_type": entry.detail_type,
        "detail_id": entry.detail_id,
        "payload": entry.payload,
    }


@router.get("/contacts/{int:contact_id}/timeline", response=TimelinePage, tags=["timeline"])
def contact_timeline(request: HttpRequest, contact_id: int, filters: Query[TimelineFilters]):
    """The contact's timeline, newest first, one keyset page at a time."""
    errors = ErrorCollector()
    limit = _limit(filters.limit, errors)
    after = None
    if filters.cursor:
        try:
            when, entry_id = decode_cursor(filters.cursor, size=2)
            moment = parse_datetime(when) if isinstance(when, str) else None
            if moment is None or not isinstance(entry_id, int):
                raise InvalidInput(
                    "cursor", _("Not a cursor from this list; start again without it.")
                )
            after = (moment, entry_id)
        except InvalidInput as exc:
            errors.capture(exc)
    errors.raise_if_any()
    items, next_after = queries.timeline_page(
        request.user, contact_id, after=after, limit=limit, kinds=filters.kind or None
    )
    return {
        "items": [_entry(e) for e in items],
        "next_cursor": encode_cursor(next_after[0].isoformat(), next_after[1])
        if next_after
        else None,
    }


# --------------------------------------------------------------------------------------------
# Custom detail definitions


def _property(definition: PropertyDefinition) -> dict:
    return {
        "id": definition.pk,
        "key": definition.key,
        "label": definition.label,
        "type": definition.type,
        "choices": definition.choices,
        "position": definition.position,
    }


@router.get("/properties", response=list[PropertyOut], tags=["custom details"])
def list_properties(request: HttpRequest):
    return [_property(d) for d in queries.all_property_definitions()]


@router.post("/properties", response={201: PropertyOut}, tags=["custom details"])
def define_property(request: HttpRequest, payload: PropertyIn):
    """Define a custom detail (admins)."""
    definition = services.define_property(
        request.user,
        key=payload.key,
        label=payload.label,
        type=payload.type,
        choices=payload.choices,
    )
    return Status(201, _property(definition))


@router.get("/properties/{key}", response=PropertyOut, tags=["custom details"])
def read_property(request: HttpRequest, key: str):
    return _property(queries.get_property_definition(key))


@router.patch("/properties/{key}", response=PropertyOut, tags=["custom details"])
def update_property(request: HttpRequest, key: str, payload: PropertyPatch):
    """Change a custom detail's label, choices or position (admins); key and type stay."""
    definition = services.update_property(
        request.user,
        queries.get_property_definition(key),
        label=payload.label,
        choices=payload.choices,
        position=payload.position,
    )
    return _property(definition)


@router.delete("/properties/{key}", response={204: None}, tags=["custom details"])
def delete_property(request: HttpRequest, key: str):
    """Delete a custom detail and its value on every contact (admins)."""
    services.delete_property(request.user, queries.get_property_definition(key))
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Lead statuses


def _lead_status(status) -> dict:
    return {
        "key": status.key,
        "name": status.label,
        "custom_name": status.name,
        "names": status.names,
        "meaning": status.meaning,
        "position": status.position,
    }


def _stored_status(key: str) -> LeadStatus:
    status = LeadStatus.objects.filter(key=key).first()
    if status is None:
        raise NotFound(_("No lead status with the key %(key)s.") % {"key": repr(key)})
    return status


@router.get("/lead-statuses", response=list[LeadStatusOut], tags=["lead statuses"])
def list_lead_statuses(request: HttpRequest):
    """The lead statuses in their order, names in the caller's language (every user)."""
    return [_lead_status(s) for s in lead_statuses.load().ordered]


@router.post("/lead-statuses", response={201: LeadStatusOut}, tags=["lead statuses"])
def create_lead_status(request: HttpRequest, payload: LeadStatusIn):
    """Add a status at the end of the order (admins)."""
    status = status_services.create_status(
        request.user, name=payload.name, meaning=payload.meaning, key=payload.key
    )
    return Status(201, _lead_status(lead_statuses.load().by_key[status.key]))


@router.put("/lead-statuses/order", response=list[LeadStatusOut], tags=["lead statuses"])
def reorder_lead_statuses(request: HttpRequest, payload: LeadStatusOrder):
    """Put the statuses in a new order: `keys` names every status once (admins)."""
    status_services.reorder_statuses(request.user, payload.keys)
    return [_lead_status(s) for s in lead_statuses.load().ordered]


@router.patch("/lead-statuses/{key}", response=LeadStatusOut, tags=["lead statuses"])
def update_lead_status(request: HttpRequest, key: str, payload: LeadStatusPatch):
    """Rename a status or change what it means (admins); its key never changes."""
    status_services.require_admin(request.user)
    status = status_services.update_status(
        request.user, _stored_status(key), name=payload.name, meaning=payload.meaning
    )
    return _lead_status(lead_statuses.load().by_key[status.key])


@router.delete("/lead-statuses/{key}", response=LeadStatusDeleted, tags=["lead statuses"])
def delete_lead_status(request: HttpRequest, key: str, move_to: str = ""):
    """Delete a status (admins). Its contacts move to `move_to`, each with a timeline entry;
    a status in use without `move_to` is a 409."""
    status_services.require_admin(request.user)
    return {
        "moved": status_services.delete_status(request.user, _stored_status(key), move_to=move_to)
    }


@router.get("/lead-status-rules", response=StatusRulesIO, tags=["lead statuses"])
def read_status_rules(request: HttpRequest):
    return {"deal_won_makes_client": StatusRules.load().deal_won_makes_client}


@router.put("/lead-status-rules", response=StatusRulesIO, tags=["lead statuses"])
def set_status_rules(request: HttpRequest, payload: StatusRulesIO):
    """Whether a won deal makes its contacts clients (admins)."""
    rules = status_services.set_rules(
        request.user, deal_won_makes_client=payload.deal_won_makes_client
    )
    return {"deal_won_makes_client": rules.deal_won_makes_client}

"""REST endpoints of events, eCommerce totals, coupons, event types, products and analytics."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.commerce import queries, services
from kartoteka.commerce.models import CouponSource, ExternalEvent
from kartoteka.commerce.schemas import (
    AnalyticsOut,
    CouponIn,
    CouponOut,
    CouponPatch,
    EcommerceOut,
    EventPage,
    EventsIn,
    EventsOut,
    EventsQuery,
    EventTypeIn,
    EventTypeOut,
    GenerateIn,
    GenerateOut,
    ProductOut,
)
from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import InvalidInput
from kartoteka.segments import queries as segments

router = Router(tags=["events and eCommerce"])


def event_json(event: ExternalEvent) -> dict:
    return {
        "id": event.client_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "value": event.value,
        "currency": event.currency,
        "converted_value": queries.money(event.amount) if event.rate is not None else None,
        "location": event.location,
        "coupon": event.coupon,
        "order": event.order_ref,
        "method": event.payment_method,
        "status": event.payment_status,
        "details": event.details,
        "products": list(event.lines.all()),
        "source": event.source,
    }


def coupon_json(coupon) -> dict:
    return {
        "id": coupon.pk,
        "contact_id": coupon.contact_id,
        "code": coupon.code,
        "description": coupon.description,
        "valid_from": coupon.valid_from,
        "valid_until": coupon.valid_until,
        "status": queries.coupon_status(coupon),
        "source": coupon.source,
        "used_at": coupon.used_at,
        "created_at": coupon.created_at,
    }


@router.post("/events", response=EventsOut)
def send_events(request: HttpRequest, payload: EventsIn):
    """Record up to 1,000 events. Each has your own `id` (sent again, it is a duplicate), a
    contact, a type, `occurred_at`, and optionally value, currency, products, location, coupon
    and up to 20 details. Rejected events are listed by their index, with their errors."""
    outcome = services.record_events(
        request.user, payload.events, create_contacts=payload.create_contacts
    )
    return {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": outcome.rejected,
    }


@router.get("/contacts/{contact_id}/events", response=EventPage, tags=["contacts"])
def contact_events(
    request: HttpRequest,
    contact_id: int,
    params: Query[EventsQuery],
):
    """A contact's events, newest first; filter by `type` and a time range (`from`, `to`)."""
    events = queries.contact_events(
        request.user, contact_id, type_name=params.type, since=params.since, until=params.until
    )
    page, following = queries.events_page(events, cursor=params.cursor or None, limit=params.limit)
    return {"items": [event_json(e) for e in page], "next_cursor": following}


@router.get("/contacts/{contact_id}/ecommerce", response=EcommerceOut, tags=["contacts"])
def contact_ecommerce(request: HttpRequest, contact_id: int):
    """The contact's eCommerce totals in the workspace currency, kept on every event."""
    found = queries.ecommerce(request.user, contact_id)
    return {**found.__dict__, "converted_events": found.converted}


@router.get("/contacts/{contact_id}/coupons", response=list[CouponOut], tags=["contacts"])
def contact_coupons(request: HttpRequest, contact_id: int):
    return [coupon_json(c) for c in queries.coupons_of(request.user, contact_id)]


@router.post("/contacts/{contact_id}/coupons", response={201: CouponOut}, tags=["contacts"])
def add_coupon(request: HttpRequest, contact_id: int, payload: CouponIn):
    contact = get_contact(request.user, contact_id)
    coupon = services.add_coupon(
        request.user, contact, data=payload.dict(), source=CouponSource.API
    )
    return Status(201, coupon_json(coupon))


@router.patch("/coupons/{int:coupon_id}", response=CouponOut)
def change_coupon(request: HttpRequest, coupon_id: int, payload: CouponPatch):
    coupon = queries.get_coupon(request.user, coupon_id)
    data = payload.dict(exclude_unset=True)
    return coupon_json(services.update_coupon(request.user, coupon, data=data))


@router.post("/coupons/generate", response={201: GenerateOut})
def generate_coupons(request: HttpRequest, payload: GenerateIn):
    """One new unique code for each contact of a filter or a segment (in your scope)."""
    if (payload.filter is None) == (payload.segment_id is None):
        raise InvalidInput("filter", _("Give either a filter or a segment_id."))
    if payload.segment_id is not None:
        segment = segments.get_segment(request.user, payload.segment_id)
        contacts = segments.filter_contacts(request.user, segment.document)
    else:
        contacts = segments.filter_contacts(request.user, payload.filter)
    created = services.generate_coupons(
        request.user,
        list(contacts.values_list("pk", flat=True)),
        prefix=payload.prefix,
        valid_until=payload.valid_until,
        description=payload.description,
    )
    return Status(201, {"created": created})


@router.get("/event-types", response=list[EventTypeOut])
def event_types(request: HttpRequest):
    return queries.event_types()


@router.post("/event-types", response={201: EventTypeOut})
def register_event_type(request: HttpRequest, payload: EventTypeIn):
    """Register a custom event type (admins)."""
    created = services.register_event_type(request.user, name=payload.name, label=payload.label)
    return Status(201, {"name": created.name, "label": created.label, "built_in": False})


@router.get("/products", response=list[ProductOut])
def products(request: HttpRequest, search: str = ""):
    """The products seen in events, with units, revenue and buyers in your scope."""
    return [
        {
            "sku": row["product"].sku,
            "name": row["product"].name,
            "price": row["product"].price,
            "currency": row["product"].currency,
            "category": row["product"].category,
            "url": row["product"].url,
            "units": row["units"],
            "revenue": row["revenue"],
            "buyers": row["buyers"],
        }
        for row in queries.products(request.user, search=search)
    ]


@router.get("/contacts/{contact_id}/analytics", response=AnalyticsOut, tags=["contacts"])
def contact_analytics(request: HttpRequest, contact_id: int, kind: str = "", days: int = 90):
    """The contact's activity by hour of day, by weekday (Monday first) and both."""
    found = queries.analytics(request.user, contact_id, kind=kind, days=days)
    return {"by_hour": found.by_hour, "by_weekday": found.by_weekday, "heatmap": found.heatmap}

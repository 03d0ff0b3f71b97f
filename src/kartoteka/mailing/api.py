"""REST endpoints: mailing lists and their subscribers."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.contacts.queries import get_contact
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import InvalidInput
from kartoteka.mailing import queries, services
from kartoteka.mailing.models import MailingList, SubscriptionSource
from kartoteka.mailing.schemas import (
    ListIn,
    ListOut,
    ListPatch,
    SubscribeOut,
    SubscriberPage,
    SubscriberQuery,
    SubscribersIn,
)

router = Router(tags=["mailing lists"])


def _list_json(request: HttpRequest, item: MailingList) -> dict:
    return {
        "id": item.pk,
        "key": item.key,
        "name": item.name,
        "description": item.description,
        "language": item.language,
        "double_opt_in": item.double_opt_in,
        "consent_text": item.consent_text,
        "counts": queries.counts(request.user, item),
        "subscribe_url": services.public_url("mailing:subscribe", key=item.key),
        "created_at": item.created_at,
    }


@router.get("/lists", response=list[ListOut])
def list_lists(request: HttpRequest):
    return [
        {**_list_json(request, item), "counts": counts}
        for item, counts in queries.lists_with_counts(request.user)
    ]


@router.post("/lists", response={201: ListOut})
def create_list(request: HttpRequest, payload: ListIn):
    created = services.create_list(request.user, data=payload.dict())
    return Status(201, _list_json(request, created))


@router.get("/lists/{list_id}", response=ListOut)
def read_list(request: HttpRequest, list_id: int):
    return _list_json(request, queries.get_list(list_id))


@router.patch("/lists/{list_id}", response=ListOut)
def update_list(request: HttpRequest, list_id: int, payload: ListPatch):
    item = queries.get_list(list_id)
    services.update_list(request.user, item, data=payload.dict(exclude_unset=True))
    return _list_json(request, item)


@router.delete("/lists/{list_id}", response={204: None})
def delete_list(request: HttpRequest, list_id: int):
    services.delete_list(request.user, queries.get_list(list_id))
    return Status(204, None)


@router.get("/lists/{list_id}/subscribers", response=SubscriberPage)
def list_subscribers(request: HttpRequest, list_id: int, page: Query[SubscriberQuery]):
    """Subscribers of the contacts the caller sees, newest id first, a keyset page at a time."""
    rows = queries.subscribers(request.user, queries.get_list(list_id), status=page.status)
    rows = rows.order_by("-pk")
    if page.cursor:
        (after,) = decode_cursor(page.cursor, size=1)
        if not isinstance(after, int) or isinstance(after, bool):
            raise InvalidInput("cursor", _("Not a cursor from this list; start again without it."))
        rows = rows.filter(pk__lt=after)
    found = list(rows[: page.limit + 1])
    more = len(found) > page.limit
    found = found[: page.limit]
    return {
        "items": [
            {
                "contact_id": s.contact_id,
                "email": s.contact.email,
                "status": s.status,
                "source": s.source,
                "since": s.status_at,
            }
            for s in found
        ],
        "next_cursor": encode_cursor(found[-1].pk) if more else None,
    }


@router.post("/lists/{list_id}/subscribers", response=SubscribeOut)
def add_subscribers(request: HttpRequest, list_id: int, payload: SubscribersIn):
    """Subscribe contacts (ids), a filter or a segment: with e-mail marketing consent they are
    subscribed, without it a double opt-in starts when asked (or the list asks for it);
    blocked and suppressed ones are refused, each count with its reason."""
    item = queries.get_list(list_id)
    given = [
        payload.contacts is not None,
        payload.filter is not None,
        payload.segment_id is not None,
    ]
    if sum(given) != 1:
        raise InvalidInput("__all__", _("Give exactly one of contacts, filter or segment_id."))
    if payload.contacts is not None:
        result = services.subscribe_contacts(
            request.user,
            item,
            contact_ids=payload.contacts,
            double_opt_in=payload.double_opt_in,
            source=SubscriptionSource.API,
        )
    else:
        result = services.subscribe_matching(
            request.user,
            item,
            document=payload.filter,
            segment_id=payload.segment_id,
            double_opt_in=payload.double_opt_in,
        )
    return {**result.as_dict(), "reasons": services.reasons()}


@router.delete("/lists/{list_id}/subscribers/{contact_id}", response={204: None})
def remove_subscriber(request: HttpRequest, list_id: int, contact_id: int):
    item = queries.get_list(list_id)
    services.remove_subscriber(request.user, item, get_contact(request.user, contact_id))
    return Status(204, None)

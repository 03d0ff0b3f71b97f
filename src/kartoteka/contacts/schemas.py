"""API shapes of contacts, their tags and timeline, and custom detail definitions."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from kartoteka.contacts import tag_colors
from kartoteka.contacts.models import Contact, PropertyType, Source, StatusMeaning
from kartoteka.core.openapi import one_of


class Strict(Schema):
    """Input shapes refuse unknown fields, so a typo is a 422 instead of a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class EmailEntry(Strict):
    email: str
    primary: bool = False


class PhoneEntry(Strict):
    phone: str
    primary: bool = False


class MessengerEntry(Strict):
    network: str
    handle: str


class Address(Strict):
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = Field(None, description="ISO 3166 alpha-2 code or a country name")


class Attribution(Strict):
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    gclid: str | None = None
    ads_campaign: str | None = None
    ads_group: str | None = None
    ads_keyword: str | None = None
    ads_network: str | None = None
    ads_device: str | None = None
    ads_id: str | None = None


class ContactFields(Strict):
    """Every writable field; on PATCH only the fields sent change."""

    email: str | None = Field(None, description="The primary e-mail address")
    emails: list[EmailEntry | str] | None = Field(
        None, description="Every address; replaces the list. The first or the marked is primary."
    )
    phone: str | None = Field(None, description="The primary phone, stored in E.164")
    phones: list[PhoneEntry | str] | None = None
    messengers: list[MessengerEntry] | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = Field(None, description="Company name; created on first use")
    job_title: str | None = None
    address: Address | None = None
    fax: str | None = None
    birthday: date | None = None
    score: int | None = None
    status: str | None = Field(
        None,
        description="Key of a lead status (GET /api/v1/lead-statuses); a status's name works too",
    )
    status_reason: str | None = Field(
        None, description="Why the status changed, kept on the timeline"
    )
    owners: list[str] | None = Field(None, description="Usernames")
    source: str | None = Field(None, json_schema_extra=one_of(*Source.values, None))
    attribution: Attribution | None = None
    created_ip: str | None = None
    created_url: str | None = None
    properties: dict[str, Any] | None = Field(
        None, description="Custom details by key; null removes a value"
    )
    tags: list[str] | None = Field(None, description="Replaces the tags (on create: sets them)")


class ContactIn(ContactFields):
    email: str = Field(..., description="The primary e-mail address (required)")


class ContactPatch(ContactFields):
    version: int | None = Field(
        None, description="The version you read; a newer one on the server answers 409"
    )


class EmailOut(Schema):
    email: str
    primary: bool


class PhoneOut(Schema):
    phone: str
    primary: bool


class MessengerOut(Schema):
    network: str
    handle: str


class AddressOut(Schema):
    street: str
    city: str
    postal_code: str
    region: str
    country: str


class TagDetailOut(Schema):
    name: str
    color: str = Field(description="The tag's colour, one of the palette (see GET /tags)")
    origin: str
    origin_label: str
    added_by: str | None
    added_at: datetime


class ContactOut(Schema):
    id: int
    email: str
    emails: list[EmailOut]
    phone: str
    phones: list[PhoneOut]
    messengers: list[MessengerOut]
    first_name: str
    last_name: str
    company: str | None
    job_title: str
    address: AddressOut
    fax: str
    birthday: date | None
    score: int
    status: str
    owners: list[str]
    source: str
    attribution: dict[str, str]
    created_ip: str | None
    created_url: str
    properties: dict[str, Any]
    tags: list[str]
    tag_details: list[TagDetailOut] = Field(description="Who or what added each tag, and when")
    version: int
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")


class TagsIn(Strict):
    tags: list[str]


class TagOut(Schema):
    name: str
    color: str = Field(json_schema_extra=one_of(*tag_colors.COLORS))


class TagPatch(Strict):
    name: str | None = None
    color: str | None = Field(
        None,
        description="One of the palette's colours",
        json_schema_extra=one_of(*tag_colors.COLORS, None),
    )


class TagsOut(Schema):
    added: list[str] = Field(description="Tags that were new on this contact")
    tags: list[str]


class TimelineEntryOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    actor: str | None
    actor_label: str
    detail_type: str
    detail_id: int | None
    payload: dict[str, Any]


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class PropertyIn(Strict):
    key: str
    label: str
    type: str = Field(
        description="text, number, decimal, date, boolean, url, dictionary or multi_choice",
        json_schema_extra=one_of(*PropertyType.values),
    )
    choices: list[str] | None = None


class PropertyPatch(Strict):
    label: str | None = None
    choices: list[str] | None = None
    position: int | None = None


class PropertyOut(Schema):
    id: int
    key: str
    label: str
    type: str
    choices: list[str]
    position: int


def contact_json(contact: Contact) -> dict:
    """The API shape of a contact; reads only what `queries.with_card_data` prefetches."""
    links = sorted(contact.tag_links.all(), key=lambda link: link.tag.name.casefold())
    return {
        "id": contact.pk,
        "email": contact.email,
        "emails": [{"email": e.email, "primary": e.is_primary} for e in contact.emails.all()],
        "phone": contact.phone,
        "phones": [{"phone": p.number, "primary": p.is_primary} for p in contact.phones.all()],
        "messengers": [
            {"network": m.network, "handle": m.handle} for m in contact.messengers.all()
        ],
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company.name if contact.company else None,
        "job_title": contact.job_title,
        "address": {
            "street": contact.street,
            "city": contact.city,
            "postal_code": contact.postal_code,
            "region": contact.region,
            "country": contact.country,
        },
        "fax": contact.fax,
        "birthday": contact.birthday,
        "score": contact.score,
        "status": contact.status,
        "owners": sorted(u.username for u in contact.owners.all()),
        "source": contact.source,
        "attribution": contact.attribution,
        "created_ip": contact.created_ip,
        "created_url": contact.created_url,
        "properties": contact.properties or {},
        "tags": [link.tag.name for link in links],
        "tag_details": [
            {
                "name": link.tag.name,
                "color": link.tag.color,
                "origin": link.origin,
                "origin_label": link.origin_label,
                "added_by": link.added_by.username if link.added_by else None,
                "added_at": link.added_at,
            }
            for link in links
        ],
        "version": contact.version,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "last_activity_at": contact.last_activity_at,
    }


# --------------------------------------------------------------------------------------------
# Lead statuses


class LeadStatusIn(Strict):
    name: str = Field(description="Shown to every user; unique in every language")
    meaning: str = Field(
        "open",
        description="open, won (a client), lost or discarded",
        json_schema_extra=one_of(*StatusMeaning.values),
    )
    key: str | None = Field(
        None, description="1-20 lower-case letters, digits, underscores; made from the name"
    )


class LeadStatusPatch(Strict):
    name: str | None = Field(
        None, description='New name; "" gives a shipped status its translated names back'
    )
    meaning: str | None = Field(None, json_schema_extra=one_of(*StatusMeaning.values, None))


class LeadStatusOrder(Strict):
    keys: list[str] = Field(description="Every status's key once, in the new order")


class LeadStatusOut(Schema):
    key: str
    name: str = Field(description="In the caller's language")
    custom_name: str = Field(description='The admin\'s name; "" for a shipped name')
    names: dict[str, str] = Field(description="A shipped status's names by language")
    meaning: str
    position: int


class LeadStatusDeleted(Schema):
    moved: int = Field(description="How many contacts moved to `move_to`")


class StatusRulesIO(Strict):
    deal_won_makes_client: bool = Field(
        description="A deal moved to a won stage makes its contacts clients"
    )

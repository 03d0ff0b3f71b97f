"""Every read of consents: the state in force and the ledger, suppressed addresses, blocked
contacts, purposes. Reads for a person start from the actor's scope; the bare look-ups by id
serve other apps' services (mailing checks thousands of contacts at once)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.consents.addresses import (
    EMAIL_CHANNELS,
    PHONE_CHANNELS,
    channels_of,
    hash_folded,
    hash_or_none,
    stored_email_hash,
)
from kartoteka.consents.models import (
    Block,
    Channel,
    ConsentEntry,
    ConsentState,
    LegalText,
    Purpose,
    Status,
    Suppression,
)
from kartoteka.contacts.models import Contact, ContactEmail, ContactPhone
from kartoteka.contacts.queries import get_contact
from kartoteka.core.bulkwrite import among, listed
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import visible_contacts

NONE = "none"


# --------------------------------------------------------------------------------------------
# The consent in force


def consent_status(contact: Any, *, channel: str, purpose: str) -> str:
    """ "granted", "withdrawn" or "none" for the contact on this channel and purpose."""
    found = (
        ConsentState.objects.filter(contact_id=contact.pk, channel=channel, purpose=purpose)
        .values_list("status", flat=True)
        .first()
    )
    return found or NONE


def statuses_on(contact: Any, *, channels: Iterable[str], purpose: str) -> dict[str, str]:
    """{channel: status} of the contact's consents in force for the purpose on those channels
    (a channel without one is left out), in one query."""
    return dict(
        ConsentState.objects.filter(
            contact_id=contact.pk, channel__in=list(channels), purpose=purpose
        ).values_list("channel", "status")
    )


def consent_statuses(contact_ids: Iterable[int], *, channel: str, purpose: str) -> dict[int, str]:
    """The status of each of the contacts ("none" for those without one)."""
    ids = list(dict.fromkeys(contact_ids))
    found = dict.fromkeys(ids, NONE)
    if ids:
        found.update(
            ConsentState.objects.filter(
                contact_id__in=listed(ids), channel=channel, purpose=purpose
            ).values_list("contact_id", "status")
        )
    return found


def with_consent(channel: str, purpose: str, status: str) -> QuerySet:
    """Ids of the contacts whose consent in force has this status, for counting from the state
    table's index alone."""
    return ConsentState.objects.filter(channel=channel, purpose=purpose, status=status).values(
        "contact_id"
    )


def given_times(keys: set[tuple[int, str, str]]) -> dict[tuple[int, str, str], Any]:
    """When the consent in force was given, per (contact id, channel, purpose) that has one."""
    found: dict[tuple[int, str, str], Any] = {}
    pairs = {(channel, purpose) for _id, channel, purpose in keys}
    for channel, purpose in pairs:
        ids = [i for i, ch, p in keys if ch == channel and p == purpose]
        for contact_id, given_at in ConsentState.objects.filter(
            contact_id__in=listed(ids), channel=channel, purpose=purpose
        ).values_list("contact_id", "given_at"):
            found[(contact_id, channel, purpose)] = given_at
    return found


def consent_of_contact(channel: str, purpose: str, status: str | None) -> QuerySet:
    """The state row of the outer query's contact on channel and purpose (with this status, if
    given), for EXISTS in the filters."""
    rows = ConsentState.objects.filter(contact_id=OuterRef("pk"), channel=channel, purpose=purpose)
    return rows.filter(status=status) if status else rows


@dataclass(frozen=True)
class ContactConsents:
    contact: Contact
    current: list[ConsentState]
    history: list[ConsentEntry]
    blocked: Block | None
    suppressed: list[str]


def contact_consents(actor: Any, contact_id: int) -> ContactConsents:
    """The contact's consents in force and their history, newest first; NotFound outside the
    actor's scope."""
    contact = get_contact(actor, contact_id)
    current = list(ConsentState.objects.filter(contact=contact).order_by("channel", "purpose"))
    history = list(
        ConsentEntry.objects.filter(contact=contact)
        .select_related("actor")
        .order_by("-given_at", "-pk")
    )
    block = Block.objects.filter(contact=contact).order_by("-blocked_at").first()
    return ContactConsents(contact, current, history, block, suppressed_channels(contact))


def states_of(contact_ids: Iterable[int]) -> dict[int, dict[tuple[str, str], str]]:
    """{contact id: {(channel, purpose): status}} for list and export columns."""
    ids = list(contact_ids)
    found: dict[int, dict[tuple[str, str], str]] = {i: {} for i in ids}
    for contact_id, channel, purpose, status in ConsentState.objects.filter(
        contact_id__in=listed(ids)
    ).values_list("contact_id", "channel", "purpose", "status"):
        found[contact_id][(channel, purpose)] = status
    return found


def editable_among(actor: Any, contact_ids: Iterable[int]) -> set[int]:
    """The contacts among these the actor may change: all for admins and the system, their own
    for sales users; ids of no contact are left out."""
    ids = listed(contact_ids)
    return set(visible_contacts(actor).filter(pk__in=ids).values_list("pk", flat=True))


# --------------------------------------------------------------------------------------------
# Purposes and legal texts


BUILTIN_NAMES = {
    "processing": gettext_lazy("Processing of personal data"),
    "marketing": gettext_lazy("Marketing"),
}


def purpose_keys(*, active_only: bool = False) -> set[str]:
    """Keys of the purposes consent can be recorded for (built-in ones always)."""
    rows = Purpose.objects.all()
    if active_only:
        rows = rows.filter(is_active=True)
    return set(BUILTIN_NAMES) | set(rows.values_list("key", flat=True))


def purpose_names() -> dict[str, str]:
    """{key: name as people read it}: built-in purposes translated, the others as named."""
    names = {p.key: p.name for p in Purpose.objects.exclude(key__in=list(BUILTIN_NAMES))}
    return {**{key: str(name) for key, name in BUILTIN_NAMES.items()}, **names}


@dataclass(frozen=True)
class PurposeTexts:
    purpose: Purpose
    texts: list[LegalText]  # newest first


def purposes() -> list[PurposeTexts]:
    """Every purpose with its legal texts, built-in ones first (unsaved while without a text),
    for the settings page."""
    rows = {p.key: p for p in Purpose.objects.prefetch_related("texts")}
    found = []
    for key, name in BUILTIN_NAMES.items():
        purpose = rows.pop(key, None) or Purpose(key=key, builtin=True)
        purpose.name = str(name)
        found.append(purpose)
    found += sorted(rows.values(), key=lambda p: p.key)
    return [
        PurposeTexts(p, sorted(p.texts.all(), key=lambda t: -t.version) if p.pk else [])
        for p in found
    ]


def get_purpose(key: str) -> Purpose:
    """The purpose with this key (a built-in one unsaved while it has no row); NotFound."""
    found = Purpose.objects.filter(key=key).first()
    if found is None and key in BUILTIN_NAMES:
        found = Purpose(key=key, name=str(BUILTIN_NAMES[key]), builtin=True)
    if found is None:
        raise NotFound(_("No such purpose."))
    return found


def text_versions(purpose: str) -> set[int]:
    return set(LegalText.objects.filter(purpose__key=purpose).values_list("version", flat=True))


def text_versions_of(purposes: Iterable[str]) -> dict[str, set[int]]:
    """The legal text versions of each of these purposes, in one query."""
    found: dict[str, set[int]] = {}
    keys = list(purposes)
    if not keys:
        return found
    rows = LegalText.objects.filter(purpose__key__in=keys).values_list("purpose__key", "version")
    for key, version in rows:
        found.setdefault(key, set()).add(version)
    return found


def current_text(purpose: str) -> LegalText | None:
    """The latest version of the purpose's legal text (what a form shows now)."""
    return LegalText.objects.filter(purpose__key=purpose).order_by("-version").first()


# --------------------------------------------------------------------------------------------
# Addresses and suppression


def address_hashes(
    contact_ids: Iterable[int], *, channel: str, among: list[int] | None = None
) -> set[str]:
    """Hashes of the addresses through which the channel reaches these contacts. `among`: the
    ids of ledger entries just written for them, so that thousands of contacts are read with
    one query (through the entries) instead of a list of ids per query."""
    ids = set(contact_ids)
    rows: list[tuple[int, str]] = []
    for stored in _addresses(ids, channel, among):
        rows += [(contact_id, value) for contact_id, value in stored if contact_id in ids]
    if channel in EMAIL_CHANNELS:
        return {stored_email_hash(value) for _id, value in rows if value}
    return {hash_folded(value) for _id, value in rows if value}


def _addresses(ids: set[int], channel: str, among: list[int] | None):
    """(contact id, address) rows of the contacts' addresses on the channel, per query."""
    if channel in EMAIL_CHANNELS:
        model, column, primary = ContactEmail, "email", "email"
    elif channel in PHONE_CHANNELS:
        model, column, primary = ContactPhone, "number", "phone"
    else:
        return
    if among:
        # Entries written together have ids in one range: the database finds their contacts.
        written = ConsentEntry.objects.filter(pk__gte=min(among), pk__lte=max(among)).values(
            "contact_id"
        )
        yield model.objects.filter(contact_id__in=written).values_list("contact_id", column)
        yield Contact.objects.filter(pk__in=written).values_list("pk", primary)
        return
    yield model.objects.filter(contact_id__in=listed(ids)).values_list("contact_id", column)
    yield Contact.objects.filter(pk__in=listed(ids)).values_list("pk", primary)


def contacts_with_suppressed_address(contact_ids: Iterable[int], *, channel: str) -> set[int]:
    """The contacts among these with an address suppressed on the channel."""
    ids = set(contact_ids)
    by_hash: dict[str, set[int]] = {}
    fold = stored_email_hash if channel in EMAIL_CHANNELS else hash_folded
    for stored in _addresses(ids, channel, None):
        for contact_id, value in stored:
            if value:
                by_hash.setdefault(fold(value), set()).add(contact_id)
    found: set[int] = set()
    if not by_hash:
        return found
    for hashed in Suppression.objects.filter(
        channel=channel, address_hash__in=listed(by_hash, text=True)
    ).values_list("address_hash", flat=True):
        found |= by_hash[hashed]
    return found


def suppressed_channels(contact: Any) -> list[str]:
    """The channels on which an address of the contact is suppressed (new consent needed)."""
    return [
        channel
        for channel in (*EMAIL_CHANNELS, *PHONE_CHANNELS)
        if contacts_with_suppressed_address([contact.pk], channel=channel)
    ]


def is_suppressed(address: str, *, channel: str | None = None) -> bool:
    """Whether the address may not be contacted (on `channel`, else on any channel it reaches)
    without new consent."""
    return bool(suppressed_among([address], channel=channel))


def suppressed_among(addresses: Iterable[str], *, channel: str | None = None) -> set[str]:
    """The addresses among these (as given) that are suppressed."""
    by_key: dict[tuple[str, str], set[str]] = {}
    for address in addresses:
        hashed = hash_or_none(address)
        if hashed is None:
            continue
        for reached in (channel,) if channel else channels_of(address):
            by_key.setdefault((hashed, reached), set()).add(address)
    found: set[str] = set()
    if not by_key:
        return found
    hashes = {h for h, _ch in by_key}
    for hashed, reached in Suppression.objects.filter(
        address_hash__in=listed(hashes, text=True)
    ).values_list("address_hash", "channel"):
        found |= by_key.get((hashed, reached), set())
    return found


# --------------------------------------------------------------------------------------------
# Blocking


def is_blocked(contact: Any) -> bool:
    return Block.objects.filter(contact_id=contact.pk).exists()


def blocked_among(contact_ids: Iterable[int]) -> set[int]:
    return set(
        Block.objects.filter(contact_id__in=listed(contact_ids)).values_list(
            "contact_id", flat=True
        )
    )


def block_of_contact() -> QuerySet:
    """The block rows of the outer query's contact, for EXISTS in the filters."""
    return Block.objects.filter(contact_id=OuterRef("pk"))


@dataclass(frozen=True)
class EmailChecks:
    """What e-mailing each contact of a batch depends on (see email_checks)."""

    blocked: set[int]
    suppressed: set[int]
    consent: dict[int, str]


def email_checks(contacts: Iterable[tuple[int, str]], *, purpose: str) -> EmailChecks:
    """For (contact id, e-mail address as contacts store it) pairs: the contacts blocked,
    those whose address is suppressed for e-mail, and each one's consent to e-mail for
    `purpose` ("none" without one), read with one query for the whole batch. The addresses
    are contacts' own, normalised already, so they are hashed without being checked again."""
    by_hash: dict[str, list[int]] = {}
    consent: dict[int, str] = {}
    for contact_id, email in contacts:
        consent[contact_id] = NONE
        if email:
            by_hash.setdefault(stored_email_hash(email), []).append(contact_id)
    blocked: set[int] = set()
    suppressed: set[int] = set()
    if not consent:
        return EmailChecks(blocked, suppressed, consent)
    of_contacts, ids = among("contact_id", consent)
    of_addresses, hashes = among("address_hash", by_hash, text=True)
    table = connection.ops.quote_name
    email = Channel.EMAIL.value
    sql = (
        f"SELECT 'blocked', contact_id, '' FROM {table(Block._meta.db_table)} WHERE {of_contacts}"
        f" UNION ALL SELECT 'consent', contact_id, status FROM {table(ConsentState._meta.db_table)}"
        f" WHERE channel = %s AND purpose = %s AND {of_contacts}"
        f" UNION ALL SELECT 'suppressed', 0, address_hash FROM {table(Suppression._meta.db_table)}"
        f" WHERE channel = %s AND {of_addresses}"
    )
    params = [*ids, email, purpose, *ids, email, *hashes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for what, contact_id, value in cursor.fetchall():
            if what == "blocked":
                blocked.add(contact_id)
            elif what == "consent":
                consent[contact_id] = value
            else:
                suppressed.update(by_hash[value])
    return EmailChecks(blocked, suppressed, consent)


def channel_label(channel: str) -> str:
    return str(dict(Channel.choices).get(channel, channel))


def status_label(status: str) -> str:
    if status == NONE:
        return _("No consent")
    return str(dict(Status.choices).get(status, status))

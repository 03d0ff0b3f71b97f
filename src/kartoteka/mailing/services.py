"""Writes of mailing lists: lists, subscriptions (one plan for one contact or a hundred thousand),
double opt-in, unsubscribe and preferences, and the e-mails Kartoteka sends (queued, recorded,
delivered by the worker with retries, each on the recipient's timeline)."""

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activity.markdown import render_markdown
from kartoteka.activity.services import record_entry, record_many
from kartoteka.consents import queries as consent_queries
from kartoteka.consents import services as consent_services
from kartoteka.contacts.models import Contact
from kartoteka.core import bulkload, events
from kartoteka.core.bulkwrite import insert_values
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import clean_text, fold_email
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import SYSTEM, SystemActor, is_admin, system_label, user_or_none
from kartoteka.mailing import kinds, tokens
from kartoteka.mailing.models import (
    EmailKind,
    EmailStatus,
    Mailing,
    MailingList,
    OutgoingEmail,
    RunStatus,
    SubscribeRun,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
)

Actor = User | SystemActor
CHANNEL, PURPOSE = "email", "marketing"
KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
MAX_NAME = 120
MAX_SUBJECT = 200
MAX_BODY = 100_000
# Contacts per batch of checks and writes, and e-mails per delivery task.
BATCH = 5000
DELIVERY_BATCH = 200
MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(minutes=5)


def reasons() -> dict[str, str]:
    """Why a contact was not subscribed, as a person reads it."""
    return {
        "blocked": _("The contact is blocked."),
        "suppressed": _("The address unsubscribed or was suppressed; it needs new consent."),
        "no_consent": _("No e-mail marketing consent; subscribe with double opt-in instead."),
        "no_email": _("The contact has no e-mail address."),
    }


# --------------------------------------------------------------------------------------------
# Lists


def _require_admin(actor: Actor) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only admins may change mailing lists."))


def _clean_list(data: dict, *, partial: bool, exclude_id: int | None = None) -> dict:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "key" in data or not partial:
        key = data.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            errors.setdefault("key", []).append(
                _("Use 1-60 lower-case letters, digits and dashes, e.g. newsletter.")
            )
        elif MailingList.objects.filter(key=key).exclude(pk=exclude_id).exists():
            raise Conflict(_("Another list has the key %(key)s.") % {"key": key}, field="key")
        else:
            cleaned["key"] = key
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.setdefault("name", []).append(_("Give it a name."))
        elif len(name.strip()) > MAX_NAME:
            errors.setdefault("name", []).append(
                _("A name may be at most %(max_name)s characters.") % {"max_name": MAX_NAME}
            )
        else:
            cleaned["name"] = " ".join(name.split())
    if "language" in data or not partial:
        language = data.get("language", settings.LANGUAGE_CODE)
        if language not in dict(settings.LANGUAGES):
            errors.setdefault("language", []).append(
                _("Choose one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))}
            )
        else:
            cleaned["language"] = language
    for name in ("description", "consent_text"):
        if name in data:
            try:
                cleaned[name] = clean_text(data[name] or "", field=name, max_length=5000)
            except InvalidInput as exc:
                for field_name, messages in exc.errors.items():
                    errors.setdefault(field_name, []).extend(messages)
    if "double_opt_in" in data:
        if not isinstance(data["double_opt_in"], bool):
            errors.setdefault("double_opt_in", []).append(_("Must be true or false."))
        else:
            cleaned["double_opt_in"] = data["double_opt_in"]
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


@transaction.atomic
def create_list(actor: Actor, *, data: dict) -> MailingList:
    _require_admin(actor)
    cleaned = _clean_list(data, partial=False)
    if not cleaned.get("consent_text"):
        cleaned["consent_text"] = default_consent_text(cleaned["language"])
    mailing_list = MailingList.objects.create(**cleaned)
    events.publish("list.created", list_id=mailing_list.pk, actor_id=actor.pk)
    return mailing_list


def default_consent_text(language: str) -> str:
    with translation.override(language):
        return _("I agree to receive this list's e-mails and know that I can leave at any time.")


@transaction.atomic
def update_list(actor: Actor, mailing_list: MailingList, *, data: dict) -> MailingList:
    _require_admin(actor)
    cleaned = _clean_list(data, partial=True, exclude_id=mailing_list.pk)
    if "consent_text" in cleaned and cleaned["consent_text"] != mailing_list.consent_text:
        # A consent given from now on names the new text.
        mailing_list.consent_version += 1
    for name, value in cleaned.items():
        setattr(mailing_list, name, value)
    mailing_list.save()
    events.publish("list.changed", list_id=mailing_list.pk, actor_id=actor.pk)
    return mailing_list


@transaction.atomic
def delete_list(actor: Actor, mailing_list: MailingList) -> None:
    _require_admin(actor)
    list_id = mailing_list.pk
    mailing_list.delete()
    events.publish("list.deleted", list_id=list_id, actor_id=actor.pk)


# --------------------------------------------------------------------------------------------
# Subscribing: one plan, whatever the number of contacts


@dataclass
class SubscribeResult:
    subscribed: int = 0
    pending: int = 0
    already: int = 0
    refused: Counter = field(default_factory=Counter)

    def add(self, other: "SubscribeResult") -> None:
        self.subscribed += other.subscribed
        self.pending += other.pending
        self.already += other.already
        self.refused.update(other.refused)

    def as_dict(self) -> dict:
        return {
            "subscribed": self.subscribed,
            "pending": self.pending,
            "already": self.already,
            "refused": dict(self.refused),
        }


@dataclass
class _Decision:
    contact_id: int
    email: str
    status: str  # subscribed, pending, or "" (refused or unchanged)
    reason: str = ""
    existing_id: int | None = None


def _decide(
    mailing_list: MailingList, contacts: list[tuple[int, str]], *, double_opt_in: bool
) -> list[_Decision]:
    """What subscribing does for each (contact id, e-mail): the list's subscriptions of the
    batch in one query, the checks of consent, blocking and suppression in another."""
    ids = {contact_id for contact_id, _email in contacts}
    existing, statuses = {}, {}
    # The list's subscriptions in the batch's range of ids (batches come in id order): one
    # range of the (list, contact) index, which no stale planner statistics can turn into a
    # join that rereads the batch's ids for every subscription.
    for contact_id, pk, status in Subscription.objects.filter(
        mailing_list=mailing_list, contact_id__gte=min(ids), contact_id__lte=max(ids)
    ).values_list("contact_id", "pk", "status"):
        if contact_id in ids:
            existing[contact_id], statuses[pk] = pk, status
    checks = consent_queries.email_checks(contacts, purpose=PURPOSE)
    decisions = []
    for contact_id, email in contacts:
        found = existing.get(contact_id)
        current = statuses.get(found) if found else None
        decision = _Decision(contact_id, email, "", existing_id=found)
        if not email:
            decision.reason = "no_email"
        elif contact_id in checks.blocked:
            decision.reason = "blocked"
        elif current == SubscriptionStatus.SUBSCRIBED:
            decision.reason = "already"
        elif contact_id in checks.suppressed:
            decision.reason = "suppressed"
        elif checks.consent[contact_id] == "granted":
            decision.status = SubscriptionStatus.SUBSCRIBED
        elif not double_opt_in:
            decision.reason = "no_consent"
        elif current == SubscriptionStatus.PENDING:
            decision.reason = "already"
        else:
            decision.status = SubscriptionStatus.PENDING
        decisions.append(decision)
    return decisions


def _apply(
    actor: Actor,
    mailing_list: MailingList,
    decisions: list[_Decision],
    *,
    source: str,
    request_proof: dict | None = None,
) -> tuple[SubscribeResult, list[int]]:
    """Write what `_decide` decided: new subscription rows in one multi-row write, changed
    ones in one UPDATE per status, their timeline entries in bulk, and the confirmation
    e-mails of the pending ones queued. Returns the counts and the queued e-mails' ids."""
    now = timezone.now()
    result = SubscribeResult()
    new_rows, changed = [], {SubscriptionStatus.SUBSCRIBED: [], SubscriptionStatus.PENDING: []}
    entries, confirm = [], []
    proof = request_proof or {}
    # One entry per status, copied for each contact: every entry of the batch says the same.
    entry_of = {
        status: kinds.subscription_changed(
            None,
            status=status,
            list_name=mailing_list.name,
            source=source,
            actor=user_or_none(actor),
            actor_label=system_label(actor),
            occurred_at=now,
        )
        for status in (SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.PENDING)
    }
    for decision in decisions:
        if not decision.status:
            if decision.reason == "already":
                result.already += 1
            else:
                result.refused[decision.reason] += 1
            continue
        if decision.status == SubscriptionStatus.SUBSCRIBED:
            result.subscribed += 1
        else:
            result.pending += 1
            confirm.append((decision.contact_id, decision.email))
        if decision.existing_id is None:
            new_rows.append(
                (
                    mailing_list.pk,
                    decision.contact_id,
                    decision.status,
                    source,
                    now,
                    now,
                    proof.get("ip") or None,
                    proof.get("user_agent", "")[:500],
                    proof.get("page_url", "")[:2000],
                )
            )
        else:
            changed[decision.status].append(decision.existing_id)
        entries.append(entry_of[decision.status]._replace(contact_id=decision.contact_id))
    insert_values(
        Subscription,
        [
            "mailing_list",
            "contact",
            "status",
            "source",
            "status_at",
            "created_at",
            "request_ip",
            "request_agent",
            "request_url",
        ],
        new_rows,
    )
    for status, ids in changed.items():
        for start in range(0, len(ids), BATCH):
            Subscription.objects.filter(pk__in=ids[start : start + BATCH]).update(
                status=status,
                source=source,
                status_at=now,
                request_ip=proof.get("ip") or None,
                request_agent=proof.get("user_agent", "")[:500],
                request_url=proof.get("page_url", "")[:2000],
            )
    record_many(entries)
    queued = _queue(
        [
            (contact_id, email, EmailKind.CONFIRMATION, mailing_list.pk, None)
            for contact_id, email in confirm
        ]
    )
    return result, queued


def _subscribe_rows(
    actor: Actor,
    mailing_list: MailingList,
    rows: Iterable[tuple[int, str]],
    *,
    double_opt_in: bool,
    source: str,
    progress=None,
    refusals: dict[int, str] | None = None,
) -> SubscribeResult:
    """Decide and write batch by batch, each batch in a transaction of its own (on
    PostgreSQL two or more side by side, core.bulkload.side_by_side: batches are disjoint
    contacts); `progress(done, result)` after each batch; the reason of each refused contact
    goes into `refusals` when given."""
    total = SubscribeResult()
    queued: list[int] = []
    done = 0

    def write(batch: list[tuple[int, str]]) -> tuple[int, list[_Decision], SubscribeResult, list]:
        with transaction.atomic():
            decisions = _decide(mailing_list, batch, double_opt_in=double_opt_in)
            result, ids = _apply(actor, mailing_list, decisions, source=source)
        return len(batch), decisions, result, ids

    for size, decisions, result, ids in bulkload.side_by_side(write, _batches(rows)):
        if refusals is not None:
            refusals.update(
                (d.contact_id, d.reason) for d in decisions if d.reason not in ("", "already")
            )
        total.add(result)
        queued.extend(ids)
        done += size
        if progress:
            progress(done, total)
    if queued:
        events.publish(
            "list.subscribers_added", list_id=mailing_list.pk, actor_id=actor.pk, **total.as_dict()
        )
    _deliver_later(queued)
    return total


def subscribe_contacts(
    actor: Actor,
    mailing_list: MailingList,
    *,
    contact_ids: list[int],
    double_opt_in: bool | None = None,
    source: str = SubscriptionSource.API,
) -> SubscribeResult:
    """Subscribe the contacts among `contact_ids` that the actor sees (others are ignored, as
    if they did not exist): with consent they are subscribed, without it a double opt-in
    starts when asked for (or the list asks for it), and blocked or suppressed ones are
    refused with the reason."""
    rows = (
        _visible(actor).filter(pk__in=list(contact_ids)).order_by("pk").values_list("pk", "email")
    )
    return _subscribe_rows(
        actor,
        mailing_list,
        rows.iterator(chunk_size=BATCH),
        double_opt_in=mailing_list.double_opt_in if double_opt_in is None else double_opt_in,
        source=source,
    )


def subscribe_from_import(actor: Actor, values: list[tuple[int, str]]) -> dict[int, str]:
    """An import's "Mailing lists" column: each cell names list keys (comma-separated), and its
    contact joins them as subscribing from anywhere else would (consent, double opt-in by the
    list's setting, blocked and suppressed refused). Returns {contact id: why not} for the
    cells it could not fully follow."""
    wanted: dict[str, list[int]] = {}
    for contact_id, text in values:
        for key in re.split(r"[,;]", text):
            if key.strip():
                wanted.setdefault(key.strip().lower(), []).append(contact_id)
    lists = {item.key: item for item in MailingList.objects.filter(key__in=list(wanted))}
    problems: dict[int, str] = {}
    reasons_text = reasons()
    for key, contact_ids in wanted.items():
        mailing_list = lists.get(key)
        if mailing_list is None:
            for contact_id in contact_ids:
                problems[contact_id] = _("No list with the key or id %(ref)s.") % {"ref": key}
            continue
        refused: dict[int, str] = {}
        rows = _visible(actor).filter(pk__in=contact_ids).order_by("pk").values_list("pk", "email")
        _subscribe_rows(
            actor,
            mailing_list,
            list(rows),
            double_opt_in=mailing_list.double_opt_in,
            source=SubscriptionSource.IMPORT,
            refusals=refused,
        )
        for contact_id, reason in refused.items():
            problems[contact_id] = f"{mailing_list.name}: {reasons_text.get(reason, reason)}"
    return problems


def _visible(actor: Actor):
    from kartoteka.core.scope import visible_contacts

    return visible_contacts(actor)


def _batches(rows: Iterable[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def subscribe_matching(
    actor: Actor,
    mailing_list: MailingList,
    *,
    document: Any = None,
    segment_id: int | None = None,
    double_opt_in: bool | None = None,
    progress=None,
) -> SubscribeResult:
    """Subscribe every contact the actor sees that matches a filter document or a segment."""
    from kartoteka.segments import queries as segment_queries

    if segment_id is not None:
        segment = segment_queries.get_segment(actor, segment_id)
        document, source = segment.document, SubscriptionSource.SEGMENT
    else:
        document, source = (
            segment_queries.document_from(document=document),
            SubscriptionSource.FILTER,
        )
    rows = (
        segment_queries.filter_contacts(actor, document)
        .order_by("pk")
        .values_list("pk", "email")
        .iterator(chunk_size=BATCH)
    )
    return _subscribe_rows(
        actor,
        mailing_list,
        rows,
        double_opt_in=mailing_list.double_opt_in if double_opt_in is None else double_opt_in,
        source=source,
        progress=progress,
    )


@transaction.atomic
def start_subscribe_run(
    actor: Actor,
    mailing_list: MailingList,
    *,
    document: Any = None,
    segment_id: int | None = None,
    double_opt_in: bool | None = None,
) -> SubscribeRun:
    """Check the filter (or the segment) now, subscribe in the background with progress."""
    from kartoteka.mailing.tasks import run_subscribe
    from kartoteka.segments import queries as segment_queries

    if segment_id is not None:
        segment_queries.get_segment(actor, segment_id)
        source, document = SubscriptionSource.SEGMENT, {}
    else:
        document = segment_queries.document_from(document=document)
        source = SubscriptionSource.FILTER
    run = SubscribeRun.objects.create(
        mailing_list=mailing_list,
        created_by=user_or_none(actor),
        source=source,
        document=document,
        segment_id=segment_id,
        double_opt_in=mailing_list.double_opt_in if double_opt_in is None else double_opt_in,
    )
    transaction.on_commit(lambda: run_subscribe.enqueue(run.pk))
    return run


def run_subscribe_run(run_id: int) -> SubscribeRun | None:
    """The worker's side of start_subscribe_run (safe to run twice: a finished run is left)."""
    run = (
        SubscribeRun.objects.select_related("mailing_list", "created_by").filter(pk=run_id).first()
    )
    if run is None or run.status in (RunStatus.DONE, RunStatus.FAILED):
        return run
    actor = run.created_by or SYSTEM
    from kartoteka.segments import queries as segment_queries

    document = run.document
    if run.segment_id is not None:
        segment = segment_queries.get_segment(actor, run.segment_id)
        document = segment.document
    run.total = segment_queries.count_contacts(actor, document)
    run.status = RunStatus.RUNNING
    run.save(update_fields=["total", "status"])

    def progress(done: int, result: SubscribeResult) -> None:
        SubscribeRun.objects.filter(pk=run.pk).update(done=done, result=result.as_dict())

    try:
        result = subscribe_matching(
            actor,
            run.mailing_list,
            document=document if run.segment_id is None else None,
            segment_id=run.segment_id,
            double_opt_in=run.double_opt_in,
            progress=progress,
        )
    except (InvalidInput, NotFound) as exc:
        run.status, run.error, run.finished_at = RunStatus.FAILED, exc.message, timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    run.refresh_from_db(fields=["done"])
    run.result = result.as_dict()
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    run.save(update_fields=["result", "status", "finished_at"])
    return run


@transaction.atomic
def remove_subscriber(
    actor: Actor, mailing_list: MailingList, contact: Contact, *, source: str = "api"
) -> Subscription:
    """Staff take a contact off a list (the contact's consent is theirs to withdraw)."""
    subscription = (
        Subscription.objects.select_for_update()
        .filter(mailing_list=mailing_list, contact=contact)
        .first()
    )
    if subscription is None:
        raise NotFound(_("This contact is not on the list."))
    if subscription.status != SubscriptionStatus.UNSUBSCRIBED:
        _set_status(actor, subscription, SubscriptionStatus.UNSUBSCRIBED, source=source)
    return subscription


def _set_status(
    actor: Actor, subscription: Subscription, status: str, *, source: str
) -> Subscription:
    subscription.status, subscription.status_at = status, timezone.now()
    subscription.save(update_fields=["status", "status_at"])
    record_entry(
        kinds.subscription_changed(
            subscription.contact_id,
            status=status,
            list_name=subscription.mailing_list.name,
            source=source,
            actor=user_or_none(actor),
            actor_label=system_label(actor),
        )
    )
    events.publish(
        "list.subscription_changed",
        list_id=subscription.mailing_list_id,
        contact_id=subscription.contact_id,
        status=status,
    )
    return subscription


# --------------------------------------------------------------------------------------------
# The public side: the form, confirmation, unsubscribe, preferences


def subscribe_from_form(
    mailing_list: MailingList,
    *,
    email: str,
    first_name: str,
    consent: bool,
    proof: dict,
) -> None:
    """A person asked on a public form. Whatever the address (unknown, already subscribed,
    blocked), the caller answers the same: nothing here tells the visitor what is known."""
    from kartoteka.contacts import services as contact_services
    from kartoteka.core.normalise import normalise_email

    errors: dict[str, list[str]] = {}
    try:
        address = normalise_email(email, field="email")
    except InvalidInput as exc:
        errors.update(exc.errors)
        address = ""
    try:
        first_name = clean_text(first_name or "", field="first_name", max_length=255)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if not consent:
        errors["consent"] = [_("Tick the box to agree to receive the e-mails.")]
    if errors:
        raise InvalidInput(errors=errors)
    with transaction.atomic():
        contact = (
            _visible(SYSTEM)
            .filter(emails__email_folded=fold_email(address))
            .select_for_update()
            .first()
        )
        if contact is None:
            contact = contact_services.create_contact(
                SYSTEM,
                data={
                    "email": address,
                    "first_name": first_name,
                    "created_ip": proof.get("ip") or None,
                    "created_url": proof.get("page_url", "")[:2000],
                },
                source="form",
                actor_label="form",
            )
        if consent_queries.is_blocked(contact):
            return
        existing = Subscription.objects.filter(mailing_list=mailing_list, contact=contact).first()
        if existing and existing.status == SubscriptionStatus.SUBSCRIBED:
            return
        if not mailing_list.double_opt_in and not consent_queries.is_suppressed(address):
            consent_services.record_consent(
                SYSTEM,
                contact,
                channel=CHANNEL,
                purpose=PURPOSE,
                status="granted",
                source="form",
                proof=_consent_proof(mailing_list, proof),
            )
            status = SubscriptionStatus.SUBSCRIBED
        else:
            # The confirmation proves the address is the visitor's, and is new consent even
            # for an address that had unsubscribed before.
            status = SubscriptionStatus.PENDING
        decision = _Decision(
            contact.pk, address, status, existing_id=existing.pk if existing else None
        )
        _result, queued = _apply(
            SYSTEM, mailing_list, [decision], source=SubscriptionSource.FORM, request_proof=proof
        )
        if status == SubscriptionStatus.SUBSCRIBED:
            events.publish(
                "list.subscription_changed",
                list_id=mailing_list.pk,
                contact_id=contact.pk,
                status=status,
            )
    _deliver_later(queued)


def _consent_proof(mailing_list: MailingList | None, proof: dict, *, message_id: str = "") -> dict:
    """The proof the consents ledger keeps: where (the list, with the version and words of
    the text the person agreed to), page, IP, browser and the confirmation's Message-ID."""
    where = ""
    if mailing_list is not None:
        where = _("List %(name)s (%(key)s), consent text v%(version)s: %(text)s") % {
            "name": mailing_list.name,
            "key": mailing_list.key,
            "version": mailing_list.consent_version,
            "text": mailing_list.consent_text,
        }
    return {
        "where": where[:2000],
        "page_url": (proof.get("page_url") or "")[:2000],
        "ip": proof.get("ip") or "",
        "user_agent": (proof.get("user_agent") or "")[:2000],
        "message_id": message_id,
    }


def _token_contact(contact_id: int) -> Contact:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise tokens.BadToken
    return contact


@transaction.atomic
def confirm_subscription(token: str, *, proof: dict) -> Subscription:
    """The person followed the link of their confirmation e-mail: subscribed, and the consent
    recorded with its proof. BadToken for a changed, expired or already used link."""
    subscription_id = tokens.read_confirm_token(token)
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("mailing_list", "contact")
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise tokens.BadToken
    if subscription.status == SubscriptionStatus.SUBSCRIBED:
        return subscription
    if subscription.status != SubscriptionStatus.PENDING:
        raise tokens.BadToken
    mailing_list = subscription.mailing_list
    confirmation = (
        OutgoingEmail.objects.filter(
            contact_id=subscription.contact_id,
            mailing_list=mailing_list,
            kind=EmailKind.CONFIRMATION,
        )
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)
        .first()
    )
    consent_services.record_consent(
        SYSTEM,
        subscription.contact,
        channel=CHANNEL,
        purpose=PURPOSE,
        status="granted",
        source="double_opt_in",
        proof=_consent_proof(
            mailing_list,
            {**proof, "page_url": subscription.request_url},
            message_id=confirmation or "",
        ),
    )
    return _set_status(SYSTEM, subscription, SubscriptionStatus.SUBSCRIBED, source="double_opt_in")


@transaction.atomic
def unsubscribe(token: str, *, proof: dict) -> Subscription | None:
    """One-click unsubscribe from a list e-mail: off the list, the e-mail marketing consent
    withdrawn and the address suppressed. Safe to repeat."""
    contact_id, list_id = tokens.read_unsubscribe_token(token)
    contact = _token_contact(contact_id)
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("mailing_list")
        .filter(mailing_list_id=list_id, contact=contact)
        .first()
    )
    if subscription is not None and subscription.status != SubscriptionStatus.UNSUBSCRIBED:
        _set_status(SYSTEM, subscription, SubscriptionStatus.UNSUBSCRIBED, source="unsubscribe")
    _withdraw(
        contact, proof=_consent_proof(subscription.mailing_list if subscription else None, proof)
    )
    return subscription


def _withdraw(contact: Contact, *, proof: dict) -> None:
    if consent_queries.consent_status(contact, channel=CHANNEL, purpose=PURPOSE) != "withdrawn":
        consent_services.record_consent(
            SYSTEM,
            contact,
            channel=CHANNEL,
            purpose=PURPOSE,
            status="withdrawn",
            source="unsubscribe",
            proof=proof,
        )
    if contact.email:
        consent_services.suppress(contact.email, reason="unsubscribe", channel=CHANNEL)


def contact_for_preferences(token: str) -> Contact:
    return _token_contact(tokens.read_preferences_token(token))


@transaction.atomic
def save_preferences(
    token: str, *, lists: dict[int, bool], channels: dict[str, bool], proof: dict
) -> Contact:
    """The person changed their lists and channels on their preferences page."""
    contact = contact_for_preferences(token)
    subscriptions = {
        s.mailing_list_id: s
        for s in Subscription.objects.select_for_update()
        .select_related("mailing_list")
        .filter(contact=contact)
    }
    for channel, wanted in channels.items():
        current = consent_queries.consent_status(contact, channel=channel, purpose=PURPOSE)
        if wanted != (current == "granted"):
            consent_services.record_consent(
                SYSTEM,
                contact,
                channel=channel,
                purpose=PURPOSE,
                status="granted" if wanted else "withdrawn",
                source="preferences",
                proof=_consent_proof(None, proof),
            )
    for list_id, wanted in lists.items():
        subscription = subscriptions.get(list_id)
        if subscription is None:
            continue
        on = subscription.status == SubscriptionStatus.SUBSCRIBED
        if wanted and not on:
            if consent_queries.is_blocked(contact):
                continue
            if consent_queries.consent_status(contact, channel=CHANNEL, purpose=PURPOSE) != (
                "granted"
            ):
                consent_services.record_consent(
                    SYSTEM,
                    contact,
                    channel=CHANNEL,
                    purpose=PURPOSE,
                    status="granted",
                    source="preferences",
                    proof=_consent_proof(subscription.mailing_list, proof),
                )
            _set_status(SYSTEM, subscription, SubscriptionStatus.SUBSCRIBED, source="preferences")
        elif on and not wanted:
            _set_status(SYSTEM, subscription, SubscriptionStatus.UNSUBSCRIBED, source="preferences")
    if channels.get(CHANNEL) is False:
        _withdraw(contact, proof=_consent_proof(None, proof))
    return contact


def expire_pending(now: dt.datetime | None = None) -> int:
    """Take pending subscriptions older than the confirmation window off their lists."""
    cutoff = (now or timezone.now()) - tokens.CONFIRM_MAX_AGE
    expired = 0
    while True:
        with transaction.atomic():
            rows = list(
                Subscription.objects.filter(
                    status=SubscriptionStatus.PENDING, status_at__lt=cutoff
                ).values_list("pk", "contact_id", "mailing_list__name")[:BATCH]
            )
            if not rows:
                return expired
            Subscription.objects.filter(pk__in=[pk for pk, _c, _n in rows]).delete()
            record_many(
                [
                    kinds.subscription_expired(contact_id, list_name=name, actor_label="system")
                    for _pk, contact_id, name in rows
                ]
            )
            expired += len(rows)


# --------------------------------------------------------------------------------------------
# E-mail: queue, render, deliver


def _new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "kartoteka.local"
    return make_msgid(domain=domain)


def _queue(rows: list[tuple[int | None, str, str, int | None, int | None]]) -> list[int]:
    """Queue e-mails as (contact id, address, kind, list id, mailing id); rendered on sending."""
    if not rows:
        return []
    now = timezone.now()
    return insert_values(
        OutgoingEmail,
        ["contact", "to_address", "kind", "mailing_list", "mailing", "message_id", "created_at"],
        [(*row, _new_message_id(), now) for row in rows],
        returning=True,
    )


def send_prepared(
    contact: Contact, address: str, *, subject: str, body_text: str, body_html: str
) -> OutgoingEmail:
    """Queue an e-mail another app has written (a members' invitation or password reset) to
    one contact: recorded, sent by the worker with retries and put on the contact's timeline
    like every other. Refused for a blocked contact."""
    if consent_queries.is_blocked(contact):
        raise InvalidInput(errors={"email": [_("This contact is blocked.")]})
    now = timezone.now()
    email = OutgoingEmail.objects.create(
        contact=contact,
        to_address=address,
        kind=EmailKind.MEMBER,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
        message_id=_new_message_id(),
        created_at=now,
    )
    _deliver_later([email.pk])
    return email


def _deliver_later(ids: list[int]) -> None:
    from kartoteka.mailing.tasks import deliver_emails

    for start in range(0, len(ids), DELIVERY_BATCH):
        chunk = ids[start : start + DELIVERY_BATCH]
        transaction.on_commit(lambda chunk=chunk: deliver_emails.enqueue(chunk))


def public_url(name: str, **kwargs: Any) -> str:
    return settings.KARTOTEKA_PUBLIC_URL + reverse(name, kwargs=kwargs)


def _pending_subscriptions(emails: list[OutgoingEmail]) -> dict[tuple[int, int], int]:
    """{(list id, contact id): subscription id} of the subscriptions still awaiting the
    confirmation these e-mails ask for, read in one query for the whole batch."""
    wanted = [
        e
        for e in emails
        if e.kind == EmailKind.CONFIRMATION and not e.body_text and e.mailing_list_id
    ]
    if not wanted:
        return {}
    rows = Subscription.objects.filter(
        mailing_list_id__in={e.mailing_list_id for e in wanted},
        contact_id__in={e.contact_id for e in wanted},
        status=SubscriptionStatus.PENDING,
    ).values_list("mailing_list_id", "contact_id", "pk")
    return {(list_id, contact_id): pk for list_id, contact_id, pk in rows}


def _render(email: OutgoingEmail, pending: dict[tuple[int, int], int]) -> dict:
    """Subject, bodies and headers of a queued e-mail, in its list's language; `pending` is
    what _pending_subscriptions read for the batch."""
    mailing_list = email.mailing_list
    language = mailing_list.language if mailing_list else settings.LANGUAGE_CODE
    context: dict[str, Any] = {"list": mailing_list, "contact": email.contact}
    headers: dict[str, str] = {}
    with translation.override(language):
        if email.kind == EmailKind.CONFIRMATION:
            subscription_id = pending.get((email.mailing_list_id, email.contact_id))
            if subscription_id is None:
                raise _NotToSend(_("The subscription no longer awaits confirmation."))
            context["confirm_url"] = public_url(
                "mailing:confirm", token=tokens.confirm_token(subscription_id)
            )
            subject = _("Confirm your subscription to %(name)s") % {"name": mailing_list.name}
            template = "confirmation"
        else:
            mailing = email.mailing
            subject = mailing.subject
            context["body_html"] = render_markdown(mailing.body)
            context["body_text"] = mailing.body
            unsubscribe_url = public_url(
                "mailing:unsubscribe",
                token=tokens.unsubscribe_token(email.contact_id, mailing_list.pk),
            )
            context["unsubscribe_url"] = unsubscribe_url
            context["preferences_url"] = public_url(
                "mailing:preferences", token=tokens.preferences_token(email.contact_id)
            )
            headers = {
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": f"{mailing_list.name} <{mailing_list.key}.{_list_domain()}>",
            }
            template = "mailing"
        context["subject"] = subject
        text = render_to_string(f"mailing/email/{template}.txt", context)
        html = render_to_string(f"mailing/email/{template}.html", context)
    return {"subject": subject, "body_text": text, "body_html": html, "headers": headers}


def _list_domain() -> str:
    return settings.KARTOTEKA_PUBLIC_URL.split("//", 1)[-1].split("/", 1)[0].split(":")[0]


class _NotToSend(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def deliver(ids: list[int]) -> list[int]:
    """Send the queued e-mails among `ids` through the configured backend, one connection for
    all; each is marked sent or (after MAX_ATTEMPTS) failed and lands on its contact's
    timeline. Returns the ids to try again later."""
    emails = list(
        OutgoingEmail.objects.select_related("mailing_list", "mailing", "contact")
        .filter(pk__in=ids, status=EmailStatus.QUEUED)
        .order_by("pk")
    )
    if not emails:
        return []
    retry, entries = [], []
    touched_mailings: set[int] = set()
    pending = _pending_subscriptions(emails)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any failure of the server is retried
        opened, open_error = False, str(exc) or exc.__class__.__name__
    else:
        opened, open_error = True, ""
    try:
        for email in emails:
            list_name = email.mailing_list.name if email.mailing_list else ""
            if email.mailing_id:
                touched_mailings.add(email.mailing_id)
            try:
                if not email.body_text:
                    for name, value in _render(email, pending).items():
                        setattr(email, name, value)
                if not opened:
                    raise ConnectionError(open_error)
                message = EmailMultiAlternatives(
                    subject=email.subject,
                    body=email.body_text,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[email.to_address],
                    headers={**email.headers, "Message-ID": email.message_id},
                    connection=connection,
                )
                if email.body_html:
                    message.attach_alternative(email.body_html, "text/html")
                message.send()
            except _NotToSend as exc:
                email.status, email.error = EmailStatus.FAILED, exc.message
            except Exception as exc:  # noqa: BLE001 - the server's refusal is recorded
                email.attempts += 1
                email.error = str(exc) or exc.__class__.__name__
                if email.attempts >= MAX_ATTEMPTS:
                    email.status = EmailStatus.FAILED
                    if email.contact_id:
                        entries.append(
                            kinds.email_failed(
                                email.contact_id,
                                email=email,
                                list_name=list_name,
                                error=email.error,
                            )
                        )
                else:
                    retry.append(email.pk)
            else:
                email.attempts += 1
                email.status, email.error, email.sent_at = EmailStatus.SENT, "", timezone.now()
                if email.contact_id:
                    entries.append(
                        kinds.email_sent(
                            email.contact_id,
                            email=email,
                            list_name=list_name,
                            occurred_at=email.sent_at,
                        )
                    )
    finally:
        if opened:
            connection.close()
    with transaction.atomic():
        OutgoingEmail.objects.bulk_update(
            emails,
            [
                "subject",
                "body_text",
                "body_html",
                "headers",
                "status",
                "attempts",
                "error",
                "sent_at",
            ],
        )
        record_many(entries)
        for mailing_id in touched_mailings:
            _count_mailing(mailing_id)
    return retry


def _count_mailing(mailing_id: int) -> None:
    counts = dict(
        OutgoingEmail.objects.filter(mailing_id=mailing_id)
        .values_list("status")
        .annotate(n=models_count())
        .values_list("status", "n")
    )
    mailing = Mailing.objects.select_for_update().get(pk=mailing_id)
    mailing.sent = counts.get(EmailStatus.SENT, 0)
    mailing.failed = counts.get(EmailStatus.FAILED, 0)
    if mailing.status == RunStatus.RUNNING and mailing.sent + mailing.failed >= mailing.total:
        mailing.status, mailing.finished_at = RunStatus.DONE, timezone.now()
    mailing.save(update_fields=["sent", "failed", "status", "finished_at"])


def models_count():
    from django.db.models import Count

    return Count("pk")


# --------------------------------------------------------------------------------------------
# Mailing a list


def clean_mailing(subject: Any, body: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(subject, str) or not subject.strip():
        errors["subject"] = [_("Give the e-mail a subject.")]
    elif len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
        errors["subject"] = [
            _("A subject is one line of at most %(n)s characters.") % {"n": MAX_SUBJECT}
        ]
    if not isinstance(body, str) or not body.strip():
        errors["body"] = [_("Write the e-mail.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("The e-mail may be at most %(n)s characters.") % {"n": MAX_BODY}]
    if errors:
        raise InvalidInput(errors=errors)
    try:
        body = clean_text(body, field="body", max_length=MAX_BODY)
    except InvalidInput:
        raise
    return " ".join(subject.split()), body


def preview_mailing(mailing_list: MailingList, *, subject: Any, body: Any) -> dict:
    """The e-mail as a subscriber will read it (HTML and text), without sending it."""
    subject, body = clean_mailing(subject, body)
    context = {
        "list": mailing_list,
        "subject": subject,
        "body_html": render_markdown(body),
        "body_text": body,
        "unsubscribe_url": "#",
        "preferences_url": "#",
    }
    with translation.override(mailing_list.language):
        return {
            "subject": subject,
            "body_html": context["body_html"],
            "html": render_to_string("mailing/email/mailing.html", context),
            "text": render_to_string("mailing/email/mailing.txt", context),
        }


def send_test(actor: Actor, mailing_list: MailingList, *, subject: Any, body: Any) -> OutgoingEmail:
    """Send the draft to the acting user's own address, marked as a test."""
    _require_admin(actor)
    if not getattr(actor, "email", ""):
        raise InvalidInput("to", _("Your account has no e-mail address to send the test to."))
    rendered = preview_mailing(mailing_list, subject=subject, body=body)
    with transaction.atomic():
        email = OutgoingEmail.objects.create(
            kind=EmailKind.TEST,
            mailing_list=mailing_list,
            to_address=actor.email,
            subject=f"[{_('Test')}] {rendered['subject']}",
            body_text=rendered["text"],
            body_html=rendered["html"],
            message_id=_new_message_id(),
            created_at=timezone.now(),
        )
        _deliver_later([email.pk])
    return email


@transaction.atomic
def start_mailing(actor: Actor, mailing_list: MailingList, *, subject: Any, body: Any) -> Mailing:
    """Write the mailing and let the worker send it to the list's subscribers."""
    from kartoteka.mailing.tasks import run_mailing

    _require_admin(actor)
    subject, body = clean_mailing(subject, body)
    mailing = Mailing.objects.create(
        mailing_list=mailing_list, subject=subject, body=body, created_by=user_or_none(actor)
    )
    transaction.on_commit(lambda: run_mailing.enqueue(mailing.pk))
    events.publish("list.mailing_started", list_id=mailing_list.pk, mailing_id=mailing.pk)
    return mailing


def recipients(mailing_list: MailingList) -> Iterable[list[tuple[int, str]]]:
    """Batches of (contact id, address) the list may be mailed to: subscribed, consenting to
    e-mail marketing, not blocked, address not suppressed."""
    rows = (
        Subscription.objects.filter(mailing_list=mailing_list, status=SubscriptionStatus.SUBSCRIBED)
        .exclude(contact__email="")
        .order_by("contact_id")
        .values_list("contact_id", "contact__email")
        .iterator(chunk_size=BATCH)
    )
    batch: list[tuple[int, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield _mailable(batch)
            batch = []
    if batch:
        yield _mailable(batch)


def _mailable(batch: list[tuple[int, str]]) -> list[tuple[int, str]]:
    checks = consent_queries.email_checks(batch, purpose=PURPOSE)
    return [
        (contact_id, email)
        for contact_id, email in batch
        if contact_id not in checks.blocked
        and contact_id not in checks.suppressed
        and checks.consent[contact_id] == "granted"
    ]


def run_mailing(mailing_id: int) -> Mailing | None:
    """The worker's side of start_mailing: queue one e-mail per recipient (batch by batch, so
    the page shows progress) and deliver them. Safe to run twice: a started one is resumed."""
    mailing = Mailing.objects.select_related("mailing_list").filter(pk=mailing_id).first()
    if mailing is None or mailing.status == RunStatus.DONE:
        return mailing
    if mailing.status == RunStatus.QUEUED:
        total = 0
        for batch in recipients(mailing.mailing_list):
            with transaction.atomic():
                _queue(
                    [
                        (contact_id, email, EmailKind.MAILING, mailing.mailing_list_id, mailing.pk)
                        for contact_id, email in batch
                    ]
                )
            total += len(batch)
        mailing.total, mailing.status = total, RunStatus.RUNNING
        if total == 0:
            mailing.status, mailing.finished_at = RunStatus.DONE, timezone.now()
        mailing.save(update_fields=["total", "status", "finished_at"])
    waiting = list(
        OutgoingEmail.objects.filter(mailing=mailing, status=EmailStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    retry = []
    for start in range(0, len(waiting), DELIVERY_BATCH):
        retry.extend(deliver(waiting[start : start + DELIVERY_BATCH]))
    if retry:
        retry_later(retry)
    mailing.refresh_from_db()
    return mailing


def retry_later(ids: list[int]) -> None:
    """Enqueue another delivery of `ids`, after a pause where the task backend can wait."""
    from django_tasks import default_task_backend

    from kartoteka.mailing.tasks import deliver_emails

    task = deliver_emails
    if default_task_backend.supports_defer:
        task = task.using(run_after=timezone.now() + RETRY_AFTER)
    task.enqueue(ids)


def forget_mentions(mentions: Mentions) -> int:
    """Take quotes of a forgotten person out of mailings and the e-mails that kept no contact
    (privacy.services.forget_contact calls this; relations.py declares the columns)."""
    return forget_mentions_in(Mailing, mentions) + forget_mentions_in(OutgoingEmail, mentions)

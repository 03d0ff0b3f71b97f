"""Every write of members: membership and groups (admins), the members' own sign-in,
passwords, details, preferences and forget requests. A member acts as the system on the
contact's data, with the actor label "member"."""

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activity import services as activity_services
from kartoteka.activity.services import record_entry
from kartoteka.consents import queries as consent_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact
from kartoteka.core import events
from kartoteka.core.errors import Forbidden, InvalidInput
from kartoteka.core.normalise import clean_text, fold_email
from kartoteka.core.scope import SYSTEM, is_admin, require_actor, system_label, user_or_none
from kartoteka.mailing import services as mailing_services
from kartoteka.mailing.models import Subscription
from kartoteka.members import kinds, tokens
from kartoteka.members.models import (
    Credential,
    GroupMembership,
    Member,
    MemberGroup,
    MembersSettings,
    MemberToken,
)

MEMBER_LABEL = "member"
MAX_GROUP_NAME = 120
MAX_PASSWORD = 200
TOKEN_LIFETIME = dt.timedelta(hours=12)
LANGUAGES = {code for code, _name in settings.LANGUAGES}
# What sign-in compares a wrong address against, so an unknown one costs the same time.
_DUMMY_HASH = make_password("kartoteka-not-a-member")


def _require_admin(actor: Any) -> None:
    if not is_admin(require_actor(actor)):
        raise Forbidden(_("Only admins may do this."))


# --------------------------------------------------------------------------------------------
# Settings and groups (admins)


def area_settings() -> MembersSettings:
    found = MembersSettings.objects.first()
    return found or MembersSettings.objects.create()


@transaction.atomic
def save_settings(actor: Any, *, self_forget: bool, registering_list_ids: list[int]) -> None:
    _require_admin(actor)
    from kartoteka.mailing.models import MailingList

    found = set(
        MailingList.objects.filter(pk__in=registering_list_ids).values_list("pk", flat=True)
    )
    if found != set(registering_list_ids):
        raise InvalidInput("lists", _("No such list."))
    current = area_settings()
    current.self_forget = bool(self_forget)
    current.save(update_fields=["self_forget"])
    current.registering_lists.set(sorted(found))


def _clean_group_name(name: Any, *, exclude_id: int | None = None) -> str:
    cleaned = clean_text(name if isinstance(name, str) else "", field="name", max_length=120)
    if not cleaned:
        raise InvalidInput("name", _("Give the group a name."))
    clash = MemberGroup.objects.filter(name__iexact=cleaned)
    if exclude_id:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise InvalidInput("name", _("A group with this name already exists."))
    return cleaned


@transaction.atomic
def create_group(actor: Any, *, name: Any) -> MemberGroup:
    _require_admin(actor)
    group = MemberGroup.objects.create(name=_clean_group_name(name))
    events.publish("members.group_created", group_id=group.pk)
    return group


@transaction.atomic
def rename_group(actor: Any, group: MemberGroup, *, name: Any) -> MemberGroup:
    _require_admin(actor)
    group.name = _clean_group_name(name, exclude_id=group.pk)
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def delete_group(actor: Any, group: MemberGroup) -> None:
    _require_admin(actor)
    group_id = group.pk
    group.delete()
    events.publish("members.group_deleted", group_id=group_id)


def _groups_by_name(names: Any) -> list[MemberGroup]:
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("groups", _("Give a list of group names."))
    wanted = {n.strip().casefold(): n.strip() for n in names if n.strip()}
    found = {g.name.casefold(): g for g in MemberGroup.objects.all()}
    unknown = [name for key, name in wanted.items() if key not in found]
    if unknown:
        raise InvalidInput(
            "groups", _("No member group is called %(name)s.") % {"name": repr(unknown[0])}
        )
    return [found[key] for key in wanted]


# --------------------------------------------------------------------------------------------
# Membership (admins, from the card and the API)


def _contact_language(contact: Contact) -> str:
    """The language of the contact's e-mails: that of the last list they joined, else the
    workspace's."""
    language = (
        Subscription.objects.filter(contact=contact)
        .order_by("-created_at")
        .values_list("mailing_list__language", flat=True)
        .first()
    )
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


@transaction.atomic
def set_membership(
    actor: Any,
    contact: Contact,
    *,
    enabled: Any,
    groups: Any = None,
    invite: Any = False,
    language: Any = None,
    actor_label: str = "",
) -> Member | None:
    """Make the contact a member (or end it); `groups` (names) replace theirs when given;
    `invite` sends the invitation to set a password. Admins only; the caller checked that the
    actor sees the contact."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if not isinstance(enabled, bool):
        errors["enabled"] = [_("Say true or false.")]
    if not isinstance(invite, bool):
        errors["invite"] = [_("Say true or false.")]
    if language not in (None, "") and language not in LANGUAGES:
        errors["language"] = [_("Choose one of the languages offered.")]
    chosen: list[MemberGroup] | None = None
    if groups is not None:
        try:
            chosen = _groups_by_name(groups)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors=errors)
    if enabled and not contact.email:
        raise InvalidInput("enabled", _("A member needs an e-mail address to sign in with."))
    if invite and not enabled:
        raise InvalidInput("invite", _("Only a member can be invited."))
    if invite and consent_queries.is_blocked(contact):
        raise InvalidInput("invite", _("This contact is blocked: no invitation is sent."))
    label = actor_label or system_label(actor)
    member = Member.objects.select_for_update().filter(contact=contact).first()
    now = timezone.now()
    if enabled and (member is None or not member.enabled):
        if member is None:
            member = Member.objects.create(contact=contact, member_since=now)
        else:
            member.enabled, member.member_since = True, now
            member.save(update_fields=["enabled", "member_since"])
        if chosen is not None:
            _replace_groups(contact, chosen, now=now)
        record_entry(
            kinds.membership_changed(
                contact,
                enabled=True,
                groups=group_names(contact),
                actor=user_or_none(actor),
                actor_label=label,
            )
        )
        events.publish("member.enabled", contact_id=contact.pk)
    elif not enabled and member is not None and member.enabled:
        member.enabled = False
        member.save(update_fields=["enabled"])
        MemberToken.objects.filter(member=member).delete()
        record_entry(
            kinds.membership_changed(
                contact, enabled=False, groups=[], actor=user_or_none(actor), actor_label=label
            )
        )
        events.publish("member.disabled", contact_id=contact.pk)
    elif chosen is not None and member is not None:
        before = group_names(contact)
        _replace_groups(contact, chosen, now=now)
        after = group_names(contact)
        if before != after:
            record_entry(
                kinds.groups_changed(
                    contact, groups=after, actor=user_or_none(actor), actor_label=label
                )
            )
    if invite and member is not None:
        send_invitation(member, language=language or _contact_language(contact))
    return member


def group_names(contact: Contact) -> list[str]:
    return sorted(
        GroupMembership.objects.filter(contact=contact).values_list("group__name", flat=True)
    )


def _replace_groups(contact: Contact, chosen: list[MemberGroup], *, now: dt.datetime) -> None:
    wanted = {g.pk for g in chosen}
    GroupMembership.objects.filter(contact=contact).exclude(group_id__in=wanted).delete()
    have = set(GroupMembership.objects.filter(contact=contact).values_list("group_id", flat=True))
    GroupMembership.objects.bulk_create(
        [GroupMembership(contact=contact, group_id=g, added_at=now) for g in wanted - have]
    )


@transaction.atomic
def set_group_members(actor: Any, group: MemberGroup, *, contact_ids: list[int]) -> None:
    """The settings page's assignment: exactly these members in the group."""
    _require_admin(actor)
    members = set(
        Member.objects.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True)
    )
    if members != set(contact_ids):
        raise InvalidInput("members", _("Only members can be put in a group."))
    current = set(group.memberships.values_list("contact_id", flat=True))
    now = timezone.now()
    group.memberships.filter(contact_id__in=current - members).delete()
    GroupMembership.objects.bulk_create(
        [GroupMembership(contact_id=c, group=group, added_at=now) for c in members - current]
    )
    for contact_id in sorted(current ^ members):
        record_entry(
            kinds.groups_changed(
                contact_id,
                groups=group_names(Contact(pk=contact_id)),
                actor=user_or_none(actor),
                actor_label=system_label(actor),
            )
        )


# --------------------------------------------------------------------------------------------
# E-mails to members (through mailing's outgoing mail: recorded, sent by the worker)


def _send(member: Member, *, template: str, subject: str, language: str, **context: Any) -> None:
    contact = member.contact
    with translation.override(language):
        context = {"contact": contact, "subject": str(subject), **context}
        text = render_to_string(f"members/email/{template}.txt", context)
        html = render_to_string(f"members/email/{template}.html", context)
        mailing_services.send_prepared(
            contact, contact.email, subject=str(subject), body_text=text, body_html=html
        )


def _password_hash(member: Member) -> str:
    credential = Credential.objects.filter(member=member).first()
    return credential.password if credential else ""


def send_invitation(member: Member, *, language: str) -> None:
    with translation.override(language):
        subject = _("You are invited to the members' area")
    url = mailing_services.public_url(
        "members:set-password",
        token=tokens.password_token(member.pk, _password_hash(member), invite=True),
    )
    _send(member, template="invitation", subject=subject, language=language, url=url)


def _member_by_address(email: Any) -> Member | None:
    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        return None
    return (
        Member.objects.select_related("contact")
        .filter(enabled=True, contact__emails__email_folded=fold_email(email.strip()))
        .first()
    )


@transaction.atomic
def request_password_reset(email: Any, *, language: str) -> None:
    """Send a reset link if the address is an enabled, unblocked member's; the caller answers
    the same either way."""
    member = _member_by_address(email)
    if member is None or consent_queries.is_blocked(member.contact):
        return
    with translation.override(language):
        subject = _("Set a new password for the members' area")
    url = mailing_services.public_url(
        "members:set-password",
        token=tokens.password_token(member.pk, _password_hash(member), invite=False),
    )
    _send(member, template="reset", subject=subject, language=language, url=url)


def member_for_password_token(token: str) -> Member:
    member_id, print_ = tokens.read_password_token(token)
    member = Member.objects.select_related("contact").filter(pk=member_id, enabled=True).first()
    if member is None or tokens.fingerprint(member.pk, _password_hash(member)) != print_:
        raise tokens.BadToken
    return member


def clean_password(password: Any, confirm: Any, *, member: Member | None = None) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput("password", _("Choose a password."))
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("password", _("The password is too long."))
    if password != confirm:
        raise InvalidInput("password_confirm", _("The two passwords differ."))
    try:
        validate_password(password)
    except ValidationError as exc:
        raise InvalidInput("password", " ".join(exc.messages)) from None
    return password


@transaction.atomic
def set_password(token: str, *, password: Any, confirm: Any) -> Member:
    """Set the password from an invitation or reset link (used once); every session of the
    member ends."""
    member = member_for_password_token(token)
    cleaned = clean_password(password, confirm, member=member)
    Credential.objects.update_or_create(
        member=member, defaults={"password": make_password(cleaned), "changed_at": timezone.now()}
    )
    MemberToken.objects.filter(member=member).delete()
    return member


# --------------------------------------------------------------------------------------------
# Sign-in (the area and the API)


def authenticate(email: Any, password: Any) -> Member | None:
    """The member with this address and password, if enabled and not blocked; None otherwise
    (the same for every reason, and about the same time)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return None
    member = _member_by_address(email)
    stored = _password_hash(member) if member else ""
    if not stored:
        check_password(password, _DUMMY_HASH)
        return None
    if not check_password(password, stored):
        return None
    if consent_queries.is_blocked(member.contact):
        return None
    return member


def signed_in(member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(last_sign_in_at=timezone.now())


def session_print(member: Member) -> str:
    """What the area's session keeps besides the id: it changes with the password, so setting
    a new one ends the other sessions."""
    return tokens.fingerprint(member.pk, _password_hash(member))


def member_for_session(member_id: Any, print_: Any) -> Member | None:
    if not isinstance(member_id, int) or not isinstance(print_, str):
        return None
    member = Member.objects.select_related("contact").filter(pk=member_id, enabled=True).first()
    if member is None or session_print(member) != print_:
        return None
    if consent_queries.is_blocked(member.contact):
        return None
    return member


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def start_api_session(member: Member) -> tuple[str, MemberToken]:
    token = "kmt_" + secrets.token_urlsafe(32)
    now = timezone.now()
    MemberToken.objects.filter(member=member, expires_at__lt=now).delete()
    row = MemberToken.objects.create(
        member=member, digest=_digest(token), created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    signed_in(member)
    return token, row


def member_for_api_token(token: Any) -> Member | None:
    if not isinstance(token, str) or not token.startswith("kmt_") or len(token) > 100:
        return None
    row = (
        MemberToken.objects.select_related("member__contact")
        .filter(digest=_digest(token), expires_at__gt=timezone.now(), member__enabled=True)
        .first()
    )
    if row is None or consent_queries.is_blocked(row.member.contact):
        return None
    return row.member


# --------------------------------------------------------------------------------------------
# The member's own page


def update_own_details(member: Member, *, data: dict[str, Any]) -> Contact:
    """The member changes their name, phone and postal address (contacts' rules apply)."""
    allowed = ("first_name", "last_name", "phone", "street", "city", "postal_code", "country")
    changes = {key: data[key] for key in allowed if key in data}
    contact = Contact.objects.get(pk=member.contact_id)
    return contact_services.update_contact(SYSTEM, contact, data=changes, actor_label=MEMBER_LABEL)


@transaction.atomic
def change_password(member: Member, *, current: Any, password: Any, confirm: Any) -> None:
    stored = _password_hash(member)
    if not isinstance(current, str) or not stored or not check_password(current, stored):
        raise InvalidInput("current_password", _("This is not your current password."))
    cleaned = clean_password(password, confirm, member=member)
    Credential.objects.filter(member=member).update(
        password=make_password(cleaned), changed_at=timezone.now()
    )
    MemberToken.objects.filter(member=member).delete()


def save_preferences(
    member: Member, *, lists: dict[int, bool], channels: dict[str, bool], proof: dict
):
    """The preferences page's own logic, for the signed-in member."""
    from kartoteka.mailing import tokens as mailing_tokens

    return mailing_services.save_preferences(
        mailing_tokens.preferences_token(member.contact_id),
        lists=lists,
        channels=channels,
        proof=proof,
    )


def _admins() -> list[User]:
    return list(User.objects.filter(role="admin", is_active=True).order_by("pk"))


@transaction.atomic
def request_forget(member: Member, *, language: str) -> str:
    """The member asked to be forgotten: a task for the admins, or (when the settings allow)
    an e-mail with a link that forgets at once. Returns "task" or "email"."""
    contact = member.contact
    record_entry(kinds.forget_requested(contact))
    if area_settings().self_forget:
        with translation.override(language):
            subject = _("Confirm that we should forget you")
        url = mailing_services.public_url(
            "members:forget-confirm", token=tokens.forget_token(member.pk)
        )
        _send(member, template="forget", subject=subject, language=language, url=url)
        return "email"
    activity_services.create_task(
        SYSTEM,
        data={
            "title": _("Forget a member at their request"),
            "description": _(
                "The member asked in the members' area to be forgotten. Forget the contact "
                "from their card (Forget…), or answer them."
            ),
            "assignees": [u.username for u in _admins()],
            "contacts": [contact.pk],
        },
        actor_label=MEMBER_LABEL,
    )
    return "task"


def member_for_forget_token(token: str) -> Member:
    member_id = tokens.read_forget_token(token)
    member = Member.objects.select_related("contact").filter(pk=member_id, enabled=True).first()
    if member is None or not area_settings().self_forget:
        raise tokens.BadToken
    return member


def forget_confirmed(token: str) -> None:
    """The member followed the link of the forget e-mail and confirmed: forgotten at once."""
    from kartoteka.privacy import services as privacy_services

    member = member_for_forget_token(token)
    privacy_services.forget_contact(SYSTEM, member.contact, actor_label=MEMBER_LABEL)


# --------------------------------------------------------------------------------------------
# Lists whose form registers members (mailing announces each new subscription)


def register_from_list(list_id: int = 0, contact_id: int = 0, status: str = "", **_rest) -> None:
    """A subscription became `subscribed` on a list whose form registers members: the contact
    becomes a member and is invited to set a password."""
    if status != "subscribed" or not list_id or not contact_id:
        return
    if not MembersSettings.objects.filter(registering_lists__pk=list_id).exists():
        return
    with transaction.atomic():
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None or not contact.email or consent_queries.is_blocked(contact):
            return
        if Member.objects.filter(contact=contact).exists():
            return
        from kartoteka.mailing.models import MailingList

        language = MailingList.objects.filter(pk=list_id).values_list("language", flat=True).first()
        set_membership(
            SYSTEM,
            contact,
            enabled=True,
            invite=True,
            language=language or settings.LANGUAGE_CODE,
            actor_label="form",
        )

"""Every write of the forms app: building forms, and taking in what people submit."""

import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.queries import active_users
from kartoteka.activity import services as timeline
from kartoteka.consents import services as consents
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import TagOrigin
from kartoteka.core import events
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.core.normalise import clean_text, fold_email, normalise_email
from kartoteka.core.scope import SYSTEM, is_admin, visible_contacts
from kartoteka.mailing import services as mailing
from kartoteka.mailing.queries import all_lists, get_list_by_key
from kartoteka.tracking import services as tracking
from kartoteka.webforms import kinds
from kartoteka.webforms.models import Submission, WebForm

TYPES = ("text", "email", "phone", "textarea", "checkbox", "choice")
# Contact fields a form field may fill; anything else is a custom detail or stays unmapped.
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "birthday",
)
# Names the hosted page and the snippet use for themselves.
RESERVED = {"email", "consent", "website", "_ts", "_ktv", "page_url"}
MAX_FIELDS = 30
MAX_VALUE = 5000
# Landing-page parameters copied onto a new contact: UTM tags, the click id and the Google Ads
# ValueTrack parameters.
PAGE_PARAMETERS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "gclid": "gclid",
    "campaignid": "ads_campaign",
    "adgroupid": "ads_group",
    "keyword": "ads_keyword",
    "network": "ads_network",
    "device": "ads_device",
    "creative": "ads_id",
}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SIGNER_SALT = "kartoteka.webforms.fill"


def _require_admin(actor: Any) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only an administrator can change forms."))


# --------------------------------------------------------------------------------------------
# Building forms


def _clean_field(raw: Any, index: int, errors: dict[str, list[str]]) -> dict | None:
    where = f"fields.{index}"
    if not isinstance(raw, Mapping):
        errors[where] = [_("Each field is an object with a label and a type.")]
        return None
    problems: list[str] = []
    try:
        label = clean_text(raw.get("label"), field=f"{where}.label", max_length=200)
    except InvalidInput as exc:
        problems.extend(sum(exc.errors.values(), []))
        label = ""
    if not label:
        problems.append(_("Give the field a label."))
    kind = raw.get("type", "text")
    if kind not in TYPES:
        problems.append(_("The type is one of: %(types)s.") % {"types": ", ".join(TYPES)})
    key = raw.get("key") or f"field_{index + 1}"
    if not isinstance(key, str) or not _KEY.match(key) or key in RESERVED:
        problems.append(
            _("The key is lower-case letters, digits and _ (not email, consent or website).")
        )
    maps_to = raw.get("maps_to") or ""
    if not isinstance(maps_to, str) or not (
        maps_to == ""
        or maps_to in CONTACT_FIELDS
        or (maps_to.startswith("properties.") and maps_to[11:] in contacts.property_definitions())
    ):
        problems.append(
            _("A field maps to a contact field, to an existing custom detail, or to nothing.")
        )
    choices = raw.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
        problems.append(_("The choices are a list of texts."))
        choices = []
    choices = [c.strip()[:200] for c in choices]
    if kind == "choice" and not choices:
        problems.append(_("A choice field needs at least one choice."))
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems.append(_("Required is true or false."))
    if problems:
        errors[where] = problems
        return None
    return {
        "key": key,
        "label": label,
        "type": kind,
        "required": required,
        "maps_to": maps_to,
        "choices": choices if kind == "choice" else [],
    }


def _clean_form(data: Mapping[str, Any], *, partial: bool) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "name" in data or not partial:
        try:
            cleaned["name"] = clean_text(data.get("name"), field="name", max_length=200)
        except InvalidInput as exc:
            errors.update(exc.errors)
        else:
            if not cleaned["name"]:
                errors["name"] = [_("Give the form a name.")]
    if "fields" in data or not partial:
        raw = data.get("fields") or []
        if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
            errors["fields"] = [
                _("The fields are a list of at most %(max)s.") % {"max": MAX_FIELDS}
            ]
        else:
            fields = [_clean_field(item, i, errors) for i, item in enumerate(raw)]
            keys = [f["key"] for f in fields if f]
            if len(keys) != len(set(keys)):
                errors["fields"] = [_("Two fields have the same key.")]
            cleaned["fields"] = [f for f in fields if f]
    for name, limit in (("consent_text", 2000), ("thank_you", 2000)):
        if name in data or not partial:
            try:
                cleaned[name] = clean_text(data.get(name) or "", field=name, max_length=limit)
            except InvalidInput as exc:
                errors.update(exc.errors)
    if "redirect_url" in data or not partial:
        url = str(data.get("redirect_url") or "").strip()
        if url and (not url.startswith(("https://", "http://")) or len(url) > 2000):
            errors["redirect_url"] = [_("The redirect is a web address (https://…).")]
        cleaned["redirect_url"] = url
    if "tags" in data or not partial:
        try:
            cleaned["tags"] = contacts.clean_tag_names(data.get("tags") or [])
        except InvalidInput as exc:
            errors.update(exc.errors)
    if "mailing_list" in data or not partial:
        value = data.get("mailing_list")
        cleaned["mailing_list"] = None
        if value not in (None, ""):
            found = None
            if isinstance(value, int) and not isinstance(value, bool):
                found = all_lists().filter(pk=value).first()
            elif isinstance(value, str):
                found = get_list_by_key(value) or (
                    all_lists().filter(pk=int(value)).first() if value.isdigit() else None
                )
            if found is None:
                errors["mailing_list"] = [_("No such mailing list.")]
            cleaned["mailing_list"] = found
    if "owner" in data or not partial:
        value = data.get("owner")
        cleaned["owner"] = None
        if value not in (None, ""):
            owner = active_users().filter(username__iexact=str(value)).first()
            if owner is None:
                errors["owner"] = [
                    _("No active user named: %(join_missing)s.") % {"join_missing": value}
                ]
            cleaned["owner"] = owner
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


def _check_consent(form: WebForm) -> None:
    if form.mailing_list_id and not form.consent_text:
        raise InvalidInput(
            "consent_text", _("A form that subscribes to a list asks for consent: give its text.")
        )


@transaction.atomic
def create_form(actor: Any, *, data: Mapping[str, Any]) -> WebForm:
    """A new form with its own public key."""
    _require_admin(actor)
    form = WebForm(key=secrets.token_urlsafe(12), **_clean_form(data, partial=False))
    _check_consent(form)
    form.save()
    return form


@transaction.atomic
def update_form(actor: Any, form: WebForm, *, data: Mapping[str, Any]) -> WebForm:
    """Change what the payload names; its submissions keep the values they were sent with."""
    _require_admin(actor)
    for name, value in _clean_form(data, partial=True).items():
        setattr(form, name, value)
    _check_consent(form)
    form.save()
    return form


@transaction.atomic
def delete_form(actor: Any, form: WebForm) -> None:
    """Delete the form and its submissions; the contacts it made stay."""
    _require_admin(actor)
    form.delete()


# --------------------------------------------------------------------------------------------
# Submissions


def fill_token() -> str:
    """A signed time the page was served, so that a form sent faster than a person can fill
    it in is refused."""
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(secrets.token_hex(4))


def check_fill_time(token: Any) -> None:
    """InvalidInput when the form came back too fast, too late, or without its token."""
    signer = signing.TimestampSigner(salt=_SIGNER_SALT)
    if not isinstance(token, str) or not token:
        raise InvalidInput("__all__", _("The form has expired: reload the page and send it again."))
    try:
        signer.unsign(token, max_age=settings.KARTOTEKA_FORM_MAX_AGE)
    except signing.BadSignature:
        raise InvalidInput(
            "__all__", _("The form has expired: reload the page and send it again.")
        ) from None
    try:
        signer.unsign(token, max_age=settings.KARTOTEKA_FORM_MIN_SECONDS)
    except signing.SignatureExpired:
        return
    raise InvalidInput(
        "__all__", _("That was faster than a person can fill in a form: please send it again.")
    )


def _clean_values(form: WebForm, values: Mapping[str, Any]) -> tuple[str, dict, bool]:
    """The address, each field's cleaned value, and whether consent was given; every problem
    at once, named by field."""
    errors: dict[str, list[str]] = {}
    address = ""
    try:
        address = normalise_email(str(values.get("email") or ""), field="email")
    except InvalidInput as exc:
        errors.update(exc.errors)
    cleaned: dict[str, Any] = {}
    for field in form.fields:
        key, raw = field["key"], values.get(field["key"])
        if field["type"] == "checkbox":
            cleaned[key] = str(raw or "").lower() in ("on", "1", "true", "yes")
            if field["required"] and not cleaned[key]:
                errors[key] = [_("Tick this box to go on.")]
            continue
        try:
            text = clean_text(raw if isinstance(raw, str) else "", field=key, max_length=MAX_VALUE)
        except InvalidInput as exc:
            errors.update(exc.errors)
            continue
        if field["type"] != "textarea":
            text = " ".join(text.split())
            if len(text) > 255:
                errors[key] = [_("At most 255 characters.")]
                continue
        if not text:
            if field["required"]:
                errors[key] = [_("This field is required.")]
            continue
        if field["type"] == "email":
            try:
                text = normalise_email(text, field=key)
            except InvalidInput as exc:
                errors.update(exc.errors)
                continue
        if field["type"] == "choice" and text not in field["choices"]:
            errors[key] = [_("Pick one of the choices.")]
            continue
        cleaned[key] = text
    consent = str(values.get("consent") or "").lower() in ("on", "1", "true", "yes")
    if form.mailing_list_id and not consent:
        errors["consent"] = [_("Tick the box to agree to receive the e-mails.")]
    if errors:
        raise InvalidInput(errors=errors)
    return address, cleaned, consent


def _contact_data(form: WebForm, cleaned: dict) -> dict:
    data: dict[str, Any] = {}
    for field in form.fields:
        target, value = field["maps_to"], cleaned.get(field["key"])
        if not target or value in (None, ""):
            continue
        if target.startswith("properties."):
            data.setdefault("properties", {})[target[11:]] = value
        else:
            data[target] = value
    return data


def attribution_of(page_url: str) -> dict[str, str]:
    """The UTM and Google Ads fields in a page address's parameters."""
    query = parse_qs(urlsplit(page_url).query)
    return {
        field: query[name][0][:255] for name, field in PAGE_PARAMETERS.items() if query.get(name)
    }


def _field_errors(form: WebForm, exc: InvalidInput) -> InvalidInput:
    """Contacts' errors named by the form field that carried the value."""
    by_target = {f["maps_to"]: f["key"] for f in form.fields if f["maps_to"]}
    errors: dict[str, list[str]] = {}
    for name, messages in exc.errors.items():
        key = by_target.get(name) or by_target.get(name.split("[")[0]) or "__all__"
        if name.startswith("properties"):
            key = next(
                (v for k, v in by_target.items() if k.startswith("properties.") and k[11:] in name),
                "__all__",
            )
        errors.setdefault(key, []).extend(messages)
    return InvalidInput(errors=errors)


def submit_form(
    form: WebForm,
    *,
    values: Mapping[str, Any],
    proof: Mapping[str, str],
    visitor: str = "",
) -> Submission:
    """Take in one submission: the contact created or updated by e-mail, the submission kept
    whole, consent recorded with its proof (or the list's own opt-in run), tags added, the
    visitor's history joined. InvalidInput names each bad field; nothing is written then.
    Whether the address was known changes nothing the caller can tell."""
    address, cleaned, consent = _clean_values(form, values)
    page_url = str(proof.get("page_url") or "")[:2000]
    ip = proof.get("ip") or None
    user_agent = str(proof.get("user_agent") or "")[:500]
    data = _contact_data(form, cleaned)
    now = timezone.now()
    kept = {"email": address, **cleaned}
    if form.consent_text:
        kept["consent"] = consent
    with transaction.atomic():
        existing = (
            visible_contacts(SYSTEM)
            .filter(emails__email_folded=fold_email(address))
            .select_for_update()
            .first()
        )
        try:
            if existing is not None:
                contact = existing
                if data:
                    contact = contacts.update_contact(
                        SYSTEM, existing, data=data, actor_label="form"
                    )
            else:
                new = {
                    **data,
                    **attribution_of(page_url),
                    "created_ip": ip,
                    "created_url": page_url,
                }
                if form.owner_id:
                    new["owners"] = [form.owner.username]
                contact, _created = contacts.upsert_contact_by_email(
                    SYSTEM, email=address, data=new, source="form", actor_label="form"
                )
        except InvalidInput as exc:
            raise _field_errors(form, exc) from None
        submission = Submission.objects.create(
            form=form,
            contact=contact,
            values={
                "email": address,
                **cleaned,
                **({"consent": consent} if form.consent_text else {}),
            },
            page_url=page_url,
            ip=ip,
            user_agent=user_agent,
            submitted_at=now,
        )
        if form.tags:
            contacts.add_tags(
                SYSTEM, contact, names=form.tags, origin=TagOrigin.FORM, origin_label=form.name
            )
        timeline.record_entry(kinds.submitted(contact, form=form.name, at=now))
        if consent and form.mailing_list_id is None:
            _record_consent(form, contact, page_url=page_url, ip=ip, user_agent=user_agent)
        if visitor and _VISITOR.match(visitor):
            tracking.identify_visitor(visitor, email=address, page_url=page_url)
        events.publish(
            "form.submitted", form_id=form.pk, contact_id=contact.pk, submission_id=submission.pk
        )
    if consent and form.mailing_list_id:
        # The list's own run: consent now, or a confirmation e-mail when it asks for double
        # opt-in; it answers the same whatever it finds.
        mailing.subscribe_from_form(
            form.mailing_list,
            email=address,
            first_name=data.get("first_name", ""),
            consent=True,
            proof={"page_url": page_url, "ip": ip or "", "user_agent": user_agent},
        )
    return submission


def _record_consent(
    form: WebForm, contact: Any, *, page_url: str, ip: Any, user_agent: str
) -> None:
    where = _("Form %(name)s (%(key)s): %(text)s") % {
        "name": form.name,
        "key": form.key,
        "text": form.consent_text,
    }
    try:
        with transaction.atomic():
            consents.record_consent(
                SYSTEM,
                contact,
                channel=mailing.CHANNEL,
                purpose=mailing.PURPOSE,
                status="granted",
                source="form",
                proof={
                    "where": where[:2000],
                    "page_url": page_url,
                    "ip": ip or "",
                    "user_agent": user_agent,
                },
            )
    except Conflict:
        # A suppressed address needs a confirmed opt-in; the visitor is answered the same.
        return

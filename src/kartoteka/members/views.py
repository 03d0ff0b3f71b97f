"""Pages of members: the members' area (/members/: sign-in, password reset, the member's own
page) and the team's side (the card's Members section, Settings → Members).

A member's session holds only the member's id and a fingerprint of their password under its own
key; it is never a sign-in of the team (request.user stays anonymous), so no page of the team
opens for a member, and every page of the area reads the member from that session alone."""

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.consents import queries as consent_queries
from kartoteka.consents.models import Channel
from kartoteka.contacts.queries import get_contact
from kartoteka.core.addresses import client_address
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import SYSTEM, is_admin
from kartoteka.mailing import queries as mailing_queries
from kartoteka.mailing.models import MailingList
from kartoteka.members import queries, services, throttle, tokens
from kartoteka.privacy import export as privacy_export
from kartoteka.privacy import services as privacy_services
from kartoteka.privacy.queries import contact_data
from kartoteka.web.forms import ServiceForm, many, text, ticked
from kartoteka.web.registry import SummaryFigure, card_url

SESSION_KEY = "kartoteka.member"
PURPOSE = "marketing"


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def current_member(request: HttpRequest):
    value = request.session.get(SESSION_KEY)
    if not (isinstance(value, list) and len(value) == 2):
        return None
    member = services.member_for_session(value[0], value[1])
    if member is None:
        request.session.pop(SESSION_KEY, None)
    return member


def member_required(view):
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        member = current_member(request)
        if member is None:
            return redirect("members:area")
        request.member = member
        return view(request, *args, **kwargs)

    return wrapped


def _sign_in(request: HttpRequest, member) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = [member.pk, services.session_print(member)]
    services.signed_in(member)


# --------------------------------------------------------------------------------------------
# Signing in


class SignInForm(forms.Form):
    email = forms.CharField(max_length=254, required=False)
    password = forms.CharField(max_length=200, required=False, strip=False)


def area(request: HttpRequest) -> HttpResponse:
    """/members/: the member's page, or the sign-in form."""
    member = current_member(request)
    if member is not None:
        request.member = member
        return _member_page(request)
    form = SignInForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        wait = throttle.seconds_locked(request, email)
        if wait:
            error, status = (
                _("Too many failed sign-ins. Try again in %(minutes)s minutes.")
                % {"minutes": max(1, (wait + 59) // 60)},
                429,
            )
        else:
            member = services.authenticate(email, form.cleaned_data["password"])
            if member is None:
                throttle.failed(request, email)
                error, status = _("The e-mail or the password is wrong."), 422
            else:
                _sign_in(request, member)
                return redirect("members:area")
    elif request.method == "POST":
        error, status = _("The e-mail or the password is wrong."), 422
    return _page(request, "members/sign_in.html", {"form": form, "error": error}, status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    return redirect("members:area")


class ResetForm(forms.Form):
    email = forms.CharField(max_length=254, required=False)


def reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password reset link: the same answer whether or not the address is known."""
    form = ResetForm(request.POST or None)
    sent, status = False, 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if throttle.seconds_locked(request, email):
            status = 429
        else:
            # Each request counts as a failure, so the address cannot be flooded with e-mails.
            throttle.failed(request, email)
            services.request_password_reset(email, language=get_language())
        sent = True
    return _page(request, "members/reset.html", {"form": form, "sent": sent}, status)


class PasswordForm(ServiceForm):
    password = text()
    password_confirm = text()


def set_password(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's or the reset e-mail's link: choose a password, then signed in."""
    try:
        services.member_for_password_token(token)
    except tokens.BadToken:
        return _page(request, "members/bad_link.html", {}, status=404)
    form = PasswordForm(request.POST or None)
    if request.method == "POST":
        member = form.submit(
            lambda data: services.set_password(
                token, password=data["password"], confirm=data["password_confirm"]
            )
        )
        if form.ok and member is not None:
            if services.authenticate(member.contact.email, form.cleaned_data["password"]):
                _sign_in(request, member)
            messages.success(request, _("Your password is set."))
            return redirect("members:area")
    return _page(
        request,
        "members/set_password.html",
        {"form": form, "errors": form.field_errors(), "token": token},
        form.status,
    )


# --------------------------------------------------------------------------------------------
# The member's own page


class DetailsForm(ServiceForm):
    first_name = text()
    last_name = text()
    phone = text()
    street = text()
    city = text()
    postal_code = text()
    country = text()


class ChangePasswordForm(ServiceForm):
    current_password = text()
    password = text()
    password_confirm = text()


def _channels(contact) -> list[dict]:
    return [
        {
            "code": code,
            "label": label,
            "granted": consent_queries.consent_status(contact, channel=code, purpose=PURPOSE)
            == "granted",
        }
        for code, label in Channel.choices
    ]


def _member_page(request: HttpRequest, **extra) -> HttpResponse:
    member = request.member
    contact = get_contact(SYSTEM, member.contact_id)
    initial = {
        name: getattr(contact, name, "") or ""
        for name in ("first_name", "last_name", "street", "city", "postal_code", "country")
    }
    initial["phone"] = contact.phone or ""
    context = {
        "member": member,
        "contact": contact,
        "details": extra.get("details") or DetailsForm(initial=initial),
        "password_form": extra.get("password_form") or ChangePasswordForm(),
        "subscriptions": mailing_queries.preferences(contact),
        "channels": _channels(contact),
        "groups": queries.membership_of(contact.pk).groups,
        "self_forget": queries.self_forget_allowed(),
        "section": extra.get("section", ""),
    }
    return _page(request, "members/area.html", context, extra.get("status", 200))


@member_required
@require_POST
def details(request: HttpRequest) -> HttpResponse:
    form = DetailsForm(request.POST)
    form.submit(lambda data: services.update_own_details(request.member, data=data))
    if form.ok:
        messages.success(request, _("Your details are saved."))
        return redirect("members:area")
    return _member_page(request, details=form, status=form.status, section="details")


@member_required
@require_POST
def change_password(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.POST)
    form.submit(
        lambda data: services.change_password(
            request.member,
            current=data["current_password"],
            password=data["password"],
            confirm=data["password_confirm"],
        )
    )
    if form.ok:
        # The new password's fingerprint keeps this session; every other one ends.
        request.session[SESSION_KEY] = [request.member.pk, services.session_print(request.member)]
        messages.success(request, _("Your password is changed."))
        return redirect("members:area")
    return _member_page(request, password_form=form, status=form.status, section="password")


@member_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    contact = get_contact(SYSTEM, request.member.contact_id)
    subscriptions = mailing_queries.preferences(contact)
    services.save_preferences(
        request.member,
        lists={
            s.mailing_list_id: request.POST.get(f"list_{s.mailing_list_id}") == "on"
            for s in subscriptions
        },
        channels={
            code: request.POST.get(f"channel_{code}") == "on" for code, _l in Channel.choices
        },
        proof={
            "ip": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
            "page_url": request.build_absolute_uri()[:2000],
        },
    )
    messages.success(request, _("Your preferences are saved."))
    return redirect("members:area")


@member_required
def download(request: HttpRequest) -> HttpResponse:
    """The member's data: the same ZIP as the team's data export."""
    data = contact_data(SYSTEM, request.member.contact_id)
    body = privacy_export.build_zip(data)
    privacy_services.record_data_export(SYSTEM, data.contact, files=len(data.files))
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{privacy_export.zip_name(data)}"'
    response["Cache-Control"] = "no-store"
    return response


@member_required
@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Tick the box to confirm that you want to be forgotten."))
        return redirect("members:area")
    how = services.request_forget(request.member, language=get_language())
    if how == "email":
        messages.success(
            request, _("We sent you an e-mail: follow its link to confirm, and you are forgotten.")
        )
    else:
        messages.success(
            request, _("Your request is recorded: we will forget you and let you know.")
        )
    return redirect("members:area")


def forget_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The forget e-mail's link: GET asks once more, POST forgets."""
    try:
        services.member_for_forget_token(token)
    except tokens.BadToken:
        return _page(request, "members/bad_link.html", {}, status=404)
    if request.method == "POST":
        services.forget_confirmed(token)
        request.session.pop(SESSION_KEY, None)
        return _page(request, "members/forgotten.html", {})
    return _page(request, "members/forget_confirm.html", {"token": token})


# --------------------------------------------------------------------------------------------
# The team's side: the card's section and Settings → Members


def member_summary(request: HttpRequest, contact) -> SummaryFigure | None:
    """The card summary's "Member" badge, while the membership is enabled."""
    if not queries.is_member(contact.pk):
        return None
    return SummaryFigure(value=_("Member"), tone="on")


def card_section_data(request: HttpRequest, contact) -> dict:
    return {
        "membership": queries.membership_of(contact.pk),
        "all_groups": queries.groups(),
        "is_admin": is_admin(request.user),
        "section_id": f"members-{contact.pk}",
    }


class MembershipForm(ServiceForm):
    enabled = ticked()
    groups = many()
    invite = ticked()


@login_required
@require_POST
def membership(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = MembershipForm(request.POST)
    form.submit(
        lambda data: services.set_membership(
            request.user,
            contact,
            enabled=data["enabled"],
            groups=list(data["groups"] or []),
            invite=data["invite"],
        )
    )
    if not request.htmx:
        if form.ok:
            messages.success(request, _("The membership is saved."))
        else:
            form.flash(request)
        return redirect(card_url(contact.pk))
    context = {
        "contact": contact,
        "errors": form.all_errors(),
        "saved": form.ok,
        **card_section_data(request, contact),
    }
    response = render(request, "members/card_section.html", context, status=form.status)
    if form.ok:
        response["HX-Trigger"] = "kartoteka:timeline-changed"
    return response


class GroupForm(ServiceForm):
    name = text()


class SettingsForm(ServiceForm):
    self_forget = ticked()
    lists = many()


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Settings → Members: groups (create, rename, delete, who is in each), the lists whose
    form registers members, and whether members may forget themselves."""
    if not is_admin(request.user):
        raise Http404(_("No such page."))
    form = GroupForm()
    settings_form = SettingsForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            form = GroupForm(request.POST)
            form.submit(lambda data: services.create_group(request.user, name=data["name"]))
        elif action == "rename":
            group = queries.get_group(request.POST.get("group", ""))
            form = GroupForm(request.POST)
            form.submit(lambda data: services.rename_group(request.user, group, name=data["name"]))
        elif action == "delete":
            group = queries.get_group(request.POST.get("group", ""))
            form = GroupForm({})
            form.submit(lambda data: services.delete_group(request.user, group))
        elif action == "assign":
            group = queries.get_group(request.POST.get("group", ""))
            form = GroupForm({})
            ids = [int(v) for v in request.POST.getlist("members") if v.isdigit()]
            form.submit(
                lambda data: services.set_group_members(request.user, group, contact_ids=ids)
            )
        elif action == "settings":
            settings_form = SettingsForm(request.POST)
            form = settings_form

            def save(data):
                ids = [int(v) for v in data["lists"] or [] if str(v).isdigit()]
                if len(ids) != len(data["lists"] or []):
                    raise InvalidInput("lists", _("No such list."))
                services.save_settings(
                    request.user, self_forget=data["self_forget"], registering_list_ids=ids
                )

            settings_form.submit(save)
        else:
            raise Http404(_("No such page."))
        if form.ok:
            messages.success(request, _("Saved."))
            return redirect("members:settings")
        status = form.status
    context = {
        "section": "members",
        "groups": queries.groups(),
        "members": queries.members_for_assignment(),
        "lists": MailingList.objects.order_by("name"),
        "registering": queries.registering_list_ids(),
        "self_forget": queries.self_forget_allowed(),
        "errors": form.all_errors(),
    }
    return render(request, "members/settings.html", context, status=status)

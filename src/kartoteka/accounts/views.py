"""Pages of accounts: signing in and out, the password, API tokens, and the settings of the
team and of the workspace."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kartoteka.accounts import queries as account_queries
from kartoteka.accounts import services as account_services
from kartoteka.accounts.models import Role, User, WorkspaceSettings
from kartoteka.web.forms import ServiceForm, text
from kartoteka.web.pages import admin_page, settings_page


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LockedSignInForm(ServiceForm):
    """What the refused sign-in posted that the page shows again (never the password)."""

    username = text()
    next = text()


def sign_in_locked(request: HttpRequest, response, credentials) -> HttpResponse:
    """What django-axes answers once an account or an address has too many failed sign-ins:
    the sign-in page again, saying why and for how long (429)."""
    minutes = settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES
    message = ngettext(
        "Too many failed sign-in attempts. Signing in is locked for %(minutes)d minute;"
        " an admin can unlock it sooner.",
        "Too many failed sign-in attempts. Signing in is locked for %(minutes)d minutes;"
        " an admin can unlock it sooner.",
        minutes,
    ) % {"minutes": minutes}
    posted = LockedSignInForm(request.POST)
    posted.is_valid()  # optional text: always valid
    username = (credentials or {}).get("username") or posted.cleaned_data["username"]
    return render(
        request,
        "accounts/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_message": message,
            "next": posted.cleaned_data["next"],
        },
        status=429,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:contact-list")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext_lazy("Your password was changed."))
        return response


class TokenForm(ServiceForm):
    """A new token's name, or the id of the token to revoke."""

    name = text()
    revoke = forms.IntegerField(required=False)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: create one (shown once) or revoke one."""
    new_token = ""
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and "revoke" in form.data:
        done = form.submit(lambda data: _revoke(request.user, data["revoke"]))
        if done:
            messages.success(request, done)
        form.flash(request)
        return redirect("web:tokens")
    if form.is_bound:
        created = form.submit(
            lambda data: account_services.create_token(
                request.user, request.user, name=data["name"]
            )
        )
        if form.ok:
            _row, new_token = created
        form.flash(request)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": account_queries.tokens_of(request.user), "new_token": new_token},
    )


def _revoke(user: User, token_id: int | None) -> str:
    """Revoke one of the user's tokens; "" if it is not theirs or no longer there."""
    row = account_queries.tokens_of(user).filter(pk=token_id or 0).first()
    if row is None:
        return ""
    account_services.revoke_token(user, row)
    return _("The token was revoked.")


class UsersForm(ServiceForm):
    """The team page: a new member ("create"), or one member's change by their id."""

    action = text()
    id = forms.IntegerField(required=False)
    username = text()
    role = text()
    password = text()
    email = text()
    first_name = text()
    last_name = text()
    address = text()


@admin_page
def users(request: HttpRequest) -> HttpResponse:
    """The team: create a member, change a role, deactivate or reactivate, unlock sign-in."""
    form = UsersForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        done = form.submit(lambda data: _change_team(request.user, data))
        if form.ok:
            if done:
                messages.success(request, done)
            return redirect("web:settings-users")
    locked_usernames, locked_addresses = account_queries.locked_sign_ins()
    members = list(User.objects.order_by("-is_active", "username"))
    for member in members:
        member.sign_in_locked = member.username in locked_usernames
    return settings_page(
        request,
        "accounts/settings/users.html",
        "users",
        {
            "members": members,
            "roles": Role.choices,
            "locked_addresses": locked_addresses,
            "sign_in_failure_limit": settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT,
            "sign_in_lock_minutes": settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES,
        },
        form,
    )


def _change_team(actor: User, data: dict) -> str:
    """Do what the page asked; what to tell the admin ("" for a member gone meanwhile)."""
    action = data["action"]
    member = User.objects.filter(pk=data["id"] or 0).first()
    if action == "create":
        account_services.create_user(
            actor,
            username=data["username"],
            role=data["role"],
            password=data["password"] or None,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
        return _("The user was created.")
    if action == "unlock":
        account_services.unlock_sign_in(
            actor,
            username=member.username if member is not None else "",
            address=data["address"] if member is None else "",
        )
        return _("Signing in is unlocked.")
    if member is None:
        return ""
    if action == "role":
        account_services.change_role(actor, member, role=data["role"])
        return _("The role was changed.")
    if action in ("activate", "deactivate"):
        account_services.set_user_active(actor, member, active=action == "activate")
        if action == "activate":
            return _("The user was reactivated.")
        return _("The user was deactivated.")
    return ""


class WorkspaceForm(ServiceForm):
    """Who owns contacts that arrive without one; empty for nobody."""

    default_owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose an active user.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_owner"].queryset = account_queries.active_users()


@admin_page
def workspace(request: HttpRequest) -> HttpResponse:
    """The owner of contacts added automatically (forms, imports, the API)."""
    form = WorkspaceForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.submit(
            lambda data: account_services.set_default_owner(
                request.user, owner=data["default_owner"]
            )
        )
        if form.ok:
            messages.success(request, _("The default owner was saved."))
            return redirect("web:settings-workspace")
    current = (
        WorkspaceSettings.objects.filter(pk=1).values_list("default_owner_id", flat=True).first()
    )
    return settings_page(
        request,
        "accounts/settings/workspace.html",
        "workspace",
        {"team": list(account_queries.active_users()), "current": current},
        form,
    )

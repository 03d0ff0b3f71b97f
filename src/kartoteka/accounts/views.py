"""Pages of accounts: signing in and out, the password, API tokens, and the settings of the
team and of the workspace."""

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
from kartoteka.core.errors import KartotekaError
from kartoteka.web.pages import admin_page, attempt, settings_page


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "accounts/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_message": message,
            "next": request.POST.get("next", ""),
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


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: create one (shown once) or revoke one."""
    new_token = ""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                revoke = request.POST["revoke"]
                row = (
                    account_queries.tokens_of(request.user)
                    .filter(pk=int(revoke) if revoke.isdigit() else 0)
                    .first()
                )
                if row is not None:
                    account_services.revoke_token(request.user, row)
                    messages.success(request, _("The token was revoked."))
                return redirect("web:tokens")
            _row, new_token = account_services.create_token(
                request.user, request.user, name=request.POST.get("name", "")
            )
        except KartotekaError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": account_queries.tokens_of(request.user), "new_token": new_token},
    )


@admin_page
def users(request: HttpRequest) -> HttpResponse:
    """The team: create a member, change a role, deactivate or reactivate, unlock sign-in."""
    errors: dict = {}
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        member = User.objects.filter(pk=_int(post.get("id"))).first()
        if action == "create":
            errors = attempt(
                request,
                lambda: account_services.create_user(
                    request.user,
                    username=post.get("username", ""),
                    role=post.get("role", ""),
                    password=post.get("password") or None,
                    email=post.get("email", ""),
                    first_name=post.get("first_name", ""),
                    last_name=post.get("last_name", ""),
                ),
                _("The user was created."),
            )
        elif member is not None and action == "role":
            errors = attempt(
                request,
                lambda: account_services.change_role(
                    request.user, member, role=post.get("role", "")
                ),
                _("The role was changed."),
            )
        elif member is not None and action in ("activate", "deactivate"):
            errors = attempt(
                request,
                lambda: account_services.set_user_active(
                    request.user, member, active=action == "activate"
                ),
                _("The user was reactivated.")
                if action == "activate"
                else _("The user was deactivated."),
            )
        elif action == "unlock":
            errors = attempt(
                request,
                lambda: account_services.unlock_sign_in(
                    request.user,
                    username=member.username if member is not None else "",
                    address=post.get("address", "") if member is None else "",
                ),
                _("Signing in is unlocked."),
            )
        if not errors:
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
        errors,
    )


@admin_page
def workspace(request: HttpRequest) -> HttpResponse:
    """The owner of contacts added automatically (forms, imports, the API)."""
    errors: dict = {}
    if request.method == "POST":
        chosen = request.POST.get("default_owner", "")
        owner = account_queries.active_users().filter(pk=_int(chosen)).first() if chosen else None
        if chosen and owner is None:
            errors = {"default_owner": [_("Choose an active user.")]}
        else:
            errors = attempt(
                request,
                lambda: account_services.set_default_owner(request.user, owner=owner),
                _("The default owner was saved."),
            )
        if not errors:
            return redirect("web:settings-workspace")
    current = (
        WorkspaceSettings.objects.filter(pk=1).values_list("default_owner_id", flat=True).first()
    )
    return settings_page(
        request,
        "accounts/settings/workspace.html",
        "workspace",
        {"team": list(account_queries.active_users()), "current": current},
        errors,
    )


def _int(value) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0

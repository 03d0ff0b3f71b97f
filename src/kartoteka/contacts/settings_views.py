"""Admin settings: custom details, tags, users and roles, the default owner of new contacts."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kartoteka.accounts import queries as account_queries
from kartoteka.accounts import services as account_services
from kartoteka.accounts.models import Role, User, WorkspaceSettings
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import PropertyType
from kartoteka.core.errors import KartotekaError
from kartoteka.web.forms import form_errors


def admin_page(view: Callable) -> Callable:
    """Signed-in admins only; a service's refusal becomes a message on the same page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied(_("Only admins may change settings."))
        return view(request, *args, **kwargs)

    return wrapper


def _attempt(request: HttpRequest, action: Callable, success: str) -> dict:
    """Run a service call; a success message, or the field errors for the form."""
    try:
        action()
    except KartotekaError as exc:
        errors = getattr(exc, "errors", None) or {
            getattr(exc, "field", None) or "__all__": [exc.message]
        }
        return form_errors(errors)
    messages.success(request, success)
    return {}


def _choices(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()]


def _render(request: HttpRequest, template: str, section: str, context: dict, errors: dict):
    return render(
        request,
        template,
        {"section": section, "errors": errors, "form": request.POST, **context},
        status=422 if errors else 200,
    )


@admin_page
def details(request: HttpRequest) -> HttpResponse:
    """Custom details: define, rename, change choices, re-order, delete."""
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        definition = (
            contact_queries.all_property_definitions()
            .filter(pk=_int(request.POST.get("id")))
            .first()
        )
        post = request.POST
        if action == "create":
            errors = _attempt(
                request,
                lambda: contact_services.define_property(
                    request.user,
                    key=post.get("key", ""),
                    label=post.get("label", ""),
                    type=post.get("type", ""),
                    choices=_choices(post.get("choices", "")),
                ),
                _("The custom detail was created."),
            )
        elif definition is not None and action == "update":
            errors = _attempt(
                request,
                lambda: contact_services.update_property(
                    request.user,
                    definition,
                    label=post.get("label", definition.label),
                    choices=_choices(post.get("choices", "")) if "choices" in post else None,
                ),
                _("The custom detail was saved."),
            )
        elif definition is not None and action in ("up", "down"):
            _move(request.user, definition, -1 if action == "up" else 1)
        elif definition is not None and action == "delete":
            errors = _attempt(
                request,
                lambda: contact_services.delete_property(request.user, definition),
                _("The custom detail was deleted."),
            )
        if not errors:
            return redirect("web:settings-details")
    return _render(
        request,
        "contacts/settings/details.html",
        "details",
        {
            "definitions": list(contact_queries.all_property_definitions()),
            "types": PropertyType.choices,
            "list_types": (PropertyType.DICTIONARY, PropertyType.MULTI_CHOICE),
        },
        errors,
    )


def _move(actor: User, definition, step: int) -> None:
    """Swap a definition with its neighbour; positions are renumbered so they stay distinct."""
    ordered = list(contact_queries.all_property_definitions())
    index = next(i for i, d in enumerate(ordered) if d.pk == definition.pk)
    target = index + step
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            contact_services.update_property(actor, item, position=position)


@admin_page
def define_field(request: HttpRequest) -> HttpResponse:
    """ "Add field" on the add-contact form: define a custom detail and hand back its input."""
    post = request.POST
    try:
        definition = contact_services.define_property(
            request.user,
            key=post.get("newfield_key", ""),
            label=post.get("newfield_label", ""),
            type=post.get("newfield_type", ""),
            choices=_choices(post.get("newfield_choices", "")),
        )
    except KartotekaError as exc:
        errors = getattr(exc, "errors", None) or {"__all__": [exc.message]}
        return render(
            request, "contacts/settings/_define_result.html", {"errors": form_errors(errors)}
        )
    row = {
        "definition": definition,
        "name": f"detail_{definition.key}",
        "value": "",
        "values": [],
        "errors": [],
    }
    return render(request, "contacts/settings/_define_result.html", {"row": row})


@admin_page
def tags(request: HttpRequest) -> HttpResponse:
    """Tags: rename, colour, merge into another, delete."""
    errors: dict = {}
    all_tags = {t.pk: t for t in contact_queries.all_tags()}
    if request.method == "POST":
        post = request.POST
        tag = all_tags.get(_int(post.get("id")))
        action = post.get("action", "")
        if tag is not None and action == "update":
            errors = _attempt(
                request,
                lambda: contact_services.update_tag(
                    request.user,
                    tag,
                    name=post.get("name", tag.name),
                    color=post.get("color", tag.color),
                ),
                _("The tag was saved."),
            )
        elif tag is not None and action == "merge":
            target = all_tags.get(_int(post.get("target")))
            if target is None:
                errors = {"target": [_("Choose the tag to merge into.")]}
            else:
                errors = _attempt(
                    request,
                    lambda: contact_services.merge_tags(request.user, source=tag, target=target),
                    _("%(source)s was merged into %(target)s.")
                    % {"source": tag.name, "target": target.name},
                )
        elif tag is not None and action == "delete":
            errors = _attempt(
                request,
                lambda: contact_services.delete_tag(request.user, tag),
                _("The tag was deleted."),
            )
        if not errors:
            return redirect("web:settings-tags")
    counted = contact_queries.all_tags().annotate(contact_count=Count("contact_links"))
    return _render(request, "contacts/settings/tags.html", "tags", {"tags": list(counted)}, errors)


@admin_page
def users(request: HttpRequest) -> HttpResponse:
    """The team: create a member, change a role, deactivate or reactivate, unlock sign-in."""
    errors: dict = {}
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        member = User.objects.filter(pk=_int(post.get("id"))).first()
        if action == "create":
            errors = _attempt(
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
            errors = _attempt(
                request,
                lambda: account_services.change_role(
                    request.user, member, role=post.get("role", "")
                ),
                _("The role was changed."),
            )
        elif member is not None and action in ("activate", "deactivate"):
            errors = _attempt(
                request,
                lambda: account_services.set_user_active(
                    request.user, member, active=action == "activate"
                ),
                _("The user was reactivated.")
                if action == "activate"
                else _("The user was deactivated."),
            )
        elif action == "unlock":
            errors = _attempt(
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
    return _render(
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
            errors = _attempt(
                request,
                lambda: account_services.set_default_owner(request.user, owner=owner),
                _("The default owner was saved."),
            )
        if not errors:
            return redirect("web:settings-workspace")
    current = (
        WorkspaceSettings.objects.filter(pk=1).values_list("default_owner_id", flat=True).first()
    )
    return _render(
        request,
        "accounts/settings/workspace.html",
        "workspace",
        {"team": list(account_queries.active_users()), "current": current},
        errors,
    )


def _int(value) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0

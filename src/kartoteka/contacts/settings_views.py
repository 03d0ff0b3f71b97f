"""Admin settings of contacts: custom details and tags."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import PropertyType
from kartoteka.core.errors import KartotekaError
from kartoteka.web.forms import form_errors
from kartoteka.web.pages import admin_page, attempt, settings_page


def _choices(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()]


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
            errors = attempt(
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
            errors = attempt(
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
            errors = attempt(
                request,
                lambda: contact_services.delete_property(request.user, definition),
                _("The custom detail was deleted."),
            )
        if not errors:
            return redirect("web:settings-details")
    return settings_page(
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
            errors = attempt(
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
                errors = attempt(
                    request,
                    lambda: contact_services.merge_tags(request.user, source=tag, target=target),
                    _("%(source)s was merged into %(target)s.")
                    % {"source": tag.name, "target": target.name},
                )
        elif tag is not None and action == "delete":
            errors = attempt(
                request,
                lambda: contact_services.delete_tag(request.user, tag),
                _("The tag was deleted."),
            )
        if not errors:
            return redirect("web:settings-tags")
    counted = contact_queries.all_tags().annotate(contact_count=Count("contact_links"))
    return settings_page(
        request, "contacts/settings/tags.html", "tags", {"tags": list(counted)}, errors
    )


def _int(value) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0

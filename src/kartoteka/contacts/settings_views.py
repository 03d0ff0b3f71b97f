"""Admin settings of contacts: custom details and tags."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts.models import User
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts import tag_colors
from kartoteka.contacts.models import PropertyType
from kartoteka.core.errors import InvalidInput
from kartoteka.web.forms import ServiceForm, text
from kartoteka.web.pages import admin_page, settings_page


def _choices(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()]


class DetailsForm(ServiceForm):
    """The custom details page: a new detail ("create"), or one detail's change by its id."""

    action = text()
    id = forms.IntegerField(required=False)
    key = text()
    label = text()
    type = text()
    choices = text()


@admin_page
def details(request: HttpRequest) -> HttpResponse:
    """Custom details: define, rename, change choices, re-order, delete."""
    form = DetailsForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        done = form.submit(lambda data: _change_detail(request.user, form, data))
        if form.ok:
            if done:
                messages.success(request, done)
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
        form,
    )


def _change_detail(actor: User, form: DetailsForm, data: dict) -> str:
    """Do what the page asked; what to tell the admin ("" for a move, or a detail gone)."""
    action = data["action"]
    if action == "create":
        contact_services.define_property(
            actor,
            key=data["key"],
            label=data["label"],
            type=data["type"],
            choices=_choices(data["choices"]),
        )
        return _("The custom detail was created.")
    definition = contact_queries.all_property_definitions().filter(pk=data["id"] or 0).first()
    if definition is None:
        return ""
    if action == "update":
        # A field the form did not post stays as it is.
        contact_services.update_property(
            actor,
            definition,
            label=data["label"] if "label" in form.data else definition.label,
            choices=_choices(data["choices"]) if "choices" in form.data else None,
        )
        return _("The custom detail was saved.")
    if action in ("up", "down"):
        _move(actor, definition, -1 if action == "up" else 1)
    elif action == "delete":
        contact_services.delete_property(actor, definition)
        return _("The custom detail was deleted.")
    return ""


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


class NewFieldForm(ServiceForm):
    """ "Add field" on the add-contact form."""

    newfield_key = text()
    newfield_label = text()
    newfield_type = text()
    newfield_choices = text()


@admin_page
def define_field(request: HttpRequest) -> HttpResponse:
    """ "Add field" on the add-contact form: define a custom detail and hand back its input."""
    form = NewFieldForm(request.POST)
    definition = form.submit(
        lambda data: contact_services.define_property(
            request.user,
            key=data["newfield_key"],
            label=data["newfield_label"],
            type=data["newfield_type"],
            choices=_choices(data["newfield_choices"]),
        ),
        where={
            "key": "newfield_key",
            "label": "newfield_label",
            "type": "newfield_type",
            "choices": "newfield_choices",
        },
    )
    if not form.ok:
        # A fragment htmx swaps in: a 200, whatever the form's status.
        return render(
            request, "contacts/settings/_define_result.html", {"errors": form.field_errors()}
        )
    row = {
        "definition": definition,
        "name": f"detail_{definition.key}",
        "value": "",
        "values": [],
        "errors": [],
    }
    return render(request, "contacts/settings/_define_result.html", {"row": row})


class TagsForm(ServiceForm):
    """The tags page: one tag's change, by its id."""

    action = text()
    id = forms.IntegerField(required=False)
    name = text()
    color = text()
    target = forms.IntegerField(
        required=False,
        error_messages={"invalid": gettext_lazy("Choose the tag to merge into.")},
    )


@admin_page
def tags(request: HttpRequest) -> HttpResponse:
    """Tags: rename, colour, merge into another, delete."""
    all_tags = {t.pk: t for t in contact_queries.all_tags()}
    form = TagsForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        done = form.submit(lambda data: _change_tag(request.user, form, data, all_tags))
        if form.ok:
            if done:
                messages.success(request, done)
            return redirect("web:settings-tags")
    counted = contact_queries.all_tags().annotate(contact_count=Count("contact_links"))
    return settings_page(
        request,
        "contacts/settings/tags.html",
        "tags",
        {"tags": list(counted), "colors": tag_colors.choices()},
        form,
    )


def _change_tag(actor: User, form: TagsForm, data: dict, all_tags: dict) -> str:
    """Do what the page asked; what to tell the admin ("" for a tag gone meanwhile)."""
    tag = all_tags.get(data["id"])
    action = data["action"]
    if tag is None:
        return ""
    if action == "update":
        contact_services.update_tag(
            actor,
            tag,
            name=data["name"] if "name" in form.data else tag.name,
            color=data["color"] if "color" in form.data else tag.color,
        )
        return _("The tag was saved.")
    if action == "merge":
        target = all_tags.get(data["target"])
        if target is None:
            raise InvalidInput("target", _("Choose the tag to merge into."))
        contact_services.merge_tags(actor, source=tag, target=target)
        return _("%(source)s was merged into %(target)s.") % {
            "source": tag.name,
            "target": target.name,
        }
    if action == "delete":
        contact_services.delete_tag(actor, tag)
        return _("The tag was deleted.")
    return ""

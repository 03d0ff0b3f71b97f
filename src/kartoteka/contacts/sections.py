"""The card sections contacts brings: timeline, tags, custom details, owners, company.

Each has a loader (its reads) and a template, registered like any other app's section; the
write views here answer with the section's fresh fragment.
"""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from kartoteka.accounts import queries as account_queries
from kartoteka.activity import queries as activity_queries
from kartoteka.activity import timeline
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.card import TIMELINE_EVENT, contact_or_404
from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.models import PropertyType
from kartoteka.core.scope import visible_contacts
from kartoteka.web import registry
from kartoteka.web.forms import ServiceForm, form_errors, many, text

TIMELINE_PAGE = 25


def timeline_page(request: HttpRequest, contact) -> dict:
    """One page of the timeline, newest first, grouped by day; "load more" continues after the
    last entry shown (its time and id)."""
    kind = request.GET.get("kind", "")
    try:
        before = parse_datetime(request.GET.get("before", ""))
    except ValueError:  # well-formed but impossible, e.g. month 13: start from the top
        before = None
    before_id = request.GET.get("before_id", "")
    after = (
        (before, int(before_id)) if before and before_id.isascii() and before_id.isdigit() else None
    )
    page, next_after = activity_queries.timeline_page(
        request.user, contact.pk, after=after, limit=TIMELINE_PAGE, kinds=[kind] if kind else None
    )
    context = timeline.Context()
    described = [timeline.present(entry, context) for entry in page]
    previous_day = request.GET.get("day", "")
    days = []
    for day, items in groupby(described, key=lambda d: timezone.localdate(d["entry"].occurred_at)):
        days.append(
            {"day": day, "continued": day.isoformat() == previous_day, "items": list(items)}
        )
    return {
        "days": days,
        "kind": kind,
        "kinds": _kinds_of(request, contact) if not after else [],
        "next": (
            {
                "before": next_after[0].isoformat(),
                "before_id": next_after[1],
                "day": timezone.localdate(next_after[0]).isoformat(),
            }
            if next_after
            else None
        ),
    }


def _kinds_of(request: HttpRequest, contact) -> list[tuple[str, str]]:
    """The kinds on this contact's timeline with their labels, in the reader's alphabet."""
    found = activity_queries.kinds_on_timeline(request.user, contact.pk)
    return sorted(((k, timeline.label(k)) for k in found), key=lambda pair: pair[1].casefold())


@login_required
def timeline_more(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The next page of timeline entries, appended by htmx when the list scrolls to its end."""
    contact = contact_or_404(request, contact_id)
    return render(
        request,
        "contacts/sections/timeline.html#entries",
        {"contact": contact, **timeline_page(request, contact)},
    )


def tags_context(request: HttpRequest, contact) -> dict:
    return {
        "links": sorted(contact.tag_links.all(), key=lambda link: link.tag.name.casefold()),
        "all_tags": list(contact_queries.all_tags().values_list("name", flat=True)[:500]),
        "can_edit": contact_services.can_edit(request.user, contact),
    }


def details_context(request: HttpRequest, contact) -> dict:
    values = contact.properties or {}
    rows = [
        {
            "definition": d,
            "value": values.get(d.key),
            "shown": property_display(d, values.get(d.key)),
        }
        for d in contact_queries.all_property_definitions()
    ]
    return {"rows": rows, "can_edit": contact_services.can_edit(request.user, contact)}


def owners_context(request: HttpRequest, contact) -> dict:
    return {
        "owners": sorted(contact.owners.all(), key=lambda u: u.username),
        "can_edit": contact_services.can_edit(request.user, contact),
    }


def company_context(request: HttpRequest, contact) -> dict:
    can_edit = contact_services.can_edit(request.user, contact)
    if contact.company_id is None:  # the section offers to set one
        return {"company": None, "colleagues": [], "can_edit": can_edit}
    colleagues = (
        visible_contacts(request.user)
        .filter(company_id=contact.company_id)
        .exclude(pk=contact.pk)
        .only("pk", "first_name", "last_name", "email", "job_title")
        .order_by("last_name", "first_name")[:10]
    )
    return {"company": contact.company, "colleagues": list(colleagues), "can_edit": can_edit}


def register_sections() -> None:
    for section in (
        registry.CardSection(
            key="timeline",
            title=_("Timeline"),
            template="contacts/sections/timeline.html",
            load=timeline_page,
            order=10,
        ),
        registry.CardSection(
            key="tags",
            title=_("Tags"),
            template="contacts/sections/tags.html",
            load=tags_context,
            order=20,
            count=lambda context: len(context["links"]),
        ),
        registry.CardSection(
            key="details",
            title=_("Custom details"),
            template="contacts/sections/details.html",
            load=details_context,
            order=30,
            # Offered only where custom details are defined; the figure is how many are filled.
            has_data=lambda contact: contact_queries.all_property_definitions().exists(),
            count=lambda context: sum(1 for row in context["rows"] if row["shown"]),
        ),
        registry.CardSection(
            key="owners",
            title=_("Owners"),
            template="contacts/sections/owners.html",
            load=owners_context,
            order=60,
            count=lambda context: len(context["owners"]),
        ),
        registry.CardSection(
            key="company",
            title=_("Company"),
            template="contacts/sections/company.html",
            load=company_context,
            order=70,
        ),
    ):
        registry.register_card_section(section)


# --------------------------------------------------------------------------------------------
# Writes from the sections


def _section_response(
    request: HttpRequest, contact, key: str, *, errors=None, changed=False, extra=None
):
    """The section's fragment (with errors, if any, and the extra context given); without htmx,
    back to the card."""
    if not request.htmx:
        return redirect("web:contact-card", contact_id=contact.pk)
    contact = contact_queries.get_contact(request.user, contact.pk)
    section = registry.card_section(key)
    context = {"contact": contact, "section": section, "errors": form_errors(errors or {})}
    context.update(section.load(request, contact))
    context.update(extra or {})
    response = render(request, section.template, context)
    if changed:
        response["HX-Trigger"] = TIMELINE_EVENT
    return response


def _write(request: HttpRequest, contact, key: str, form: ServiceForm, action) -> HttpResponse:
    """Run the service call on the form's data; the section with the errors next to their
    inputs if the form or the service refused (htmx swaps only a 200, so it stays)."""
    form.submit(action, not_found="__all__")
    if not form.ok:
        return _section_response(request, contact, key, errors=form.errors)
    return _section_response(request, contact, key, changed=True)


class TagForm(ServiceForm):
    tag = text()


class OwnersForm(ServiceForm):
    owners = many()


class DetailValueForm(ServiceForm):
    """A custom detail's value as typed: several for a multi-choice detail, "" for none."""

    def __init__(self, *args, definition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        multiple = definition.type == PropertyType.MULTI_CHOICE
        self.fields["value"] = many() if multiple else text()


@login_required
@require_POST
def add_tag(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    return _write(
        request,
        contact,
        "tags",
        TagForm(request.POST),
        lambda data: contact_services.add_tags(
            request.user, contact, names=[n for n in data["tag"].split(",") if n.strip()] or [""]
        ),
    )


@login_required
@require_POST
def remove_tag(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    return _write(
        request,
        contact,
        "tags",
        TagForm(request.POST),
        lambda data: contact_services.remove_tag(request.user, contact, name=data["tag"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_owners(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    if request.method == "GET":
        return render(
            request,
            "contacts/sections/owners.html#form",
            {
                "contact": contact,
                "users": list(account_queries.active_users()),
                "chosen": {u.pk for u in contact.owners.all()},
            },
        )
    return _write(
        request,
        contact,
        "owners",
        OwnersForm(request.POST),
        lambda data: contact_services.set_owners(request.user, contact, owners=data["owners"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_detail(request: HttpRequest, contact_id: int, key: str) -> HttpResponse:
    """A custom detail's value, edited in place in the details section."""
    contact = contact_or_404(request, contact_id)
    definition = contact_queries.all_property_definitions().filter(key=key).first()
    if definition is None:
        raise Http404(_("No such custom detail."))
    if request.method == "GET":
        return render(
            request,
            "contacts/sections/details.html#form",
            {
                "contact": contact,
                "definition": definition,
                "value": (contact.properties or {}).get(key),
            },
        )
    form = DetailValueForm(request.POST, definition=definition)
    form.submit(
        lambda data: contact_services.update_contact(
            request.user, contact, data={"properties": {key: data["value"]}}
        ),
        not_found="__all__",
    )
    if not form.ok:  # the form stays open on the value as typed, the error under it
        typed = (
            request.POST.getlist("value")
            if definition.type == PropertyType.MULTI_CHOICE
            else request.POST.get("value", "")
        )
        extra = {"editing": key, "typed": typed}
        return _section_response(request, contact, "details", errors=form.errors, extra=extra)
    return _section_response(request, contact, "details", changed=True)

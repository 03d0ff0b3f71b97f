"""The contact card: a header edited in place, a dashboard of sections each served as its own
fragment, the timeline, and the user's dashboard layout.

Sections come from the registry (kartoteka.web.registry); contacts registers its own five
(timeline, tags, details, owners, company) in sections.py the same way other apps do.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kartoteka.accounts import services as account_services
from kartoteka.contacts import queries as contact_queries
from kartoteka.contacts import services as contact_services
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.form_fields import lines, messengers_text, parse_messengers
from kartoteka.web import registry
from kartoteka.web.forms import ServiceForm, form_errors, text

# htmx sections that show the timeline reload when a response carries this event.
TIMELINE_EVENT = "kartoteka:timeline-changed"
INLINE = "timeline"  # the section rendered with the card page itself


@dataclass(frozen=True)
class Input:
    name: str
    label: Any
    type: str = "text"  # text, email, date, number, textarea, select
    help: Any = ""
    choices: tuple = ()


@dataclass(frozen=True)
class HeaderField:
    """A group of inputs edited together in the card header, e.g. the address."""

    key: str
    label: Any
    inputs: tuple[Input, ...]
    to_data: Any = (
        None  # the form's values → update_contact payload; default: the values as they are
    )
    initial: Any = None  # contact → {input name: value}; default: the attributes of that name


def _status_choices() -> list[tuple[str, str]]:
    return lead_statuses.load().choices()


def _text_initial(*names: str):
    return lambda contact: {n: getattr(contact, n) or "" for n in names}


HEADER_FIELDS: dict[str, HeaderField] = {
    f.key: f
    for f in (
        HeaderField(
            "name",
            gettext_lazy("Name"),
            (
                Input("first_name", gettext_lazy("First name")),
                Input("last_name", gettext_lazy("Last name")),
            ),
        ),
        HeaderField(
            "emails",
            gettext_lazy("E-mail"),
            (
                Input(
                    "emails",
                    gettext_lazy("E-mail addresses"),
                    "textarea",
                    gettext_lazy("One per line; the first is the primary one."),
                ),
            ),
            to_data=lambda values: {"emails": lines(values["emails"])},
            initial=lambda c: {"emails": "\n".join(e.email for e in c.emails.all())},
        ),
        HeaderField(
            "phones",
            gettext_lazy("Phone"),
            (
                Input(
                    "phones",
                    gettext_lazy("Phone numbers"),
                    "textarea",
                    gettext_lazy("One per line; the first is the primary one."),
                ),
            ),
            to_data=lambda values: {"phones": lines(values["phones"])},
            initial=lambda c: {"phones": "\n".join(p.number for p in c.phones.all())},
        ),
        HeaderField(
            "company",
            gettext_lazy("Company"),
            (
                Input("company", gettext_lazy("Company")),
                Input("job_title", gettext_lazy("Job title")),
            ),
            initial=lambda c: {
                "company": c.company.name if c.company else "",
                "job_title": c.job_title,
            },
        ),
        HeaderField(
            "address",
            gettext_lazy("Address"),
            (
                Input("street", gettext_lazy("Street")),
                Input("postal_code", gettext_lazy("Postal code")),
                Input("city", gettext_lazy("City")),
                Input("region", gettext_lazy("Region")),
                Input(
                    "country",
                    gettext_lazy("Country"),
                    help=gettext_lazy("Two-letter code or name, e.g. ES"),
                ),
            ),
        ),
        HeaderField("fax", gettext_lazy("Fax"), (Input("fax", gettext_lazy("Fax")),)),
        HeaderField(
            "birthday",
            gettext_lazy("Birthday"),
            (Input("birthday", gettext_lazy("Birthday"), "date"),),
            initial=lambda c: {"birthday": c.birthday.isoformat() if c.birthday else ""},
        ),
        HeaderField(
            "score", gettext_lazy("Score"), (Input("score", gettext_lazy("Score"), "number"),)
        ),
        HeaderField(
            "messengers",
            gettext_lazy("Messengers"),
            (
                Input(
                    "messengers",
                    gettext_lazy("Messenger handles"),
                    "textarea",
                    gettext_lazy("One per line as network: handle, e.g. telegram: @marta"),
                ),
            ),
            to_data=lambda values: {"messengers": parse_messengers(values["messengers"])},
            initial=lambda c: {"messengers": messengers_text(c)},
        ),
        HeaderField(
            "status",
            gettext_lazy("Status"),
            (
                # A callable: the template asks for the statuses as they are now.
                Input("status", gettext_lazy("Status"), "select", choices=_status_choices),
                Input("status_reason", gettext_lazy("Reason (optional)")),
            ),
            initial=lambda c: {"status": c.status, "status_reason": ""},
        ),
    )
}


def _initial(header_field: HeaderField, contact) -> dict:
    if header_field.initial:
        return header_field.initial(contact)
    return _text_initial(*(i.name for i in header_field.inputs))(contact)


class HeaderFieldForm(ServiceForm):
    """One header field's inputs (trimmed), and the card's version the edit started from."""

    version = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, header_field: HeaderField, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_field = header_field
        for header_input in header_field.inputs:
            self.fields[header_input.name] = forms.CharField(required=False)

    def changes(self) -> dict:
        """The update_contact payload."""
        values = {i.name: self.cleaned_data[i.name] for i in self.header_field.inputs}
        if self.header_field.to_data:
            return self.header_field.to_data(values)
        return values


# --------------------------------------------------------------------------------------------
# The dashboard layout


def dashboard_layout(user) -> dict:
    """The user's saved layout: section order, hidden sections and the lock."""
    saved = (user.preferences or {}).get("card_layout") or {}
    return {
        "order": [k for k in saved.get("order", []) if isinstance(k, str)],
        "hidden": {k for k in saved.get("hidden", []) if isinstance(k, str)},
        "locked": bool(saved.get("locked", False)),
    }


def arranged_sections(user, contact) -> list[tuple[registry.CardSection, bool]]:
    """(section, hidden) in the user's order; sections that cannot apply to this contact are left
    out, and sections the user never placed follow in their registered order."""
    layout = dashboard_layout(user)
    offered = [s for s in registry.card_sections() if s.has_data(contact)]
    position = {key: index for index, key in enumerate(layout["order"])}
    offered.sort(key=lambda s: position.get(s.key, len(position)))
    return [(s, s.key in layout["hidden"]) for s in offered]


@login_required
@require_POST
def save_layout(request: HttpRequest) -> HttpResponse:
    """Save the dashboard layout posted by the card (order, hidden, locked)."""
    form = LayoutForm(request.POST)
    form.submit(
        lambda data: account_services.update_preferences(
            request.user, changes={"card_layout": form.layout()}
        )
    )
    return HttpResponse(status=204 if form.ok else form.status)


class LayoutForm(ServiceForm):
    """The dashboard's section keys in order and the hidden ones (comma-separated), the lock."""

    order = text()
    hidden = text()
    locked = text()

    def layout(self) -> dict:
        known = {s.key for s in registry.card_sections()}
        data = self.cleaned_data
        return {
            "order": [k for k in data["order"].split(",") if k in known],
            "hidden": [k for k in data["hidden"].split(",") if k in known],
            "locked": data["locked"] in ("1", "true", "on"),
        }


# --------------------------------------------------------------------------------------------
# Pages and fragments


def contact_or_404(request: HttpRequest, contact_id: int):
    """The contact, if the user may see it; a 404 otherwise (web.middleware), never a 403."""
    return contact_queries.get_contact(request.user, contact_id)


def section_body(request: HttpRequest, contact, section: registry.CardSection) -> tuple[str, str]:
    """The section's fragment and its title figure."""
    context = {"contact": contact, "section": section, "errors": {}, "form": {}}
    context.update(section.load(request, contact))
    return render_to_string(section.template, context, request=request), section.count_of(context)


# --------------------------------------------------------------------------------------------
# The header: avatar, name and role, status, summary strip, actions, facts

# Avatar backgrounds, each dark enough for white initials (contrast of 4.5:1 at least).
AVATAR_COLOURS = (
    "#1d4ed8",
    "#6d28d9",
    "#be185d",
    "#b91c1c",
    "#c2410c",
    "#15803d",
    "#0f766e",
    "#0369a1",
    "#475569",
    "#a21caf",
)


@dataclass(frozen=True)
class Avatar:
    initials: str
    colour: str


def avatar(contact) -> Avatar:
    """The contact's initials on a background colour of their own that stays the same."""
    words = [w for w in (contact.first_name, contact.last_name) if w.strip()]
    initials = "".join(w.strip()[0] for w in words) or (contact.email or "?")[0]
    return Avatar(initials.upper(), AVATAR_COLOURS[(contact.pk or 0) % len(AVATAR_COLOURS)])


@dataclass(frozen=True)
class Fact:
    """One fact of the header: its value as shown ("" when the contact has none), the links
    it opens (e-mails, phones: the first shown, the others under "+N more"), and what an
    editable empty fact offers instead ("Add fax")."""

    key: str
    label: Any
    text: str = ""
    links: tuple[tuple[str, str], ...] = ()
    add: Any = ""
    editable: bool = True


def _address(contact) -> str:
    place = " ".join(p for p in (contact.postal_code, contact.city) if p)
    parts = [p for p in (contact.street, place, contact.region) if p]
    text = ", ".join(parts)
    if contact.country:
        text = f"{text} ({contact.country})" if text else contact.country
    return text


def header_facts(contact) -> list[Fact]:
    """The facts under the summary strip (the name, role, status, owners and score are shown
    above them); every read is prefetched by contacts.queries.with_card_data."""
    return [
        Fact(
            "emails",
            _("E-mail"),
            links=tuple((f"mailto:{e.email}", e.email) for e in contact.emails.all()),
            add=_("Add e-mail"),
        ),
        Fact(
            "phones",
            _("Phone"),
            links=tuple((f"tel:{p.number}", p.number) for p in contact.phones.all()),
            add=_("Add phone"),
        ),
        Fact("address", _("Address"), _address(contact), add=_("Add address")),
        Fact(
            "messengers",
            _("Messengers"),
            ", ".join(f"{m.get_network_display()}: {m.handle}" for m in contact.messengers.all()),
            add=_("Add messenger"),
        ),
        Fact("fax", _("Fax"), contact.fax, add=_("Add fax")),
        Fact(
            "birthday",
            _("Birthday"),
            date_format(contact.birthday, "SHORT_DATE_FORMAT") if contact.birthday else "",
            add=_("Add birthday"),
        ),
        Fact("source", _("Source"), contact.get_source_display(), editable=False),
        Fact("id", _("Contact ID"), f"#{contact.pk}", editable=False),
        Fact(
            "created",
            _("Created"),
            date_format(localtime(contact.created_at), "SHORT_DATETIME_FORMAT"),
            editable=False,
        ),
    ]


def summary(request: HttpRequest, contact) -> list[dict]:
    """The summary strip: each registered item that has something to show on this contact,
    with where it leads (its dashboard section, or its tab when the user hid the section)."""
    hidden = dashboard_layout(request.user)["hidden"]
    shown = []
    for item in registry.card_summary_items():
        figure = item.load(request, contact)
        if figure is None:
            continue
        if item.section and item.section not in hidden and registry.card_section(item.section):
            href = f"#section-{item.section}"
        elif item.url_name:
            href = reverse(item.url_name, kwargs={"contact_id": contact.pk})
        else:
            href = ""
        shown.append({"key": item.key, "figure": figure, "href": href})
    return shown


def score_summary(request: HttpRequest, contact) -> registry.SummaryFigure:
    return registry.SummaryFigure(label=_("Score"), value=contact.score, field="score")


def last_activity_summary(request: HttpRequest, contact) -> registry.SummaryFigure | None:
    if contact.last_activity_at is None:
        return None
    return registry.SummaryFigure(label=_("Last activity"), value=contact.last_activity_at)


def _header_context(request: HttpRequest, contact) -> dict:
    actions = registry.shown_card_actions(request.user, contact)
    primary = next((a for a in actions if a.primary), None)
    return {
        "contact": contact,
        "can_edit": contact_services.can_edit(request.user, contact),
        "statuses": lead_statuses.load().choices(),
        "avatar": avatar(contact),
        "facts": header_facts(contact),
        "summary": summary(request, contact),
        "primary_action": primary,
        "menu_actions": [a for a in actions if a is not primary],
        "state_badges": [a for a in actions if a.badge],
    }


@login_required
def card(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    layout = dashboard_layout(request.user)
    # The timeline comes with the page; every other section loads as its own fragment right
    # after, so a slow section never holds the card back.
    sections = []
    for s, hidden in arranged_sections(request.user, contact):
        inline = s.key == INLINE and not hidden
        body, count = section_body(request, contact, s) if inline else ("", "")
        sections.append(
            {
                "section": s,
                "hidden": hidden,
                "body": body,
                "count": count,
                "counted": s.count is not None,
            }
        )
    return render(
        request,
        "contacts/card.html",
        {
            **_header_context(request, contact),
            "sections": sections,
            "layout_locked": layout["locked"],
            "tabs": registry.card_tabs(request.user),
        },
    )


@login_required
def card_section(request: HttpRequest, contact_id: int, key: str) -> HttpResponse:
    """One section's body, for htmx to load or reload it alone."""
    contact = contact_or_404(request, contact_id)
    section = registry.card_section(key)
    if section is None or not section.has_data(contact):
        raise Http404(_("No such section."))
    return HttpResponse(section_body(request, contact, section)[0])


@login_required
def card_header(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    return render(request, "contacts/card.html#header", _header_context(request, contact))


@login_required
@require_http_methods(["GET", "POST"])
def edit_field(request: HttpRequest, contact_id: int, key: str) -> HttpResponse:
    """GET: the field's edit form. POST: save through update_contact; the header on success,
    the form with its errors next to the inputs otherwise."""
    contact = contact_or_404(request, contact_id)
    header_field = HEADER_FIELDS.get(key)
    if header_field is None:
        raise Http404(_("No such field."))
    if request.method == "GET":
        return _field_form(request, contact, header_field, _initial(header_field, contact), {})
    form = HeaderFieldForm(request.POST, header_field=header_field)
    form.submit(
        lambda data: contact_services.update_contact(
            request.user, contact, data=form.changes(), expected_version=data["version"]
        )
    )
    if not form.ok:
        return _field_form(
            request, contact, header_field, request.POST, form.errors, status=form.status
        )
    if not request.htmx:
        return redirect("web:contact-card", contact_id=contact.pk)
    response = render(
        request,
        "contacts/card.html#header",
        _header_context(request, contact_queries.get_contact(request.user, contact.pk)),
    )
    response["HX-Trigger"] = TIMELINE_EVENT
    return response


def _field_form(request, contact, header_field, values, errors, *, status: int = 200):
    errors = form_errors(errors)
    names = {i.name for i in header_field.inputs}
    # Errors of list entries ("emails.2.email") belong to the list's input.
    by_input = {name: [] for name in names}
    general = list(errors.pop("general", []))
    for key, messages_of_key in errors.items():
        base = key.split("__")[0]
        by_input.get(base, general).extend(messages_of_key)
    response = render(
        request,
        "contacts/card.html#field-form",
        {
            "contact": contact,
            "header_field": header_field,
            "rows": [
                {"input": i, "value": values.get(i.name, ""), "errors": by_input.get(i.name, [])}
                for i in header_field.inputs
            ],
            "general_errors": general,
        },
        status=status,
    )
    if status != 200:
        # htmx swaps only 2xx by default: send the form back into the field, with a 200.
        response.status_code = 200
        response["HX-Retarget"] = f"#fact-{header_field.key}"
        response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_POST
def delete_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_or_404(request, contact_id)
    name = str(contact)
    contact_services.delete_contact(request.user, contact)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("web:contact-list")

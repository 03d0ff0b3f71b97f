"""Pages of companies: the list (search, filters, columns, export), a company's page (record,
people, deals, timeline and notes), merging two companies and undoing it."""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kartoteka.companies import queries, services
from kartoteka.companies.models import Size
from kartoteka.contacts.queries import search_contacts
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.transfer.services import csv_lines, write_xlsx
from kartoteka.web.forms import ServiceForm, form_errors, text
from kartoteka.web.pages import admin_page, settings_page

LIST_PAGE = 50
PICKER_SIZE = 10
# The list's optional columns (the name is always shown), in order, with the default ones.
COLUMNS = {
    "domain": gettext_lazy("Domain"),
    "industry": gettext_lazy("Industry"),
    "size": gettext_lazy("Size"),
    "country": gettext_lazy("Country"),
    "phone": gettext_lazy("Phone"),
    "people": gettext_lazy("People"),
    "created": gettext_lazy("Created"),
}
DEFAULT_COLUMNS = ("domain", "industry", "size", "people")
PROFILE_FORM = ("industry", "size", "phone", "street", "city", "postal_code", "country")
# How the timeline names a changed field.
FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "domain": gettext_lazy("Domain"),
    "industry": gettext_lazy("Industry"),
    "size": gettext_lazy("Size"),
    "phone": gettext_lazy("Phone"),
    "street": gettext_lazy("Street"),
    "city": gettext_lazy("City"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "properties": gettext_lazy("Custom details"),
}


def _timeline(request: HttpRequest, company) -> list:
    entries = queries.timeline(request.user, company)
    for entry in entries:
        for change in entry.payload.get("changes", []):
            change["label"] = FIELD_LABELS.get(change.get("field"), change.get("field"))
    return entries


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 12 else None


def _company_or_404(request: HttpRequest, company_id: int):
    try:
        return queries.get_company(request.user, company_id)
    except NotFound:
        raise Http404 from None


def _filters(request: HttpRequest) -> queries.CompanyFilters:
    size = request.GET.get("size", "")
    people = request.GET.get("people", "")
    return queries.CompanyFilters(
        search=request.GET.get("q", "")[:200],
        industry=request.GET.get("industry", "")[:255],
        size=size if size in Size.values else "",
        country=request.GET.get("country", "").strip().upper()[:2],
        has_people={"yes": True, "no": False}.get(people),
    )


def _columns(request: HttpRequest) -> list[str]:
    chosen = [c for c in request.GET.getlist("col") if c in COLUMNS]
    return chosen or list(DEFAULT_COLUMNS)


def _cell(company, key: str) -> str:
    profile = getattr(company, "profile", None)
    if key == "domain":
        return company.domain
    if key == "people":
        return company.people_count
    if key == "created":
        return company.created_at
    if key == "size":
        return profile.get_size_display() if profile and profile.size else ""
    return getattr(profile, key, "") if profile else ""


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    companies = queries.filter_companies(request.user, _filters(request))
    sorted_companies, sort_key, descending = queries.ordered(
        queries.with_list_data(request.user, companies), request.GET.get("sort", "name")
    )
    page = Paginator(sorted_companies, LIST_PAGE).get_page(request.GET.get("page"))
    columns = _columns(request)
    query = request.GET.copy()
    query.pop("page", None)
    without_sort = query.copy()
    without_sort.pop("sort", None)
    return render(
        request,
        "companies/list.html",
        {
            "page": page,
            "rows": [(c, [(k, _cell(c, k)) for k in columns]) for c in page],
            "columns": [(k, COLUMNS[k], k in queries.SORTS) for k in columns],
            "all_columns": [(k, label, k in columns) for k, label in COLUMNS.items()],
            "sort_key": sort_key,
            "descending": descending,
            "query": query.urlencode(),
            "query_without_sort": without_sort.urlencode(),
            "sizes": Size.choices,
            "industries": queries.industries(),
            "chosen": request.GET,
            "can_merge": queries.sees_everything(request.user),
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The list's companies (its filters, columns and order, the user's scope) as a CSV or, with
    `format=xlsx`, an XLSX file (the contact export's writer)."""
    companies = queries.filter_companies(request.user, _filters(request))
    sorted_companies, _key, _descending = queries.ordered(
        queries.with_list_data(request.user, companies), request.GET.get("sort", "name")
    )
    columns = _columns(request)
    header = ["id", str(_("Name")), *(str(COLUMNS[k]) for k in columns)]

    def rows():
        for company in sorted_companies.iterator(chunk_size=2000):
            cells = (_cell(company, k) for k in columns)
            yield [
                company.pk,
                company.name,
                *cells,
            ]

    if request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        write_xlsx(out, header, rows(), title=str(_("Companies")))
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="companies.xlsx"'
        return response
    response = HttpResponse(
        "\ufeff" + "".join(csv_lines(header, rows())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="companies.csv"'
    return response


def _form_data(request: HttpRequest) -> dict:
    data = {name: request.POST.get(name, "") for name in ("name", "domain", *PROFILE_FORM)}
    fields = list(queries.company_fields())
    if fields:
        data["properties"] = {f.key: request.POST.get(f"p_{f.key}", "") for f in fields}
    return data


@login_required
def company_new(request: HttpRequest) -> HttpResponse:
    errors: dict = {}
    if request.method == "POST":
        try:
            company = services.create_company(request.user, data=_form_data(request))
        except InvalidInput as exc:
            errors = form_errors(exc.errors)
        except Conflict as exc:
            errors = form_errors({exc.field or "name": [exc.message]})
        else:
            messages.success(request, _("Company created."))
            return redirect("companies:page", company_id=company.pk)
    return render(
        request,
        "companies/new.html",
        {
            "errors": errors,
            "values": request.POST,
            "sizes": Size.choices,
            "fields": [(f, request.POST.get(f"p_{f.key}", "")) for f in queries.company_fields()],
        },
        status=422 if errors else 200,
    )


@login_required
def company_page(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(request, company_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            services.update_company(request.user, company, data=_form_data(request))
        except InvalidInput as exc:
            errors = form_errors(exc.errors)
        except Conflict as exc:
            errors = form_errors({exc.field or "name": [exc.message]})
        else:
            messages.success(request, _("Company saved."))
            return redirect("companies:page", company_id=company.pk)
        company = _company_or_404(request, company_id)
    profile = getattr(company, "profile", None)
    values = (
        request.POST
        if errors
        else {
            "name": company.name,
            "domain": company.domain,
            **{name: getattr(profile, name, "") for name in PROFILE_FORM},
        }
    )
    stored = profile.properties if profile else {}
    return render(
        request,
        "companies/company.html",
        {
            "company": company,
            "profile": profile,
            "people": queries.people(request.user, company),
            "deals": queries.deals(request.user, company),
            "timeline": _timeline(request, company),
            "last_merge": queries.last_merge(request.user, company),
            "can_admin": queries.sees_everything(request.user),
            "errors": errors,
            "values": values,
            "sizes": Size.choices,
            "fields": [
                (f, request.POST.get(f"p_{f.key}", "") if errors else stored.get(f.key, ""))
                for f in queries.company_fields()
            ],
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def person(request: HttpRequest, company_id: int) -> HttpResponse:
    """Add, change or take off one of the company's people."""
    company = _company_or_404(request, company_id)
    contact_id = _int(request.POST.get("contact"))
    try:
        if request.POST.get("remove"):
            services.remove_person(request.user, company, contact_id=contact_id)
            messages.success(request, _("Person taken off the company."))
        else:
            services.set_person(
                request.user,
                company,
                contact_id=contact_id,
                role=request.POST.get("role") or None,
                job_title=request.POST.get("job_title") or None,
                primary=bool(request.POST.get("primary")),
            )
            messages.success(request, _("Person saved."))
    except InvalidInput as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect("companies:page", company_id=company.pk)


@login_required
def person_search(request: HttpRequest, company_id: int) -> HttpResponse:
    """The add-person picker's choices (htmx): contacts the user sees whose name, e-mail,
    phone or company has every word typed, each a radio button of the form."""
    _company_or_404(request, company_id)
    text = request.GET.get("q", "").strip()[:200]
    found = list(search_contacts(request.user, text).order_by("-pk")[:PICKER_SIZE]) if text else []
    return render(request, "companies/_person_results.html", {"q": text, "found": found})


@login_required
@require_POST
def note(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(request, company_id)
    try:
        services.add_note(request.user, company, body=request.POST.get("body", ""))
    except InvalidInput as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect("companies:page", company_id=company.pk)


@login_required
@require_POST
def delete(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(request, company_id)
    try:
        services.delete_company(request.user, company)
    except Forbidden as exc:
        messages.error(request, exc.message)
        return redirect("companies:page", company_id=company.pk)
    messages.success(request, _("Company deleted."))
    return redirect("companies:list")


@login_required
def merge(request: HttpRequest) -> HttpResponse:
    """Pick the duplicate and the company that stays (admins), then merge."""
    errors: dict = {}
    if not queries.sees_everything(request.user):
        raise Http404
    if request.method == "POST":
        try:
            done = services.merge_companies(
                request.user,
                survivor_id=_int(request.POST.get("survivor")),
                merged_id=_int(request.POST.get("merged")),
            )
        except InvalidInput as exc:
            errors = form_errors(exc.errors)
        else:
            messages.success(
                request,
                _("Merged %(name)s into this company. You can undo it below.")
                % {"name": done.snapshot["name"]},
            )
            return redirect("companies:page", company_id=done.survivor_id)
    chosen = request.POST if errors else request.GET
    return render(
        request,
        "companies/merge.html",
        {"errors": errors, "values": chosen},
        status=422 if errors else 200,
    )


@login_required
@require_POST
def undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    if not queries.sees_everything(request.user):
        raise Http404
    try:
        found = queries.get_merge(merge_id)
    except NotFound:
        raise Http404 from None
    try:
        restored = services.undo_merge(request.user, found)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("companies:page", company_id=found.survivor_id)
    messages.success(request, _("Merge undone: %(name)s is back.") % {"name": restored.name})
    return redirect("companies:page", company_id=restored.pk)


# --------------------------------------------------------------------------------------------
# Company details (admins): typed custom details of companies


class CompanyFieldForm(ServiceForm):
    """The company details page: a new detail ("create"), or one detail's change by its id."""

    action = text()
    id = forms.IntegerField(required=False)
    key = text()
    label = text()
    type = text()
    choices = text()
    confirm = text()


def _choices(value: str) -> list[str]:
    return [c.strip() for c in value.replace("\n", ",").split(",") if c.strip()]


@admin_page
def company_fields(request: HttpRequest) -> HttpResponse:
    """Company details: add, rename, change choices, delete (asking first when in use)."""
    from kartoteka.contacts.models import PropertyType

    form = CompanyFieldForm(request.POST if request.method == "POST" else None)
    confirm = None
    if form.is_bound:
        done = form.submit(lambda data: _change_field(request.user, form, data))
        if form.ok and isinstance(done, tuple):
            confirm = done
        elif form.ok:
            if done:
                messages.success(request, done)
            return redirect("companies:fields")
    return settings_page(
        request,
        "companies/fields.html",
        "company-fields",
        {
            "fields": queries.company_fields(),
            "types": PropertyType.choices,
            "list_types": (PropertyType.DICTIONARY, PropertyType.MULTI_CHOICE),
            "confirm": confirm,
        },
        form,
    )


def _change_field(actor, form: CompanyFieldForm, data: dict):
    """Do what the page asked: what to tell the admin, or (detail, companies using it) when a
    delete needs confirming."""
    action = data["action"] or "create"
    if action == "create":
        services.add_company_field(
            actor,
            key=data["key"],
            label=data["label"],
            type=data["type"],
            choices=_choices(data["choices"]) or None,
        )
        return _("Company detail added.")
    field = queries.company_fields().filter(pk=data["id"] or 0).first()
    if field is None:
        return ""
    if action == "update":
        # A field the form did not post stays as it is.
        services.update_company_field(
            actor,
            field,
            label=data["label"] if "label" in form.data else None,
            choices=_choices(data["choices"]) if "choices" in form.data else None,
        )
        return _("Company detail saved.")
    if action == "delete":
        services.require_admin(actor, _("manage company details"))
        uses = services.company_field_uses(field)
        if uses and not data["confirm"]:
            return (field, uses)
        services.delete_company_field(actor, field)
        return _("Company detail deleted.")
    return ""


# --------------------------------------------------------------------------------------------
# The card's "Other companies" section: the companies a contact is at besides its primary one


def card_section_data(request: HttpRequest, contact) -> dict:
    return {"memberships": queries.memberships_of(request.user, contact)}

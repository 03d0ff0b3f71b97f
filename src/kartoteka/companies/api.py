"""REST endpoints of companies, under /api/v1."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.companies import queries, services
from kartoteka.companies.models import Size
from kartoteka.companies.schemas import (
    CompanyFieldIn,
    CompanyFieldOut,
    CompanyFieldPatch,
    CompanyIn,
    CompanyListQuery,
    CompanyMergeIn,
    CompanyMergeOut,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
)
from kartoteka.contacts.models import Company
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import ErrorCollector, InvalidInput

router = Router(tags=["companies"])
MAX_PAGE = 200


def company_json(actor, company: Company) -> dict:
    profile = getattr(company, "profile", None)
    return {
        "id": company.pk,
        "name": company.name,
        "domain": company.domain,
        **{
            name: getattr(profile, name) if profile else ""
            for name in ("industry", "size", "phone", "street", "city", "postal_code", "country")
        },
        "properties": profile.properties if profile else {},
        "people": [
            {
                "contact": p.contact.pk,
                "name": str(p.contact),
                "role": p.role,
                "job_title": p.job_title,
                "primary": p.primary,
            }
            for p in queries.people(actor, company)
        ],
        "deals": [
            {
                "id": d.pk,
                "name": d.name,
                "amount": str(d.amount),
                "currency": d.currency,
                "status": d.status,
                "stage": d.stage.label,
            }
            for d in queries.deals(actor, company)
        ],
        "created_at": company.created_at,
    }


def merge_json(merge) -> dict:
    return {
        "id": merge.pk,
        "survivor": merge.survivor_id,
        "merged": merge.merged_company_id,
        "merged_at": merge.merged_at,
        "undone": merge.undone_at is not None,
    }


@router.get("/companies", response=CompanyPage)
def list_companies(request: HttpRequest, filters: Query[CompanyListQuery]):
    """Companies the caller sees (one of their people or deals is the caller's), newest
    first, one keyset page at a time."""
    errors = ErrorCollector()
    if not 1 <= filters.limit <= MAX_PAGE:
        errors.add("limit", _("limit must be between 1 and %(max_page)s.") % {"max_page": MAX_PAGE})
    if filters.size and filters.size not in Size.values:
        errors.add("size", _("Choose a size among %(sizes)s.") % {"sizes": ", ".join(Size.values)})
    after_id = None
    if filters.cursor:
        try:
            (after_id,) = decode_cursor(filters.cursor, size=1)
        except InvalidInput as exc:
            errors.capture(exc)
        if after_id is not None and (isinstance(after_id, bool) or not isinstance(after_id, int)):
            errors.add("cursor", _("Not a cursor from this list; start again without it."))
    errors.raise_if_any()
    companies = queries.filter_companies(
        request.user,
        queries.CompanyFilters(
            search=filters.q[:200],
            industry=filters.industry[:255],
            size=filters.size,
            country=filters.country.upper()[:2],
        ),
    )
    if after_id is not None:
        companies = companies.filter(pk__lt=after_id)
    rows = list(
        queries.with_list_data(request.user, companies).order_by("-pk")[: filters.limit + 1]
    )
    page = rows[: filters.limit]
    return {
        "items": [
            {
                "id": c.pk,
                "name": c.name,
                "domain": c.domain,
                "industry": c.profile.industry if hasattr(c, "profile") else "",
                "size": c.profile.size if hasattr(c, "profile") else "",
                "country": c.profile.country if hasattr(c, "profile") else "",
                "people": c.people_count,
            }
            for c in page
        ],
        "next_cursor": encode_cursor(page[-1].pk) if len(rows) > filters.limit else None,
    }


@router.post("/companies", response={201: CompanyOut})
def create_company(request: HttpRequest, payload: CompanyIn):
    """A new company with its profile and people; 409 when one has the same name."""
    company = services.create_company(request.user, data=payload.model_dump(exclude_unset=True))
    return Status(201, company_json(request.user, queries.get_company(request.user, company.pk)))


@router.get("/companies/{int:company_id}", response=CompanyOut)
def get_company(request: HttpRequest, company_id: int):
    """The company with the people and deals the caller sees."""
    return company_json(request.user, queries.get_company(request.user, company_id))


@router.patch("/companies/{int:company_id}", response=CompanyOut)
def update_company(request: HttpRequest, company_id: int, payload: CompanyPatch):
    """Change the fields given; `people` adds or updates people, `remove_people` takes some
    off."""
    company = queries.get_company(request.user, company_id)
    services.update_company(request.user, company, data=payload.model_dump(exclude_unset=True))
    return company_json(request.user, queries.get_company(request.user, company_id))


@router.delete("/companies/{int:company_id}", response={204: None})
def delete_company(request: HttpRequest, company_id: int):
    """Delete the company (admins); its people keep their cards."""
    services.delete_company(request.user, queries.get_company(request.user, company_id))
    return Status(204, None)


@router.post("/companies/merge", response={201: CompanyMergeOut})
def merge_companies(request: HttpRequest, payload: CompanyMergeIn):
    """Merge the duplicate `merged` into `survivor` (admins); undo with the merge's id."""
    merge = services.merge_companies(
        request.user, survivor_id=payload.survivor, merged_id=payload.merged
    )
    return Status(201, merge_json(merge))


@router.post("/companies/merges/{int:merge_id}/undo", response=CompanyMergeOut)
def undo_merge(request: HttpRequest, merge_id: int):
    """Bring the merged company back (admins)."""
    services.require_admin(request.user)
    merge = queries.get_merge(merge_id)
    services.undo_merge(request.user, merge)
    merge.refresh_from_db()
    return merge_json(merge)


# --------------------------------------------------------------------------------------------
# Company details: typed custom details of companies (admins change them)


def field_json(field) -> dict:
    return {
        "id": field.pk,
        "key": field.key,
        "label": field.label,
        "type": field.type,
        "choices": field.choices,
        "position": field.position,
    }


@router.get("/company-details", response=list[CompanyFieldOut])
def list_company_fields(request: HttpRequest):
    """The custom details every company can have, in their order."""
    return [field_json(f) for f in queries.company_fields()]


@router.post("/company-details", response={201: CompanyFieldOut})
def add_company_field(request: HttpRequest, payload: CompanyFieldIn):
    """Define a company detail (admins); 409 when the key is taken."""
    field = services.add_company_field(
        request.user,
        key=payload.key,
        label=payload.label,
        type=payload.type,
        choices=payload.choices,
    )
    return Status(201, field_json(field))


@router.patch("/company-details/{key}", response=CompanyFieldOut)
def update_company_field(request: HttpRequest, key: str, payload: CompanyFieldPatch):
    """Change a detail's label, choices or position (admins); its key and type stay."""
    services.require_admin(request.user, _("manage company details"))
    field = services.update_company_field(
        request.user,
        services.get_company_field(key),
        label=payload.label,
        choices=payload.choices,
        position=payload.position,
    )
    return field_json(field)


@router.delete("/company-details/{key}", response={204: None})
def delete_company_field(request: HttpRequest, key: str):
    """Delete a detail and its value on every company (admins)."""
    services.require_admin(request.user, _("manage company details"))
    services.delete_company_field(request.user, services.get_company_field(key))
    return Status(204, None)

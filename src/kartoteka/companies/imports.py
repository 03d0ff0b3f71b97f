"""The import's "company domain" column: after a batch's contacts are written (their company
found or created by folded name from the "company" column), each row's domain finds the
company that has it and makes it the contact's primary company; a domain nobody has yet goes
onto the contact's company when it has none, or makes a company of its own. One read of the
batch's domains, one of its contacts, and one UPDATE per company: never a query per row.
Before the batch is written, `prepare_rows` puts the name of the company a row's domain finds
into the row, so its "company" cell does not create a company that would stay empty."""

from django.utils.translation import gettext as _

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Company, Contact
from kartoteka.core.errors import Conflict, InvalidInput

# Headers the import wizard maps to "Company domain" (English, Spanish, Polish).
DOMAIN_HEADERS = ("domain", "website", "web site", "dominio", "sitio web", "domena", "strona www")


def _domain_or_none(cell: str) -> str | None:
    try:
        return contact_services.clean_company_domain(cell) if (cell or "").strip() else None
    except InvalidInput:
        return None


def prepare_rows(values: list[tuple[str, dict]]) -> None:
    """Before a batch is written: a row whose domain an existing company has names that company,
    so the "company" column does not make a company the domain would leave empty. One read."""
    domains = [(_domain_or_none(cell), row) for cell, row in values]
    wanted = {d for d, _row in domains if d}
    if not wanted:
        return
    by_domain = {
        domain: name
        for domain, name in Company.objects.filter(domain__in=wanted)
        .order_by("-pk")
        .values_list("domain", "name")
    }
    for domain, row in domains:
        if domain in by_domain:
            row["company"] = by_domain[domain]


def apply_domains(actor, values: list[tuple[int, str]]) -> dict[int, str]:
    problems: dict[int, str] = {}
    wanted: dict[int, str] = {}
    for contact_id, cell in values:
        if not (cell or "").strip():
            continue
        try:
            wanted[contact_id] = contact_services.clean_company_domain(cell)
        except InvalidInput:
            problems[contact_id] = _("%(cell)s is not a web domain; the company is kept.") % {
                "cell": repr(cell[:80])
            }
    if not wanted:
        return problems
    by_domain = {
        c.domain: c for c in Company.objects.filter(domain__in=set(wanted.values())).order_by("-pk")
    }
    current = dict(Contact.objects.filter(pk__in=list(wanted)).values_list("pk", "company_id"))
    companies = {
        c.pk: c
        for c in Company.objects.filter(pk__in={v for v in current.values() if v is not None})
    }
    primary: dict[int, int | None] = {}
    for contact_id, domain in wanted.items():
        found = by_domain.get(domain)
        if found is not None:
            primary[contact_id] = found.pk
            continue
        own = companies.get(current.get(contact_id))
        if own is not None and not own.domain:
            own.domain = domain
            by_domain[domain] = own
            continue
        if own is not None:
            problems[contact_id] = _(
                "The company %(name)s has the domain %(domain)s; the contact stays there."
            ) % {"name": own.name, "domain": own.domain}
            continue
        try:
            made = contact_services.create_company(actor, name=domain, domain=domain)
        except Conflict:
            made = Company.objects.get(name_folded=domain.casefold())
        by_domain[domain] = made
        primary[contact_id] = made.pk
    named = {
        c.pk: c.domain for c in companies.values() if c.domain and by_domain.get(c.domain) is c
    }
    contact_services.set_company_domains(actor, named)
    contact_services.set_primary_companies(actor, primary)
    return problems

"""Every read of companies, through the reader's scope.

A sales user sees a company when they see at least one of its people (its primary people, whose
card names it, or its other members) or one of its deals, or when they created it; on it they
see only the people and deals they may see. Admins and the system see every company."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.companies.models import CompanyField, CompanyMerge, Entry, EntryKind, Membership
from kartoteka.contacts.models import Company, Contact
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import SYSTEM, is_admin, require_actor, visible_contacts
from kartoteka.deals.queries import DealFilters, filter_deals, visible_deals, with_card_data

SORTS = {
    "name": "name_folded",
    "domain": "domain",
    "industry": "profile__industry",
    "people": "people_count",
    "created": "created_at",
}


def sees_everything(actor) -> bool:
    require_actor(actor)
    return actor is SYSTEM or is_admin(actor)


def visible_companies(actor) -> QuerySet[Company]:
    if sees_everything(actor):
        return Company.objects.all()
    if not actor.is_authenticated or not actor.is_active:
        return Company.objects.none()
    contacts = visible_contacts(actor)
    primary = contacts.filter(company__isnull=False).values("company_id")
    members = Membership.objects.filter(contact__in=contacts).values("company_id")
    dealt_contacts = visible_deals(actor).values("contact_links__contact")
    dealt = Contact.objects.filter(pk__in=dealt_contacts, company__isnull=False).values(
        "company_id"
    )
    dealt_members = Membership.objects.filter(contact__in=dealt_contacts).values("company_id")
    created = Entry.objects.filter(kind=EntryKind.CREATED, actor=actor).values("company_id")
    return Company.objects.filter(
        Q(pk__in=primary)
        | Q(pk__in=members)
        | Q(pk__in=dealt)
        | Q(pk__in=dealt_members)
        | Q(pk__in=created)
    )


def get_company(actor, company_id: int) -> Company:
    """The company if the actor may see it; NotFound otherwise (never "forbidden")."""
    company = (
        visible_companies(actor).filter(pk=company_id).select_related("profile").first()
        if isinstance(company_id, int) and 0 < company_id < 2**63
        else None
    )
    if company is None:
        raise NotFound(_("No such company."))
    return company


@dataclass(frozen=True)
class CompanyFilters:
    search: str = ""
    industry: str = ""
    size: str = ""
    country: str = ""
    has_people: bool | None = None


def filter_companies(actor, filters: CompanyFilters) -> QuerySet[Company]:
    companies = visible_companies(actor)
    for word in filters.search.casefold().split():
        companies = companies.filter(Q(name_folded__contains=word) | Q(domain__contains=word))
    if filters.industry:
        companies = companies.filter(profile__industry__iexact=filters.industry)
    if filters.size:
        companies = companies.filter(profile__size=filters.size)
    if filters.country:
        companies = companies.filter(profile__country=filters.country)
    if filters.has_people is not None:
        anyone = Q(Exists(Contact.objects.filter(company=OuterRef("pk")))) | Q(
            Exists(Membership.objects.filter(company=OuterRef("pk")))
        )
        companies = companies.filter(anyone if filters.has_people else ~anyone)
    return companies


def with_list_data(actor, companies: QuerySet[Company]) -> QuerySet[Company]:
    """What a list row shows: the profile, and the number of people the reader may see."""
    return companies.select_related("profile").annotate(
        people_count=Count(
            "contacts", filter=Q(contacts__in=visible_contacts(actor)), distinct=True
        )
    )


def ordered(companies: QuerySet[Company], sort: str) -> tuple[QuerySet[Company], str, bool]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "name", False
    field = SORTS[key]
    return companies.order_by(f"-{field}" if descending else field, "pk"), key, descending


def industries() -> list[str]:
    from kartoteka.companies.models import Profile

    return list(
        Profile.objects.exclude(industry="")
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()[:200]
    )


@dataclass
class Person:
    contact: Contact
    role: str
    job_title: str
    primary: bool


def people(actor, company: Company) -> list[Person]:
    """The company's people the actor may see: its primary people (whose card names it) and
    its other members, primary first, then by name."""
    contacts = visible_contacts(actor)
    links = {
        m.contact_id: m
        for m in Membership.objects.filter(company=company, contact__in=contacts).only(
            "contact_id", "role", "job_title"
        )
    }
    rows = contacts.filter(Q(company=company) | Q(pk__in=list(links))).order_by(
        "last_name", "first_name", "pk"
    )
    found = []
    for contact in rows[:500]:
        link = links.get(contact.pk)
        primary = contact.company_id == company.pk
        found.append(
            Person(
                contact,
                link.role if link else "",
                (link.job_title if link else "") or (contact.job_title if primary else ""),
                primary,
            )
        )
    found.sort(key=lambda p: not p.primary)
    return found


def memberships_of(actor, contact: Contact) -> list[Membership]:
    """A contact's companies (besides its primary one), as the card shows them."""
    return list(
        Membership.objects.filter(contact=contact)
        .exclude(company_id=contact.company_id)
        .filter(company__in=visible_companies(actor))
        .select_related("company")
    )


def member_ids(company: Company) -> QuerySet:
    """The ids of all the company's people: those whose card names it and its other members."""
    return Contact.objects.filter(
        Q(company=company) | Q(pk__in=Membership.objects.filter(company=company).values("contact"))
    ).values("pk")


def deals(actor, company: Company, *, limit: int = 50) -> list:
    """The company's deals the actor may see (deals of any of its people, primary or member),
    newest first."""
    found = filter_deals(actor, DealFilters(contacts=member_ids(company))).order_by("-pk")
    ids = list(found.values_list("pk", flat=True)[:limit])
    rows = with_card_data(actor, found.filter(pk__in=ids))
    return sorted(rows, key=lambda d: -d.pk)


def timeline(actor, company: Company, *, limit: int = 100) -> list[Entry]:
    """The company's timeline; an entry naming a person the actor may not see is left out."""
    entries = Entry.objects.filter(company=company).select_related("actor")
    if not sees_everything(actor):
        entries = entries.filter(Q(contact__isnull=True) | Q(contact__in=visible_contacts(actor)))
    return list(
        entries.prefetch_related(
            Prefetch(
                "contact", queryset=Contact.objects.only("pk", "first_name", "last_name", "email")
            )
        )[:limit]
    )


def company_fields() -> QuerySet[CompanyField]:
    return CompanyField.objects.all()


def last_merge(actor, company: Company) -> CompanyMerge | None:
    """The newest merge into `company` that can still be undone."""
    if not sees_everything(actor):
        return None
    return CompanyMerge.objects.filter(survivor=company, undone_at__isnull=True).first()


def get_merge(merge_id: int) -> CompanyMerge:
    merge = CompanyMerge.objects.filter(pk=merge_id).first()
    if merge is None:
        raise NotFound(_("No such merge."))
    return merge

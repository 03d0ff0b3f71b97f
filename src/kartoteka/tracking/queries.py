"""Every read of website tracking, starting from the reader's scope."""

from collections import Counter

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import Forbidden, NotFound
from kartoteka.core.scope import SYSTEM, is_admin
from kartoteka.tracking.models import PageView, Site, Visit, VisitTotals


def sites(actor) -> QuerySet[Site]:
    if actor is not SYSTEM and not is_admin(actor):
        raise Forbidden(_("Only administrators can manage tracked websites."))
    return Site.objects.all()


def get_site(actor, site_id: int) -> Site:
    site = sites(actor).filter(pk=site_id).first()
    if site is None:
        raise NotFound(_("No such site."))
    return site


def contact_visits(
    actor,
    contact_id: int,
    *,
    site_id: int | None = None,
    since=None,
    until=None,
) -> QuerySet[Visit]:
    """The contact's visits, newest first, with their site and pages; NotFound outside the
    actor's scope."""
    contact = get_contact(actor, contact_id)
    visits = Visit.objects.filter(contact=contact).select_related("site")
    if site_id:
        visits = visits.filter(site_id=site_id)

    if since:
        visits = visits.filter(started_at__gte=since)
    if until:
        visits = visits.filter(started_at__lt=until)
    return visits.order_by("-started_at", "-id").prefetch_related(
        Prefetch("page_views", queryset=PageView.objects.order_by("viewed_at", "id"))
    )


def listed_after(visits: QuerySet[Visit], visit_id: int) -> QuerySet[Visit]:
    """The visits listed after the visit `visit_id` (newest first): the next page of a list
    from contact_visits, found by its place rather than counted (an offset reads every row
    before it)."""
    anchor = visits.filter(pk=visit_id).values_list("started_at", flat=True).first()
    if anchor is None:
        return visits
    return visits.filter(Q(started_at__lt=anchor) | Q(started_at=anchor, pk__lt=visit_id))


def visit_totals(contact_id: int) -> VisitTotals | None:
    return VisitTotals.objects.filter(contact_id=contact_id).first()


def devices_used(visits: QuerySet[Visit]) -> dict[str, list[tuple[str, int]]]:
    """How many visits each device type, system and browser made, most used first: one read
    of the combinations, added up here (a contact uses few)."""
    keys = ("device_type", "os", "browser")
    counts: dict[str, Counter] = {key: Counter() for key in keys}
    for row in visits.order_by().values(*keys).annotate(visits=Count("id")):
        for key in keys:
            if row[key]:
                counts[key][row[key]] += row["visits"]
    return {key: sorted(counts[key].items(), key=lambda item: (-item[1], item[0])) for key in keys}

"""Every read of website tracking, starting from the reader's scope."""

from collections import Counter

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.contacts.models import Contact
from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import Forbidden, NotFound
from kartoteka.core.scope import SYSTEM, is_admin
from kartoteka.tracking.models import (
    FileDownload,
    PageView,
    PublicFile,
    Site,
    Visit,
    VisitTotals,
)


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
    contact = get_contact(actor, contact_id, card_data=False)
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


# The public file library


def public_files(actor) -> QuerySet[PublicFile]:
    """The library, for anyone signed in (the files are public by design)."""
    if actor is not SYSTEM and not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("Sign in to manage the files to download."))
    return PublicFile.objects.select_related("uploaded_by")


def get_public_file(actor, file_id: int) -> PublicFile:
    found = public_files(actor).filter(pk=file_id).first()
    if found is None:
        raise NotFound(_("No such file."))
    return found


def public_file_by_key(key: str) -> PublicFile:
    """The file behind a public download link; NotFound for any other key."""
    found = PublicFile.objects.filter(key=key[:32]).first()
    if found is None:
        raise NotFound(_("No such file."))
    return found


def contact_downloads(actor, contact_id: int) -> QuerySet[FileDownload]:
    """The contact's downloads of public files, newest first; NotFound outside the scope."""
    contact = get_contact(actor, contact_id, card_data=False)
    return FileDownload.objects.filter(contact=contact).select_related("file")


def attribution_values(column: str):
    """A contact-list column's loader: a page of contacts' value of one attribution column."""

    def load(contact_ids: list[int]) -> dict[int, str]:
        return dict(Contact.objects.filter(pk__in=contact_ids).values_list("pk", column))

    return load

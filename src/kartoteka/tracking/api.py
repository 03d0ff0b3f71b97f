"""REST endpoints: tracked websites (admins), a contact's visits and downloads, and the public
file library."""

from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from kartoteka.activity.uploads import posted_file
from kartoteka.core.inputs import check_input
from kartoteka.tracking import ads, files, queries, report, services, views
from kartoteka.tracking.models import PublicFile, Visit
from kartoteka.tracking.schemas import (
    AttributionOut,
    ClicksOut,
    DownloadOut,
    LinkIn,
    LinkOut,
    PublicFileOut,
    SiteIn,
    SiteOut,
    VisitOut,
)

router = Router(tags=["tracking"])

_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_ADS = ("gclid", "ads_campaign", "ads_group", "ads_keyword", "ads_network", "ads_device", "ads_id")


def _site_out(request: HttpRequest, site) -> dict:
    return {
        "id": site.pk,
        "name": site.name,
        "key": site.key,
        "domains": site.domains,
        "respect_do_not_track": site.respect_do_not_track,
        "wait_for_consent": site.wait_for_consent,
        "snippet": views.snippet(request, site),
    }


def _visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "site": visit.site.name,
        "started_at": visit.started_at,
        "ended_at": visit.ended_at,
        "pages": visit.pages,
        "entry_url": visit.entry_url,
        "referrer": visit.referrer,
        "device_type": visit.device_type,
        "os": visit.os,
        "browser": visit.browser,
        "utm": {name: getattr(visit, name) for name in _UTM if getattr(visit, name)},
        "ads": {name: getattr(visit, name) for name in _ADS if getattr(visit, name)},
        "page_views": [
            {"url": v.url, "title": v.title, "viewed_at": v.viewed_at, "seconds": v.seconds}
            for v in visit.page_views.all()
        ],
    }


@router.get("/sites", response=list[SiteOut])
def list_sites(request: HttpRequest):
    """Tracked websites, each with the snippet to paste into its pages (admins)."""
    return [_site_out(request, site) for site in queries.sites(request.user)]


@router.post("/sites", response={201: SiteOut})
def create_site(request: HttpRequest, payload: SiteIn):
    """Track a website: hits are accepted only from pages on its domains (admins)."""
    site = services.create_site(request.user, **payload.dict())
    return Status(201, _site_out(request, site))


@router.get("/contacts/{contact_id}/visits", response=list[VisitOut])
def contact_visits(
    request: HttpRequest,
    contact_id: int,
    site: int | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    """The contact's visits on tracked websites, newest first, with their pages."""
    visits = queries.contact_visits(request.user, contact_id, site_id=site)
    return [_visit_out(visit) for visit in visits[:limit]]


@router.post("/contacts/{contact_id}/monitoring-link", response={201: LinkOut})
def create_monitoring_link(request: HttpRequest, contact_id: int, payload: LinkIn):
    """A link to a page of a tracked website that identifies whoever opens it as the contact
    (and starts monitoring them again if `starts_monitoring`)."""
    link = services.create_monitoring_link(request.user, contact_id, **payload.dict())
    return Status(
        201,
        {"link": views.link_address(request, link), "expires_at": link.expires_at},
    )


@router.post("/ads/clicks", response=ClicksOut)
def upload_ads_clicks(request: HttpRequest, file: File[UploadedFile]):
    """A Google Ads click report (CSV with GCLID, campaign, ad group, keyword, network, device
    and ad ID): contacts with a matching click id get those fields, now and when they arrive
    later (admins)."""
    report = ads.import_clicks(request.user, data=file.read(ads.MAX_BYTES + 1))
    return {"clicks": report.clicks, "matched": report.matched, "unmatched": report.unmatched}


def _public_file_out(request: HttpRequest, found: PublicFile) -> dict:
    return {
        "id": found.pk,
        "title": found.title,
        "name": found.name,
        "size": found.size,
        "content_type": found.content_type,
        "link": views.download_address(request, found),
        "downloads": found.downloads,
        "uploaded_at": found.uploaded_at,
    }


# The optional `title` field is described in the operation's text: a second property in this
# schema sends the fuzz test's generator (hypothesis on Python 3.11) into an internal
# recursion error, whatever the route answers.
_MULTIPART_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.get("/files/public", response=list[PublicFileOut])
def list_public_files(request: HttpRequest):
    """The public file library, each file with its tracked download link."""
    return [_public_file_out(request, found) for found in queries.public_files(request.user)]


@router.post("/files/public", response={201: PublicFileOut}, openapi_extra=_MULTIPART_FILE)
def upload_public_file(request: HttpRequest):
    """Add a document to the library: multipart/form-data with the file in `file` and an
    optional `title` (the file name otherwise). It streams to disk; the answer has its link."""
    upload = posted_file(request)
    title = request.POST.get("title")
    check_input({"file": upload.name, "title": title or ""})
    found = files.upload_public_file(request.user, upload=upload, title=title)
    return Status(201, _public_file_out(request, found))


@router.get("/contacts/{contact_id}/downloads", response=list[DownloadOut])
def contact_downloads(request: HttpRequest, contact_id: int, limit: int = Query(50, ge=1, le=200)):
    """Public files the contact downloaded, newest first."""
    return [
        {"file_id": d.file_id, "title": d.file.title, "downloaded_at": d.downloaded_at}
        for d in queries.contact_downloads(request.user, contact_id)[:limit]
    ]


def _row_out(row) -> dict:
    return {
        "value": row.value,
        "new_contacts": row.new_contacts,
        "clients": row.clients,
        "conversion_rate": float(row.conversion_rate),
        "won_deals": row.won_deals,
        "won_deals_value": float(row.won_deals_value),
        "purchases_value": float(row.purchases_value),
        "won_value": float(row.won_value),
        "measures": dict(row.extra),
    }


@router.get("/reports/attribution", response=AttributionOut, tags=["reports"])
def attribution_report(
    request: HttpRequest,
    group_by: str = Query(
        "source", max_length=20, description="source, medium, campaign, ads_campaign or ads_keyword"
    ),
    start: str | None = Query(None, alias="from", max_length=10),
    end: str | None = Query(None, alias="to", max_length=10),
):
    """New contacts of the period (`from`..`to`, dates, both included; the last 30 days by
    default) by source, medium, campaign, Ads campaign or keyword: how many became clients, the
    conversion rate, and their won value (won deals under their primary contact, in the
    workspace currency, plus purchases). A sales user's report covers their contacts."""
    found = report.attribution(request.user, group_by=group_by, start=start, end=end)
    return {
        "group_by": found.group_by,
        "start": found.start,
        "end": found.end,
        "currency": found.currency,
        "rows": [_row_out(row) for row in found.rows],
        "total": _row_out(found.total),
        "other_currency_deals": found.other_currency_deals,
    }

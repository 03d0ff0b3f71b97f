"""Tracking's doors on the web: the script and the collector websites call, the Websites settings
page, and the card's Visits tab and Source and Google Ads section."""

import io
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartoteka.activity.filecheck import download_type
from kartoteka.activity.uploads import too_large_form, upload_page
from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import Forbidden, InvalidInput, NotFound
from kartoteka.core.ratelimit import over_address_limit_here
from kartoteka.core.scope import is_admin
from kartoteka.tracking import ads, files, queries, report, services
from kartoteka.tracking.models import MonitoringLink, PublicFile, Site
from kartoteka.transfer.services import write_xlsx
from kartoteka.web.charts import HorizontalBar, horizontal_bar_chart
from kartoteka.web.forms import ServiceForm, text

MAX_HIT_BYTES = 8192


@cache
def _script() -> bytes:
    return (Path(__file__).parent / "static" / "tracking" / "t.js").read_bytes()


@require_GET
def tracker_script(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_script(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # loaded by other sites' pages
    return response


def _status(status: int, message: str = "") -> HttpResponse:
    body = json.dumps({"detail": message}) if message else ""
    return HttpResponse(body, status=status, content_type="application/json")


@csrf_exempt  # posted by other sites' pages, with no cookie of ours; the origin is checked
@require_http_methods(["POST", "OPTIONS"])
def collect(request: HttpRequest) -> HttpResponse:
    """Append a browser's hit to the queue. The answer carries nothing of what was sent."""
    # Headers are read from META: request.headers builds a mapping of every header for the
    # three this reads, on every page view of every tracked site.
    origin = request.META.get("HTTP_ORIGIN", "")
    if request.method == "OPTIONS":
        response = _status(204)
    elif over_address_limit_here(
        request, group="tracking.collect", rate=settings.KARTOTEKA_TRACKING_RATE
    ):
        response = _status(429, _("Too many requests; try again in a minute."))
    elif len(request.body) > MAX_HIT_BYTES:
        response = _status(413, _("A hit can be at most 8 KB."))
    else:
        response = _collected(request, origin)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Vary"] = "Origin"
    return response


class HitForm(ServiceForm):
    """A hit's refusals, mapped as every form's are (the service reads the JSON body itself),
    with the statuses the tracking script has always had: a bad hit 400, no such site 404."""

    invalid_status = 400
    not_found_status = 404


def _collected(request: HttpRequest, origin: str) -> HttpResponse:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _status(400, _("A hit is a JSON object."))
    meta = request.META
    try:
        services.collect_hit(
            body=body,
            origin=origin,
            user_agent=meta.get("HTTP_USER_AGENT", ""),
            do_not_track=meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1",
        )
    except (InvalidInput, Forbidden, NotFound) as refusal:
        # The form, built only for a refusal (a hit taken builds none), maps it as every
        # form maps what a service refuses.
        form = HitForm(data={})
        form.submit(_raising(refusal), not_found="__all__")
        detail = "; ".join(
            ("" if key == "__all__" else f"{key}: ") + " ".join(found)
            for key, found in form.errors.items()
        )
        return _status(form.status, detail)
    return _status(204)


def _raising(refusal: Exception) -> Callable[[dict], None]:
    def call(_data: dict) -> None:
        raise refusal

    return call


# Settings → Websites


class SiteForm(ServiceForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    domains = forms.CharField(
        label=gettext_lazy("Domains"),
        help_text=gettext_lazy("One per line or separated by commas, e.g. shop.example.com"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    respect_do_not_track = forms.BooleanField(
        label=gettext_lazy(
            "Store nothing for browsers that send Do Not Track or Global Privacy Control"
        ),
        required=False,
        initial=True,
    )
    wait_for_consent = forms.BooleanField(
        label=gettext_lazy("Wait until the page calls kt('consent', true)"), required=False
    )

    def save(self, actor, site: Site | None = None) -> Site | None:
        """The site created or changed; None with the service's errors on the form's fields."""
        if site is None:
            return self.submit(lambda values: services.create_site(actor, **values))
        return self.submit(lambda values: services.update_site(actor, site, changes=values))


def _admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only admins may change settings."))


def snippet(request: HttpRequest, site: Site) -> str:
    script = request.build_absolute_uri("/t.js")
    attributes = f' data-site="{site.key}"'
    if not site.respect_do_not_track:
        attributes += ' data-dnt="ignore"'
    if site.wait_for_consent:
        attributes += ' data-consent="wait"'
    return (
        "<script>window.kt=window.kt||function(){(window.kt.q=window.kt.q||[]).push(arguments)}"
        f'</script>\n<script async src="{script}"{attributes}></script>'
    )


@login_required
def sites(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = SiteForm(request.POST or None)
    if request.method == "POST":
        site = form.save(request.user)
        if site is not None:
            messages.success(request, _("The website was added. Paste its snippet into its pages."))
            return redirect("tracking:site", site_id=site.pk)
    return render(
        request,
        "tracking/sites.html",
        {"section": "websites", "sites": list(queries.sites(request.user)), "form": form},
        status=form.status,
    )


class ClickReportForm(ServiceForm):
    # A missing or empty report is the service's to judge.
    file = forms.FileField(required=False, allow_empty_file=True)


@login_required
@require_http_methods(["POST"])
def ads_clicks(request: HttpRequest) -> HttpResponse:
    """Settings → Websites: upload a Google Ads click report."""
    _admin(request)
    form = ClickReportForm(request.POST, request.FILES)
    report = form.submit(
        lambda data: ads.import_clicks(
            request.user, data=data["file"].read(ads.MAX_BYTES + 1) if data["file"] else b""
        )
    )
    form.flash(request)
    if report is not None:
        messages.success(
            request,
            _("%(clicks)s clicks read: %(matched)s matched a contact, %(unmatched)s did not.")
            % {"clicks": report.clicks, "matched": report.matched, "unmatched": report.unmatched},
        )
    return redirect("tracking:sites")


@login_required
def site(request: HttpRequest, site_id: int) -> HttpResponse:
    _admin(request)
    found = queries.get_site(request.user, site_id)
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.delete_site(request.user, found)
        messages.success(request, _("The website and its visits were deleted."))
        return redirect("tracking:sites")
    initial = {
        "name": found.name,
        "domains": "\n".join(found.domains),
        "respect_do_not_track": found.respect_do_not_track,
        "wait_for_consent": found.wait_for_consent,
    }
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.save(request.user, found):
        messages.success(request, _("The website was saved."))
        return redirect("tracking:site", site_id=found.pk)
    return render(
        request,
        "tracking/site.html",
        {"section": "websites", "site": found, "form": form, "snippet": snippet(request, found)},
        status=form.status,
    )


# The card


# Visits the tab shows at a time, newest first; "Older visits" shows the next ones. The
# totals and devices above them count every visit.
VISITS_SHOWN = 20


@login_required
def contact_visits(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab: the contact's visits with their pages, devices, systems and browsers."""
    contact = get_contact(request.user, contact_id, card_data=False)
    site_id = request.GET.get("site", "")
    site = int(site_id) if site_id.isdigit() else None
    visits = queries.contact_visits(request.user, contact.pk, site_id=site)
    after = request.GET.get("after", "")
    listed = queries.listed_after(visits, int(after)) if after.isdigit() else visits
    shown = list(listed[: VISITS_SHOWN + 1])
    return render(
        request,
        "tracking/contact_visits.html",
        {
            "contact": contact,
            "visits": shown[:VISITS_SHOWN],
            "older": shown[VISITS_SHOWN - 1] if len(shown) > VISITS_SHOWN else None,
            "devices": queries.devices_used(visits),
            "sites": list(Site.objects.all()),
            "site_id": site,
            "totals": queries.visit_totals(contact.pk),
        },
    )


ATTRIBUTION_FIELDS = [
    ("utm_source", gettext_lazy("Source (UTM)")),
    ("utm_medium", gettext_lazy("Medium")),
    ("utm_campaign", gettext_lazy("Campaign")),
    ("utm_term", gettext_lazy("Term")),
    ("utm_content", gettext_lazy("Content")),
    ("ads_campaign", gettext_lazy("Google Ads campaign")),
    ("ads_group", gettext_lazy("Ad group")),
    ("ads_keyword", gettext_lazy("Keyword")),
    ("ads_network", gettext_lazy("Network")),
    ("ads_device", gettext_lazy("Device")),
    ("ads_id", gettext_lazy("Ad ID")),
    ("gclid", gettext_lazy("Google click ID")),
    ("created_ip", gettext_lazy("IP it was created from")),
    ("created_url", gettext_lazy("Page it was created from")),
]


# Columns of the contact list (the Clients view shows them by default): where contacts came from.
CLIENT_COLUMNS = [
    ("utm_source", gettext_lazy("Source (UTM)")),
    ("utm_medium", gettext_lazy("Medium")),
    ("utm_campaign", gettext_lazy("Campaign")),
    ("ads_campaign", gettext_lazy("Google Ads campaign")),
    ("ads_keyword", gettext_lazy("Google Ads keyword")),
]


def has_attribution(contact) -> bool:
    return any(getattr(contact, name, "") for name, _label in ATTRIBUTION_FIELDS)


def attribution_section(request: HttpRequest, contact) -> dict:
    return {
        "attribution": [
            (label, getattr(contact, name))
            for name, label in ATTRIBUTION_FIELDS
            if getattr(contact, name, "")
        ],
        "totals": queries.visit_totals(contact.pk),
    }


# The monitoring link


class MonitoringLinkForm(ServiceForm):
    url = forms.CharField(
        label=gettext_lazy("Page of a tracked website"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=365, initial=30
    )
    starts_monitoring = forms.BooleanField(
        label=gettext_lazy("Start monitoring again if it was stopped"), required=False
    )


@login_required
def monitoring_links(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card action: create a link that identifies the browser opening it; revoke one."""
    contact = get_contact(request.user, contact_id)
    form = MonitoringLinkForm(request.POST or None)
    created = None
    if request.method == "POST" and request.POST.get("revoke"):
        link = contact.monitoring_links.filter(pk=request.POST["revoke"]).first()
        if link is not None:
            services.revoke_monitoring_link(request.user, link)
            messages.success(request, _("The link was revoked."))
        return redirect("tracking:monitoring-links", contact_id=contact.pk)
    if request.method == "POST":
        created = form.submit(
            lambda data: services.create_monitoring_link(request.user, contact, **data)
        )
        if created is not None:
            form = MonitoringLinkForm()
    return render(
        request,
        "tracking/monitoring_links.html",
        {
            "contact": contact,
            "form": form,
            "created": created,
            "created_link": created and link_address(request, created),
            "link_rows": [
                (link, link_address(request, link)) for link in contact.monitoring_links.all()
            ],
        },
        status=form.status,
    )


def link_address(request: HttpRequest, link: MonitoringLink) -> str:
    return request.build_absolute_uri(f"/t/m/{link.token}")


@require_GET
def open_monitoring_link(request: HttpRequest, token: str) -> HttpResponse:
    """Send the browser to the link's page with the token, which the snippet there reports."""
    link = MonitoringLink.objects.filter(token=token[:64]).first()
    if link is None or not link.is_active:
        return render(request, "tracking/link_expired.html", status=410)
    separator = "&" if "?" in link.url else "?"
    target = f"{link.url}{separator}_ktm={link.token}"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set(link.site.domains)):
        return render(request, "tracking/link_expired.html", status=410)
    return redirect(target)


# Settings → Files to download, and the public download link

# Downloads one address may make in a minute (counted in each web process).
DOWNLOAD_RATE = "30/m"


class PublicFileForm(ServiceForm):
    # An empty file is the service's to judge, like any other.
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=True,
        error_messages={"required": gettext_lazy("Choose a file.")},
    )
    title = text(label=gettext_lazy("Title"), max_length=500)


def download_address(request: HttpRequest, public_file: PublicFile) -> str:
    return request.build_absolute_uri(f"/d/{public_file.key}")


def _files_page(request: HttpRequest, form: ServiceForm) -> HttpResponse:
    rows = [
        (found, download_address(request, found), files.can_delete_public_file(request.user, found))
        for found in queries.public_files(request.user)
    ]
    return render(
        request,
        "tracking/files.html",
        {"section": "files", "rows": rows, "form": form},
        status=form.status,
    )


@upload_page
@require_http_methods(["GET", "POST"])
def public_files(request: HttpRequest) -> HttpResponse:
    """Settings → Files to download: the library, and a form to add a document."""
    if request.method == "GET":
        return _files_page(request, PublicFileForm())
    form = PublicFileForm(request.POST, request.FILES)
    if request.upload_too_large:
        return _files_page(request, too_large_form())
    added = form.submit(
        lambda data: files.upload_public_file(
            request.user, upload=data["file"], title=data["title"]
        )
    )
    if added is None:
        return _files_page(request, form)
    messages.success(request, _("The file was added. Share its download link."))
    return redirect("tracking:files")


@login_required
@require_POST
def delete_public_file(request: HttpRequest, file_id: int) -> HttpResponse:
    found = queries.get_public_file(request.user, file_id)
    form = ServiceForm(request.POST)
    form.submit(lambda _data: files.delete_public_file(request.user, found))
    if form.ok:
        messages.success(request, _("The file was deleted; its link no longer works."))
    form.flash(request)
    return redirect("tracking:files")


@require_GET
def download_public_file(request: HttpRequest, key: str) -> HttpResponse:
    """The public download link. The answer is the same whoever asks: the file, or 404."""
    if over_address_limit_here(request, group="tracking.download", rate=DOWNLOAD_RATE):
        return HttpResponse(
            _("Too many downloads; try again in a minute."),
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    try:
        found = queries.public_file_by_key(key)
        handle = found.file.open("rb")
    except (NotFound, FileNotFoundError):
        return HttpResponse(
            _("No such file."), status=404, content_type="text/plain; charset=utf-8"
        )
    files.record_download(
        found,
        visitor_key=request.GET.get("v", "") or request.COOKIES.get("_ktv", ""),
        do_not_track=request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1",
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=found.name,
        content_type=download_type(found.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# Reports → where clients come from

CHART_ROWS = 12  # the values with the most new contacts; the table has them all


def _attribution(request: HttpRequest):
    """The report the page's query asks for, or (None, the messages of what was wrong)."""
    try:
        return (
            report.attribution(
                request.user,
                group_by=request.GET.get("group_by") or "source",
                start=request.GET.get("from"),
                end=request.GET.get("to"),
            ),
            [],
        )
    except InvalidInput as exc:
        return None, [message for found in exc.errors.values() for message in found]


@login_required
@require_GET
def attribution(request: HttpRequest) -> HttpResponse:
    """New contacts, clients won, won value and conversion by source, medium, campaign, Ads
    campaign or keyword over a period: charts drawn here, the table beside them."""
    found, errors = _attribution(request)
    group_by = request.GET.get("group_by") or "source"
    context: dict = {
        "groups": [(key, label) for key, (_column, label) in report.GROUPS.items()],
        "group_by": group_by,
        "report": found,
        "errors": errors,
        "form_values": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
        "query": request.GET.urlencode(),
    }
    if found is not None:
        measures = report.measures()
        top = found.rows[:CHART_ROWS]
        context.update(
            group_label=report.GROUPS[group_by][1],
            total_label=found.total.value,
            measures=measures,
            columns=6 + len(measures),
            rows=[
                (report.value_label(r.value), r, [r.extra.get(m.key, 0) for m in measures])
                for r in found.rows
            ],
            total_extra=[found.total.extra.get(m.key, 0) for m in measures],
            breakdowns=[
                (title, rows)
                for title, rows in report.breakdowns(request.user, found.start, found.end)
                if rows
            ],
            charts={
                "new": horizontal_bar_chart(
                    _("New contacts"),
                    [HorizontalBar(report.value_label(r.value), r.new_contacts) for r in top],
                ),
                "clients": horizontal_bar_chart(
                    _("Clients won"),
                    [HorizontalBar(report.value_label(r.value), r.clients) for r in top],
                ),
                "value": horizontal_bar_chart(
                    _("Won value"),
                    [HorizontalBar(report.value_label(r.value), r.won_value) for r in top],
                ),
                "rate": horizontal_bar_chart(
                    _("Conversion rate"),
                    [HorizontalBar(report.value_label(r.value), r.conversion_rate) for r in top],
                ),
            },
        )
    return render(request, "tracking/attribution.html", context, status=422 if errors else 200)


@login_required
@require_GET
def attribution_export(request: HttpRequest) -> HttpResponse:
    """The report's table as an XLSX workbook."""
    found, errors = _attribution(request)
    if found is None:
        return HttpResponse(" ".join(errors), status=422, content_type="text/plain; charset=utf-8")
    measures = report.measures()
    header = [
        str(report.GROUPS[found.group_by][1]),
        _("New contacts"),
        _("Clients"),
        _("Conversion rate (%)"),
        _("Won deals"),
        _("Won deals value"),
        _("Purchases value"),
        _("Won value"),
        *(str(m.label) for m in measures),
    ]
    rows = (
        [
            report.value_label(r.value) if r is not found.total else r.value,
            r.new_contacts,
            r.clients,
            float(r.conversion_rate),
            r.won_deals,
            float(r.won_deals_value),
            float(r.purchases_value),
            float(r.won_value),
            *(r.extra.get(m.key, 0) for m in measures),
        ]
        for r in [*found.rows, found.total]
    )
    out = io.BytesIO()
    write_xlsx(out, header, rows, title=str(_("Attribution")))
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="attribution-{found.group_by}-{found.start}-{found.end}.xlsx"'
    )
    return response

"""Pages of mailing lists (the lists, a list's page with counts, chart, export, subscribing and
mailing it), the card's Lists section, and the public pages: the subscription form, confirm,
unsubscribe and preferences."""

import csv
import io
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartoteka.consents import queries as consent_queries
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display, ratelimit
from kartoteka.core.addresses import client_address
from kartoteka.core.normalise import fold_email
from kartoteka.core.scope import is_admin, visible_contacts
from kartoteka.mailing import queries, services, tokens
from kartoteka.mailing.models import MailingList, SubscriptionSource, SubscriptionStatus
from kartoteka.segments import queries as segment_queries
from kartoteka.web.forms import ServiceForm, errors_in_place, many, text, ticked
from kartoteka.web.registry import card_url

PAGE = 50


def _list_or_404(list_id: int) -> MailingList:
    return queries.get_list(list_id)  # NotFound is the 404 page


def _result_message(result: services.SubscribeResult) -> str:
    parts = [
        ngettext("%(n)d subscribed", "%(n)d subscribed", result.subscribed)
        % {"n": result.subscribed},
        ngettext("%(n)d waiting for confirmation", "%(n)d waiting for confirmation", result.pending)
        % {"n": result.pending},
    ]
    if result.already:
        parts.append(
            ngettext("%(n)d already on the list", "%(n)d already on the list", result.already)
            % {"n": result.already}
        )
    reasons = services.reasons()
    for reason, n in sorted(result.refused.items()):
        parts.append(
            ngettext("%(n)d refused: %(why)s", "%(n)d refused: %(why)s", n)
            % {"n": n, "why": reasons.get(reason, reason)}
        )
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------------------------
# The lists


class ListForm(ServiceForm):
    """A mailing list's settings as the lists page and a list's page post them."""

    key = text()
    name = text()
    description = text()
    language = text()
    consent_text = text()
    double_opt_in = ticked()


@login_required
@require_http_methods(["GET", "POST"])
def lists(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        created = form.submit(lambda data: services.create_list(request.user, data=data))
        if form.ok:
            messages.success(request, _("List created."))
            return redirect("mailing:list", list_id=created.pk)
    return render(
        request,
        "mailing/lists.html",
        {
            "rows": queries.lists_with_counts(request.user),
            "errors": form.field_errors(),
            "form": form.data
            if form.errors
            else {"double_opt_in": True, "language": translation.get_language()},
            "languages": settings.LANGUAGES,
            "can_change": is_admin(request.user),
        },
        status=form.status,
    )


def _chart(points: list[dict]) -> dict:
    """Bars of a per-day series laid out for an SVG drawn by the template."""
    width, height, gap = 600, 120, 2
    peak = max((p["count"] for p in points), default=0) or 1
    bar = width / max(len(points), 1)
    bars = []
    for i, point in enumerate(points):
        h = round(point["count"] / peak * (height - 20), 1)
        bars.append(
            {
                "x": round(i * bar + gap / 2, 1),
                "y": round(height - h, 1),
                "width": round(bar - gap, 1),
                "height": h,
                "count": point["count"],
                "day": display.day(point["day"]),
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "peak": peak,
        "total": sum(p["count"] for p in points),
        "first": bars[0]["day"] if bars else "",
        "last": bars[-1]["day"] if bars else "",
    }


def _list_context(request: HttpRequest, mailing_list: MailingList, **extra) -> dict:
    status = request.GET.get("status", "")
    if status not in queries.STATUSES:
        status = ""
    subscribers = list(queries.subscribers(request.user, mailing_list, status=status)[:PAGE])
    snippet = render(
        request,
        "mailing/_snippet.html",
        {
            "list": mailing_list,
            "action": services.public_url("mailing:subscribe", key=mailing_list.key),
        },
    ).content.decode()
    counts = queries.counts(request.user, mailing_list)
    return {
        "list": mailing_list,
        "status_counts": [
            (code, label, counts[code]) for code, label in SubscriptionStatus.choices
        ],
        "statuses": SubscriptionStatus.choices,
        "status": status,
        "subscribers": subscribers,
        "chart": _chart(queries.subscriptions_per_day(request.user, mailing_list)),
        "segments": list(segment_queries.segments(request.user)),
        "mailings": queries.mailings(mailing_list) if is_admin(request.user) else [],
        "snippet": snippet.strip(),
        "can_change": is_admin(request.user),
        "languages": settings.LANGUAGES,
        "errors": {},
        "form": {},
        "edit_errors": {},
        "edit_values": None,
        **extra,
    }


@login_required
@require_GET
def list_page(request: HttpRequest, list_id: int) -> HttpResponse:
    mailing_list = _list_or_404(list_id)
    return render(request, "mailing/list.html", _list_context(request, mailing_list))


@login_required
@require_POST
def edit_list(request: HttpRequest, list_id: int) -> HttpResponse:
    mailing_list = _list_or_404(list_id)
    form = ListForm(request.POST)
    form.submit(lambda data: services.update_list(request.user, mailing_list, data=data))
    if not form.ok:
        mailing_list.refresh_from_db()
        context = _list_context(
            request,
            mailing_list,
            edit_errors=form.field_errors(),
            edit_values=form.data,
            edit_open=True,
        )
        return render(request, "mailing/list.html", context, status=form.status)
    messages.success(request, _("List saved."))
    return redirect("mailing:list", list_id=mailing_list.pk)


@login_required
@require_POST
def delete_list(request: HttpRequest, list_id: int) -> HttpResponse:
    mailing_list = _list_or_404(list_id)
    form = ServiceForm(request.POST)
    form.submit(lambda _data: services.delete_list(request.user, mailing_list))
    if not form.ok:
        form.flash(request)
        return redirect("mailing:list", list_id=list_id)
    messages.success(request, _("List deleted."))
    return redirect("mailing:lists")


class ExportForm(ServiceForm):
    status = text()


@login_required
@require_GET
def export(request: HttpRequest, list_id: str, format: str) -> HttpResponse:
    mailing_list = _list_or_404(int(list_id))
    form = ExportForm(request.GET)
    rows = form.submit(
        lambda data: queries.export_rows(request.user, mailing_list, status=data["status"])
    )
    if not form.ok:
        raise Http404(" ".join(form.all_errors()))
    header = [_("E-mail"), _("First name"), _("Last name"), _("Status"), _("Source"), _("Since")]
    statuses = dict(SubscriptionStatus.choices)
    sources = dict(SubscriptionSource.choices)

    def shaped():
        for email, first, last, state, source, since in rows:
            yield [
                email,
                first,
                last,
                str(statuses[state]),
                str(sources.get(source, source)),
                since,
            ]

    name = f"{mailing_list.key}-{timezone.localdate().isoformat()}"
    if format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(mailing_list.key[:31])
        sheet.append(header)
        for row in shaped():
            sheet.append([display.export_value(v, spreadsheet=True) for v in row])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in shaped():
            row[-1] = display.export_value(row[-1], spreadsheet=False)
            writer.writerow([_csv_safe(v) for v in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class SubscribeMatchingForm(ServiceForm):
    """A segment, or else a filter, whose contacts are put on the list in the background."""

    segment = forms.IntegerField(
        required=False,
        error_messages={"invalid": gettext_lazy("Choose a segment.")},
        widget=forms.TextInput,
    )
    q = text()
    double_opt_in = ticked()


@login_required
@require_POST
def subscribe_matching(request: HttpRequest, list_id: int) -> HttpResponse:
    mailing_list = _list_or_404(list_id)
    form = SubscribeMatchingForm(request.POST)

    def start(data: dict):
        if data["segment"] is not None:
            return services.start_subscribe_run(
                request.user,
                mailing_list,
                segment_id=data["segment"],
                double_opt_in=data["double_opt_in"],
            )
        return services.start_subscribe_run(
            request.user,
            mailing_list,
            document=segment_queries.document_from(q=data["q"]),
            double_opt_in=data["double_opt_in"],
        )

    run = form.submit(start, not_found="segment")
    if not form.ok:
        context = _list_context(request, mailing_list, errors=form.field_errors(), form=form.data)
        return render(request, "mailing/list.html", context, status=form.status)
    return redirect("mailing:run", run_id=run.pk)


@login_required
@require_GET
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = queries.get_run(request.user, run_id)  # NotFound is the 404 page
    result = services.SubscribeResult()
    if run.result:
        result.subscribed = run.result.get("subscribed", 0)
        result.pending = run.result.get("pending", 0)
        result.already = run.result.get("already", 0)
        result.refused.update(run.result.get("refused", {}))
    template = "mailing/run.html#progress" if request.htmx else "mailing/run.html"
    return render(
        request,
        template,
        {
            "run": run,
            "summary": _result_message(result),
            "percent": round(run.done * 100 / run.total) if run.total else 0,
            "finished": run.status in ("done", "failed"),
        },
    )


class MailForm(ServiceForm):
    """The composer: a draft to preview, to send as a test to oneself, or to send."""

    subject = text()
    body = text()
    action = forms.ChoiceField(
        required=False,
        choices=[("preview", "preview"), ("test", "test"), ("send", "send")],
        error_messages={"invalid_choice": gettext_lazy("Unknown action.")},
    )


@login_required
@require_POST
def mail_list(request: HttpRequest, list_id: int) -> HttpResponse:
    """The composer: preview, a test send to oneself, or send to the list."""
    mailing_list = _list_or_404(list_id)
    if not is_admin(request.user):
        raise Http404("No such page.")
    form = MailForm(request.POST)
    draft = {"subject": form.data.get("subject", ""), "body": form.data.get("body", "")}

    def act(data: dict):
        subject, body = data["subject"], data["body"]
        if data["action"] == "send":
            return services.start_mailing(request.user, mailing_list, subject=subject, body=body)
        preview = services.preview_mailing(mailing_list, subject=subject, body=body)
        if data["action"] == "test":
            email = services.send_test(request.user, mailing_list, subject=subject, body=body)
            messages.success(
                request, _("A test was sent to %(address)s.") % {"address": email.to_address}
            )
        return preview

    done = form.submit(act)
    if not form.ok:
        context = _list_context(
            request,
            mailing_list,
            mail_errors=form.field_errors(),
            draft=draft,
            compose_open=True,
        )
        return render(request, "mailing/list.html", context, status=form.status)
    if form.cleaned_data["action"] == "send":
        messages.success(request, _("The mailing is on its way."))
        return redirect("mailing:mailing", mailing_id=done.pk)
    context = _list_context(request, mailing_list, preview=done, draft=draft, compose_open=True)
    return render(request, "mailing/list.html", context)


@login_required
@require_GET
def mailing_page(request: HttpRequest, mailing_id: int) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("No such page.")
    mailing = queries.get_mailing(mailing_id)  # NotFound is the 404 page
    done = mailing.sent + mailing.failed
    template = "mailing/mailing.html#progress" if request.htmx else "mailing/mailing.html"
    return render(
        request,
        template,
        {
            "mailing": mailing,
            "percent": round(done * 100 / mailing.total) if mailing.total else 0,
            "finished": mailing.status in ("done", "failed"),
        },
    )


# --------------------------------------------------------------------------------------------
# The card's section and the contact list's selection


def card_section_data(request: HttpRequest, contact) -> dict:
    subscriptions = queries.contact_subscriptions(request.user, contact.pk)
    on = {s.mailing_list_id for s in subscriptions}
    joinable = [s.mailing_list for s in subscriptions if s.status != "subscribed"]
    return {
        "subscriptions": subscriptions,
        "can_join": [item for item in queries.all_lists() if item.pk not in on] + joinable,
        "emails": queries.contact_emails(request.user, contact.pk, limit=5),
    }


class CardSubscribeForm(ServiceForm):
    """The card's Lists section: put the contact on a list, or take them off one."""

    list = forms.IntegerField(
        error_messages={
            "required": gettext_lazy("Choose a list."),
            "invalid": gettext_lazy("Choose a list."),
        },
        widget=forms.TextInput,
    )
    remove = ticked()
    double_opt_in = ticked()


@login_required
@require_POST
def card_subscribe(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = CardSubscribeForm(request.POST)

    def change(data: dict) -> tuple[str, str]:
        """(what happened, what was refused)"""
        mailing_list = queries.get_list(data["list"])
        if data["remove"]:
            services.remove_subscriber(request.user, mailing_list, contact, source="card")
            return _("Taken off %(name)s.") % {"name": mailing_list.name}, ""
        result = services.subscribe_contacts(
            request.user,
            mailing_list,
            contact_ids=[contact.pk],
            double_opt_in=data["double_opt_in"],
            source=SubscriptionSource.CARD,
        )
        note = _result_message(result)
        return ("", note) if result.refused else (note, "")

    note, refused = form.submit(change, not_found="list") or ("", "")
    if not request.htmx:
        form.flash(request)
        if refused:
            messages.error(request, refused)
        elif note:
            messages.success(request, note)
        return redirect(card_url(contact.pk))
    context = {
        "contact": contact,
        "note": note,
        "error_messages": [*form.all_errors(), *([refused] if refused else [])],
        **card_section_data(request, contact),
    }
    response = render(request, "mailing/card_section.html", context)
    return errors_in_place(response, form.status)


class BulkSubscribeForm(ServiceForm):
    """The contact list's selection put on a list; without a list, the page to choose one."""

    ids = many()
    next = text()
    list = forms.IntegerField(
        required=False,
        error_messages={"invalid": gettext_lazy("Choose a list.")},
        widget=forms.TextInput,
    )
    double_opt_in = ticked()

    def clean_ids(self) -> "list[int]":  # (the class names a field "list")
        return [int(i) for i in self.cleaned_data["ids"] or [] if str(i).isdigit()]

    def clean_next(self) -> str:
        back = self.cleaned_data["next"]
        if not back.startswith("/") or back.startswith("//"):
            return reverse("web:contact-list")
        return back


@login_required
@require_POST
def bulk_subscribe(request: HttpRequest) -> HttpResponse:
    """The contact list's selection put on a list: first choose the list, then subscribe."""
    form = BulkSubscribeForm(request.POST)
    if form.is_valid() and form.cleaned_data["list"] is not None:
        result = form.submit(
            lambda data: services.subscribe_contacts(
                request.user,
                queries.get_list(data["list"]),
                contact_ids=data["ids"],
                double_opt_in=data["double_opt_in"],
                source=SubscriptionSource.BULK,
            ),
            not_found="list",
        )
        if form.ok:
            messages.success(request, _result_message(result))
            return redirect(form.cleaned_data["next"])
    elif form.errors:  # a list that is not a number
        form.status = 422
    ids = form.cleaned_data.get("ids", [])
    back = form.cleaned_data.get("next") or reverse("web:contact-list")
    return render(
        request,
        "mailing/bulk_subscribe.html",
        {
            "ids": ids,
            "count": visible_contacts(request.user).filter(pk__in=ids).count(),
            "lists": queries.all_lists(),
            "back": back,
            "errors": form.field_errors(),
        },
        status=form.status,
    )


# --------------------------------------------------------------------------------------------
# Public pages


def _proof(request: HttpRequest, page_url: str = "") -> dict:
    return {
        "ip": client_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
        "page_url": page_url[:2000],
    }


def _over_limit(request: HttpRequest, address: str) -> bool:
    """Count this attempt against the visitor's IP and against the address asked for (folded;
    django-ratelimit hashes keys, so the cache keeps no address); True when either has had its
    share in the current window."""
    window = settings.KARTOTEKA_SUBSCRIBE_WINDOW_MINUTES
    by_ip = ratelimit.over_limit(
        request,
        group="mailing.subscribe.ip",
        key=lambda _group, request: client_address(request),
        rate=f"{settings.KARTOTEKA_SUBSCRIBE_PER_IP}/{window}m",
    )
    by_address = bool(address) and ratelimit.over_limit(
        request,
        group="mailing.subscribe.address",
        key=lambda _group, _request: fold_email(address),
        rate=f"{settings.KARTOTEKA_SUBSCRIBE_PER_ADDRESS}/{window}m",
    )
    return by_ip or by_address


def _wants_json(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


class PublicSubscribeForm(ServiceForm):
    """The public subscription form, as posted from any site."""

    email = text()
    first_name = text()
    consent = text()
    website = text()  # the hidden field only robots fill in
    page_url = text()

    def __init__(self, data, *, referer: str = "") -> None:
        super().__init__(data)
        self.referer = referer

    def clean_consent(self) -> bool:
        return self.cleaned_data["consent"] in ("on", "1", "true", "yes")

    def clean_page_url(self) -> str:
        """The page the form sits on (or the referring page), when it is a web address."""
        given = self.cleaned_data["page_url"] or self.referer
        try:
            parts = urlsplit(given)
        except ValueError:  # a host that cannot be read ("http://[")
            return ""
        return given if parts.scheme in ("http", "https") and parts.netloc else ""


@csrf_exempt  # posted from other sites' pages; it only ever sends a link to the address given
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, key: str) -> HttpResponse:
    mailing_list = queries.get_list_by_key(key)
    if mailing_list is None:
        raise Http404("No such list.")
    with translation.override(mailing_list.language):
        if request.method == "GET":
            return _public(request, "mailing/public_form.html", {"list": mailing_list})
        form = PublicSubscribeForm(request.POST, referer=request.META.get("HTTP_REFERER", ""))
        address = form.data.get("email", "")
        if _over_limit(request, address):
            message = _("Too many attempts. Please try again in an hour.")
            if _wants_json(request):
                return _cors(JsonResponse({"status": "error", "message": message}, status=429))
            return _public(
                request,
                "mailing/public_done.html",
                {"list": mailing_list, "message": message, "failed": True},
                status=429,
            )
        if not form.data.get("website"):  # the hidden field only robots fill in
            form.submit(
                lambda data: services.subscribe_from_form(
                    mailing_list,
                    email=data["email"],
                    first_name=data["first_name"],
                    consent=data["consent"],
                    proof=_proof(request, data["page_url"]),
                )
            )
        if form.errors:
            if _wants_json(request):
                errors = {key: list(found) for key, found in form.errors.items()}
                return _cors(
                    JsonResponse({"status": "invalid", "errors": errors}, status=form.status)
                )
            context = {"list": mailing_list, "errors": form.field_errors(), "form": form.data}
            return _public(request, "mailing/public_form.html", context, status=form.status)
        if mailing_list.double_opt_in:
            message = _(
                "Thank you! If this address can join the list, a message with a confirmation "
                "link is on its way: follow it within 7 days."
            )
        else:
            message = _("Thank you! If this address can join the list, it is on it now.")
        if _wants_json(request):
            return _cors(JsonResponse({"status": "ok", "message": message}))
        return _public(
            request, "mailing/public_done.html", {"list": mailing_list, "message": message}
        )


def _cors(response: HttpResponse) -> HttpResponse:
    # Any site may post its form with fetch() and read this answer; no cookie is involved.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _public(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    # The token in the address never leaves for another site (same-origin posts keep their
    # Origin, which the preferences form's CSRF check needs).
    response["Referrer-Policy"] = "same-origin"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _public(request, "mailing/public_bad_link.html", {}, status=404)


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = services.confirm_subscription(token, proof=_proof(request))
    except tokens.BadToken:
        return _bad_link(request)
    mailing_list = subscription.mailing_list
    with translation.override(mailing_list.language):
        return _public(
            request,
            "mailing/public_done.html",
            {
                "list": mailing_list,
                "message": _("You are subscribed to %(name)s. Thank you!")
                % {"name": mailing_list.name},
                "preferences_url": reverse(
                    "mailing:preferences",
                    kwargs={"token": tokens.preferences_token(subscription.contact_id)},
                ),
            },
        )


@csrf_exempt  # RFC 8058: mail clients post the one-click unsubscribe without any cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact_id, list_id = tokens.read_unsubscribe_token(token)
    except tokens.BadToken:
        return _bad_link(request)
    mailing_list = MailingList.objects.filter(pk=list_id).first()
    language = mailing_list.language if mailing_list else translation.get_language()
    with translation.override(language):
        if request.method == "GET":
            return _public(
                request, "mailing/public_unsubscribe.html", {"list": mailing_list, "token": token}
            )
        try:
            services.unsubscribe(token, proof=_proof(request))
        except tokens.BadToken:
            return _bad_link(request)
        return _public(
            request,
            "mailing/public_done.html",
            {
                "list": mailing_list,
                "message": _("You are unsubscribed and will get no more of these e-mails."),
                "preferences_url": reverse(
                    "mailing:preferences", kwargs={"token": tokens.preferences_token(contact_id)}
                ),
            },
        )


def channel_choices() -> list[tuple[str, str]]:
    from kartoteka.consents.models import Channel

    return [(code, str(label)) for code, label in Channel.choices]


class PreferencesForm(ServiceForm):
    """A box for each of the person's lists and each channel of consent: ticked, wanted."""

    def __init__(self, data, *, lists) -> None:
        super().__init__(data)
        self.list_ids = [s.mailing_list_id for s in lists]
        for list_id in self.list_ids:
            self.fields[f"list_{list_id}"] = ticked()
        for code, _label in channel_choices():
            self.fields[f"channel_{code}"] = ticked()

    def lists(self) -> dict[int, bool]:
        return {i: self.cleaned_data[f"list_{i}"] for i in self.list_ids}

    def channels(self) -> dict[str, bool]:
        return {code: self.cleaned_data[f"channel_{code}"] for code, _label in channel_choices()}


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact = services.contact_for_preferences(token)
    except tokens.BadToken:
        return _bad_link(request)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST, lists=queries.preferences(contact))
        try:
            form.submit(
                lambda _data: services.save_preferences(
                    token,
                    lists=form.lists(),
                    channels=form.channels(),
                    proof=_proof(request, request.build_absolute_uri()),
                )
            )
        except tokens.BadToken:  # the link expired or the person was forgotten meanwhile
            return _bad_link(request)
        saved = True
    channels = [
        {
            "code": code,
            "label": label,
            "granted": consent_queries.consent_status(
                contact, channel=code, purpose=services.PURPOSE
            )
            == "granted",
        }
        for code, label in channel_choices()
    ]
    return _public(
        request,
        "mailing/public_preferences.html",
        {
            "subscriptions": queries.preferences(contact),
            "channels": channels,
            "saved": saved,
            "token": token,
        },
    )

"""The forms app's pages: Settings → Forms, a form's submissions (and their CSV), and the
public door /f/{key} that the hosted page and the embedded snippet post to."""

import csv
import json
from urllib.parse import urlsplit

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartoteka.accounts.queries import active_users
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display
from kartoteka.core.addresses import client_address
from kartoteka.core.errors import NotFound
from kartoteka.core.normalise import fold_email
from kartoteka.core.ratelimit import over_limit
from kartoteka.core.scope import is_admin
from kartoteka.mailing.queries import all_lists
from kartoteka.tracking import queries as tracking_queries
from kartoteka.web.forms import ServiceForm
from kartoteka.webforms import queries, services
from kartoteka.webforms.models import WebForm

# --------------------------------------------------------------------------------------------
# Settings → Forms

FIELDS_HELP = gettext_lazy(
    "One field per line: label | type | required | maps to | choices separated by ;. "
    "Types: text, email, phone, textarea, checkbox, choice. Maps to: first_name, last_name, "
    "phone, company, job_title, street, city, postal_code, region, country, birthday, "
    "properties.<detail key>, or nothing to keep the value only with the submission. "
    "Example: Company | text | required | company"
)


def fields_text(fields: list[dict]) -> str:
    """The builder's one-line-per-field text of a form's fields."""
    lines = []
    for f in fields:
        parts = [f["label"], f["type"], "required" if f["required"] else "", f["maps_to"]]
        if f["choices"]:
            parts.append("; ".join(f["choices"]))
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def parse_fields(text: str, previous: list[dict]) -> list[dict]:
    """The builder's lines as the service's field objects; a line keeps the key of the field
    it stands in place of, so submissions already kept stay in their columns."""
    fields = []
    for index, line in enumerate(line for line in text.splitlines() if line.strip()):
        parts = [p.strip() for p in line.split("|")] + ["", "", "", "", ""]
        field = {
            "label": parts[0],
            "type": parts[1] or "text",
            "required": parts[2].lower() in ("required", "yes", "true", "1", "*"),
            "maps_to": parts[3],
            "choices": [c.strip() for c in parts[4].split(";") if c.strip()],
        }
        if index < len(previous):
            field["key"] = previous[index]["key"]
        else:
            field["key"] = f"field_{index + 1}"
        fields.append(field)
    keys = [f["key"] for f in fields]
    for index, field in enumerate(fields):
        if keys.count(field["key"]) > 1:
            field["key"] = f"field_{index + 1}_{len(fields)}"
    return fields


class FormBuilder(ServiceForm):
    name = django_forms.CharField(label=gettext_lazy("Name"), max_length=200)
    fields_spec = django_forms.CharField(
        label=gettext_lazy("Fields (after the e-mail, which every form asks for)"),
        widget=django_forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=FIELDS_HELP,
    )
    consent_text = django_forms.CharField(
        label=gettext_lazy("Consent checkbox text (e-mail marketing)"),
        widget=django_forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("Leave empty for a form without a consent checkbox."),
    )
    tags = django_forms.CharField(
        label=gettext_lazy("Tags to add (comma-separated)"), required=False
    )
    mailing_list = django_forms.ChoiceField(
        label=gettext_lazy("Subscribe to the mailing list"), required=False
    )
    owner = django_forms.ChoiceField(label=gettext_lazy("Owner of new contacts"), required=False)
    thank_you = django_forms.CharField(
        label=gettext_lazy("Thank-you text"),
        widget=django_forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    redirect_url = django_forms.CharField(
        label=gettext_lazy("Or redirect to this address after sending"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailing_list"].choices = [("", "—")] + [
            (str(m.pk), m.name) for m in all_lists()
        ]
        self.fields["owner"].choices = [("", "—")] + [
            (u.username, u.get_full_name() or u.username) for u in active_users()
        ]

    def refuse(self, errors, *, status: int = 422, where=None) -> None:
        """The service names a field by its place ("fields.2"): here it is the builder's line."""
        lines: dict[str, list[str]] = {}
        for key, found in errors.items():
            if key == "fields" or key.startswith("fields."):
                place = key.split(".")[1] if "." in key else ""
                for message in found:
                    lines.setdefault("fields_spec", []).append(
                        _("Line %(line)s: %(message)s")
                        % {"line": int(place) + 1, "message": message}
                        if place.isdigit()
                        else message
                    )
            else:
                lines[key] = list(found)
        super().refuse(lines, status=status, where=where)

    def payload(self, data: dict, previous: list[dict]) -> dict:
        return {
            "name": data["name"],
            "fields": parse_fields(data["fields_spec"], previous),
            "consent_text": data["consent_text"],
            "tags": [t.strip() for t in data["tags"].split(",") if t.strip()],
            "mailing_list": data["mailing_list"] or None,
            "owner": data["owner"] or None,
            "thank_you": data["thank_you"],
            "redirect_url": data["redirect_url"],
        }


def _initial(form: WebForm) -> dict:
    return {
        "name": form.name,
        "fields_spec": fields_text(form.fields),
        "consent_text": form.consent_text,
        "tags": ", ".join(form.tags),
        "mailing_list": str(form.mailing_list_id or ""),
        "owner": form.owner.username if form.owner else "",
        "thank_you": form.thank_you,
        "redirect_url": form.redirect_url,
    }


def _admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only admins may change settings."))


@login_required
def form_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    builder = FormBuilder(request.POST or None)
    if request.method == "POST":
        form = builder.submit(
            lambda data: services.create_form(request.user, data=builder.payload(data, []))
        )
        if form is not None:
            messages.success(request, _("The form was created. Share its page or embed it."))
            return redirect("webforms:form", form_id=form.pk)
    counts = queries.submission_counts(request.user)
    context = {
        "section": "forms",
        "forms": [(form, counts.get(form.pk, 0)) for form in queries.forms(request.user)],
        "builder": builder,
        "errors": _other_errors(builder),
    }
    return render(request, "webforms/forms.html", context, status=builder.status)


def _other_errors(builder: FormBuilder) -> dict:
    """Errors under no field of the builder, shown above it."""
    return {k: v for k, v in builder.errors.items() if k not in builder.fields}


@login_required
def form_detail(request: HttpRequest, form_id: int) -> HttpResponse:
    _admin(request)
    form = _get(request, form_id)
    builder = FormBuilder(request.POST or None, initial=_initial(form))
    if request.method == "POST":
        saved = builder.submit(
            lambda data: services.update_form(
                request.user, form, data=builder.payload(data, form.fields)
            )
        )
        if saved is not None:
            messages.success(request, _("The form was saved."))
            return redirect("webforms:form", form_id=form.pk)
    context = {
        "section": "forms",
        "form": form,
        "builder": builder,
        "errors": _other_errors(builder),
        "page_url": request.build_absolute_uri(reverse("webforms:public", args=[form.key])),
        "snippet": snippet(request, form),
    }
    return render(request, "webforms/form.html", context, status=builder.status)


@login_required
@require_POST
def form_delete(request: HttpRequest, form_id: int) -> HttpResponse:
    _admin(request)
    services.delete_form(request.user, _get(request, form_id))
    messages.success(request, _("The form was deleted."))
    return redirect("webforms:forms")


def _get(request: HttpRequest, form_id: int) -> WebForm:
    try:
        return queries.get_form(request.user, form_id)
    except NotFound as exc:
        raise Http404(str(exc)) from None


def snippet(request: HttpRequest, form: WebForm) -> str:
    """A plain HTML form any site can paste; the small script fills in the fill-time token,
    the page address and the tracking visitor id."""
    action = request.build_absolute_uri(reverse("webforms:public", args=[form.key]))
    script = request.build_absolute_uri(settings.STATIC_URL + "webforms/embed.js")
    lines = [f'<form method="post" action="{action}" accept-charset="utf-8" data-kt-form>']
    lines.append(
        f'  <label>{escape(_("E-mail"))} <input type="email" name="email" required></label>'
    )
    for f in form.fields:
        required = " required" if f["required"] else ""
        label = escape(f["label"])
        if f["type"] == "textarea":
            control = f'<textarea name="{f["key"]}"{required}></textarea>'
        elif f["type"] == "checkbox":
            lines.append(
                f'  <label><input type="checkbox" name="{f["key"]}"{required}> {label}</label>'
            )
            continue
        elif f["type"] == "choice":
            options = "".join(f"<option>{escape(c)}</option>" for c in f["choices"])
            control = (
                f'<select name="{f["key"]}"{required}><option value=""></option>{options}</select>'
            )
        else:
            kind = {"email": "email", "phone": "tel"}.get(f["type"], "text")
            control = f'<input type="{kind}" name="{f["key"]}"{required}>'
        lines.append(f"  <label>{label} {control}</label>")
    if form.consent_text:
        lines.append(
            f'  <label><input type="checkbox" name="consent"> {escape(form.consent_text)}</label>'
        )
    lines += [
        '  <input type="text" name="website" tabindex="-1" autocomplete="off" '
        'style="position:absolute;left:-9999px" aria-hidden="true">',
        '  <input type="hidden" name="_ts"><input type="hidden" name="_ktv">'
        '<input type="hidden" name="page_url">',
        f'  <button type="submit">{escape(_("Send"))}</button>',
        "</form>",
        f'<script async src="{script}"></script>',
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Submissions


@login_required
def submissions(request: HttpRequest, form_id: int) -> HttpResponse:
    form = _get(request, form_id)
    rows = list(queries.submissions(request.user, form)[:500])
    columns = queries.columns(form)
    table = [(s, [s.values.get(key, "") for key, _label in columns]) for s in rows]
    context = {"section": "forms", "form": form, "columns": columns, "table": table}
    return render(request, "webforms/submissions.html", context)


@login_required
def submissions_csv(request: HttpRequest, form_id: int) -> HttpResponse:
    form = _get(request, form_id)
    columns = queries.columns(form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="form-{form.pk}-submissions.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("Sent"), _("Contact ID"), *(label for _k, label in columns), _("Page"), _("IP")]
    )
    for s in queries.submissions(request.user, form).iterator():
        values = ["" if s.values.get(k) is None else s.values.get(k) for k, _l in columns]
        writer.writerow(
            [
                display.export_value(s.submitted_at, spreadsheet=False),
                s.contact_id,
                *map(_csv_safe, values),
                s.page_url,
                s.ip,
            ]
        )
    return response


def _csv_safe(value) -> str:
    # A cell starting like a formula is text in the spreadsheet the export is opened in.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --------------------------------------------------------------------------------------------
# The public door


def _wants_json(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


def _page_url(request: HttpRequest) -> str:
    given = request.POST.get("page_url", "") or request.META.get("HTTP_REFERER", "")
    parts = urlsplit(given)
    return given[:2000] if parts.scheme in ("http", "https") and parts.netloc else ""


def _over_limit(request: HttpRequest) -> bool:
    address = fold_email(str(request.POST.get("email", ""))[:254])
    by_ip = over_limit(
        request,
        group="webforms.submit.ip",
        key=lambda _group, request: client_address(request),
        rate=settings.KARTOTEKA_FORM_RATE_IP,
    )
    by_address = bool(address) and over_limit(
        request,
        group="webforms.submit.address",
        key=lambda _group, _request: address,
        rate=settings.KARTOTEKA_FORM_RATE_ADDRESS,
    )
    return by_ip or by_address


def _answer(request, form, *, status: int, errors=None, message: str = "", values=None):
    if _wants_json(request):
        body: dict = {"status": "ok" if status == 200 else "error", "message": message}
        if errors:
            body = {"status": "invalid", "errors": errors}
        if status == 200 and form.redirect_url:
            body["redirect"] = form.redirect_url
        response: HttpResponse = JsonResponse(body, status=status)
        response["Access-Control-Allow-Origin"] = "*"
    elif status == 200 and message and form.redirect_url:
        response = redirect(form.redirect_url)
    else:
        errors, values = errors or {}, values or {}
        fields = [
            {**f, "value": values.get(f["key"], ""), "errors": errors.get(f["key"], [])}
            for f in form.fields
        ]
        context = {
            "form": form,
            "fields": fields,
            "errors": errors,
            "general": errors.get("__all__", []),
            "values": values,
            "message": message,
            "done": status == 200 and bool(message),
            "token": services.fill_token(),
        }
        response = render(request, "webforms/public.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@csrf_exempt  # posted from other sites' pages; guarded by honeypot, fill time and rate limits
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public(request: HttpRequest, key: str) -> HttpResponse:
    form = queries.form_by_key(key)
    if form is None:
        raise Http404(_("No such form."))
    if request.method == "GET":
        return _answer(request, form, status=200)
    thanks = form.thank_you or _("Thank you! We have received your answers.")
    if _over_limit(request):
        message = _("Too many attempts. Please try again in an hour.")
        return _answer(request, form, status=429, errors={"__all__": [message]})
    if request.POST.get("website"):
        # Only robots fill in the hidden field; they are thanked like anyone else.
        return _answer(request, form, status=200, message=thanks)
    answers = PublicAnswers(request.POST)
    answers.submit(lambda _data: _take(request, form), not_found="__all__")
    if answers.status == answers.invalid_status:
        errors = {key: list(found) for key, found in answers.errors.items()}
        return _answer(request, form, status=422, errors=errors, values=request.POST)
    # Whatever else the address met (a conflict on a blocked address) is not told.
    return _answer(request, form, status=200, message=thanks)


class PublicAnswers(ServiceForm):
    """A visitor's answers: the fields are the form's own, read by the service from the post,
    so this declares none and carries the service's refusals, mapped as every page's are."""

    not_found_status = 404


def _take(request: HttpRequest, form: WebForm) -> None:
    services.check_fill_time(request.POST.get("_ts"))
    services.submit_form(
        form,
        values=request.POST,
        proof={
            "page_url": _page_url(request),
            "ip": client_address(request) or "",
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
        },
        visitor=str(request.POST.get("_ktv") or request.COOKIES.get("_ktv") or "")[:64],
    )


@require_GET
def fill_token(request: HttpRequest, key: str) -> HttpResponse:
    """A fresh fill-time token for an embedded form, read by its script."""
    if queries.form_by_key(key) is None:
        raise Http404(_("No such form."))
    response = HttpResponse(
        json.dumps({"token": services.fill_token()}), content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


# The newest forms and downloads the Other tab shows.
OTHER_SHOWN = 100


@login_required
def contact_submissions(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab "Other": the forms the contact filled (each value under its label) and the
    public files they downloaded, newest first."""
    contact = get_contact(request.user, contact_id)
    items = []
    for submission in queries.contact_submissions(request.user, contact.pk)[:OTHER_SHOWN]:
        labels = dict(queries.columns(submission.form))
        values = [(labels.get(key, key), value) for key, value in submission.values.items()]
        items.append((submission.submitted_at, "form", submission, values))
    for download in tracking_queries.contact_downloads(request.user, contact.pk)[:OTHER_SHOWN]:
        items.append((download.downloaded_at, "download", download, None))
    items.sort(key=lambda item: item[0], reverse=True)
    return render(
        request,
        "webforms/contact_submissions.html",
        {"contact": contact, "items": [item[1:] for item in items[:OTHER_SHOWN]]},
    )

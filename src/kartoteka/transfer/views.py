"""Pages of the import wizard and the export dialog, with their htmx fragments."""

import functools
import json

from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.accounts.queries import active_users
from kartoteka.activity.uploads import too_large_form, upload_page
from kartoteka.contacts.listing import LIST_PARAMETERS, QUICK_FILTERS
from kartoteka.contacts.queries import all_property_definitions, get_contact
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import is_admin
from kartoteka.segments.queries import segments as segments_of
from kartoteka.transfer import formats, mapping, queries, services, vcard
from kartoteka.transfer.downloads import send_export
from kartoteka.transfer.models import ImportStatus, ProblemLevel
from kartoteka.web.forms import ServiceForm, many, text, ticked

# --------------------------------------------------------------------------------------------
# Import wizard


class UploadForm(ServiceForm):
    file = forms.FileField(
        allow_empty_file=True,  # the service says what is wrong with an empty file
        error_messages={
            "required": gettext_lazy("Choose a CSV, Excel (.xlsx) or vCard (.vcf) file.")
        },
    )


@upload_page
def imports(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; below, the user's earlier imports."""
    # Reading the body (the form does) is what finds an upload past the limit.
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and request.upload_too_large:
        form = too_large_form()
    elif form.is_bound:
        imp = form.submit(
            lambda data: services.upload_import(
                request.user, upload=data["file"], file_name=data["file"].name
            )
        )
        if form.ok:
            return redirect("transfer:import", import_id=imp.pk)
    return render(
        request,
        "transfer/imports.html",
        {"errors": form.field_errors(), "imports": queries.imports_of(request.user)[:20]},
        status=form.status,
    )


SAMPLES_SHOWN = 3  # values of each column the mapping step shows


def _wizard_context(request: HttpRequest, imp, **extra) -> dict:
    definitions = list(all_property_definitions())
    targets = mapping.targets(definitions)
    columns = [
        {
            "index": str(index),
            "header": header,
            "target": imp.mapping.get(str(index), ""),
        }
        for index, header in enumerate(imp.headers)
    ]
    context = {
        "imp": imp,
        "columns": columns,
        "targets": targets,
        "encodings": formats.ENCODINGS,
        "delimiters": formats.DELIMITERS,
        "progress": services.progress_of(imp),
        "owners": list(active_users()) if is_admin(request.user) else [request.user],
        "phone_regions": _phone_regions(get_language() or "en"),
        "phone_region": imp.phone_region or django_settings.KARTOTEKA_DEFAULT_PHONE_REGION,
        "errors": {},
    }
    if imp.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.REVERTED):
        context["rejected"] = queries.import_problems(imp, level=ProblemLevel.ERROR)
        context["warned"] = queries.import_problems(imp, level=ProblemLevel.WARNING)
    if imp.status == ImportStatus.UPLOADED:
        # A file that cannot be read shows why above its (empty) preview.
        reading = ServiceForm({})
        preview = reading.submit(lambda _data: queries.preview(imp)) or []
        context["errors"] = reading.field_errors()
        # One line per column of the file, with its first values beside the field it goes to:
        # an address book's export has dozens of columns, too wide for a grid of rows.
        for column in columns:
            index = int(column["index"])
            values = [row[index] for row in preview if index < len(row) and row[index].strip()]
            column["samples"] = values[:SAMPLES_SHOWN]
    context.update(extra)
    return context


@functools.lru_cache(maxsize=8)
def _phone_regions(language: str) -> list[tuple[str, str]]:
    """(code, name in the language) of every country with phone numbers, sorted by name."""
    import gettext

    import phonenumbers
    import pycountry

    names = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language.split("-")[0]], fallback=True
    )
    regions = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        country = pycountry.countries.get(alpha_2=code)
        name = names.gettext(country.name) if country else ("Kosovo" if code == "XK" else code)
        regions.append((code, name))
    return sorted(regions, key=lambda region: _sort_key(region[1]))


def _sort_key(name: str) -> str:
    """Sort key that puts accented letters beside their plain ones (Ł beside L, É beside E)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", name.casefold().replace("ł", "l"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@login_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """Steps 2-5 before the run (reading, preview, mapping, options, dry run); progress while it
    runs; counts, the error report and the revert button after."""
    imp = queries.get_import(request.user, import_id)
    return render(request, "transfer/import.html", _wizard_context(request, imp))


class ImportSettingsForm(ServiceForm):
    """The wizard's reading, mapping and options: one "map-<column>" select per column."""

    action = text()
    encoding = text()
    delimiter = text()
    existing = text()
    tags = text()
    owner = text()
    phone_region = text()
    strict = ticked()

    def __init__(self, *args, columns: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for index in range(columns):
            self.fields[f"map-{index}"] = text()

    def settings(self, imp) -> dict:
        data = self.cleaned_data
        return {
            "encoding": data["encoding"] or None,
            "delimiter": data["delimiter"] or None,
            "column_map": {str(index): data[f"map-{index}"] for index in range(len(imp.headers))},
            "update_existing": (data["existing"] or "update") == "update",
            "tags": [t for t in data["tags"].split(",") if t.strip()],
            "owner": data["owner"],
            "phone_region": data["phone_region"] or None,
            "strict": data["strict"],
        }


@login_required
@require_POST
def import_configure(request: HttpRequest, import_id: int) -> HttpResponse:
    """Save the reading, mapping and options; then a dry run, the run, or the page again."""
    imp = queries.get_import(request.user, import_id)
    form = ImportSettingsForm(request.POST, columns=len(imp.headers))
    response = form.submit(lambda _data: _configure(request, imp, form))
    if form.ok:
        return response
    if form.status == 409:
        # The import moved on (started, ran): its page says where it stands.
        form.flash(request)
        return redirect("transfer:import", import_id=imp.pk)
    imp.refresh_from_db()
    return render(
        request,
        "transfer/import.html",
        _wizard_context(request, imp, errors=form.field_errors()),
        status=form.status,
    )


def _configure(request: HttpRequest, imp, form: ImportSettingsForm) -> HttpResponse:
    action = form.cleaned_data["action"] or "save"
    settings = form.settings(imp)
    reread = (settings["encoding"] or imp.encoding) != imp.encoding or (
        settings["delimiter"] or imp.delimiter
    ) != imp.delimiter
    if reread:
        # Other columns may appear: read again, then show the new suggestions.
        services.configure_import(
            request.user,
            imp,
            encoding=settings["encoding"],
            delimiter=settings["delimiter"],
        )
        messages.info(request, _("The file was read again; check the columns."))
        return redirect("transfer:import", import_id=imp.pk)
    services.configure_import(
        request.user,
        imp,
        column_map=settings["column_map"],
        update_existing=settings["update_existing"],
        tags=settings["tags"],
        owner=settings["owner"],
        phone_region=settings["phone_region"],
        strict=settings["strict"],
    )
    if action == "dry-run":
        plan = services.dry_run_import(request.user, imp)
        return render(
            request,
            "transfer/import.html",
            _wizard_context(request, imp, plan=plan),
        )
    if action == "start":
        services.start_import(request.user, imp)
    return redirect("transfer:import", import_id=imp.pk)


@login_required
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress bar fragment, polled by htmx until the import ends."""
    imp = queries.get_import(request.user, import_id)
    response = render(
        request,
        "transfer/import.html#progress",
        {"imp": imp, "progress": services.progress_of(imp)},
    )
    if imp.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        # Finished: htmx reloads the page so the result and its actions show.
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_errors(request: HttpRequest, import_id: int) -> StreamingHttpResponse:
    imp = queries.get_import(request.user, import_id)
    response = StreamingHttpResponse(services.problems_csv(imp), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-errors.csv"'
    return response


@login_required
@require_POST
def import_revert(request: HttpRequest, import_id: int) -> HttpResponse:
    imp = queries.get_import(request.user, import_id)
    form = ServiceForm(request.POST)
    kept = form.submit(lambda _data: services.revert_import(request.user, imp))
    if not form.ok:
        form.flash(request)
    else:
        if kept:
            messages.warning(
                request,
                _("Import reverted. %(count)s changes made since were kept.")
                % {"count": len(kept)},
            )
        else:
            messages.success(request, _("Import reverted."))
    return redirect("transfer:import", import_id=imp.pk)


@login_required
@require_POST
def import_resume(request: HttpRequest, import_id: int) -> HttpResponse:
    imp = queries.get_import(request.user, import_id)
    form = ServiceForm(request.POST)
    form.submit(lambda _data: services.resume_import(request.user, imp))
    if not form.ok:
        form.flash(request)
    else:
        messages.success(
            request,
            _("The import continues from row %(row)s.")
            % {"row": services.shown_row(imp, imp.checkpoint + 1)},
        )
    return redirect("transfer:import", import_id=imp.pk)


# --------------------------------------------------------------------------------------------
# Export


class ExportForm(ServiceForm):
    """The dialog's choices and the list it exports: the list's own parameters (see
    contacts.listing), or the ticked rows, or a segment."""

    stage = text()
    view = text()
    ids = many()
    scope = text()  # "all": every contact the list matches, whatever rows were ticked
    segment = text()
    columns = many()
    format = text()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in LIST_PARAMETERS:
            self.fields[name] = forms.CharField(required=False)

    def listed(self) -> dict[str, str]:
        """The parameters of the list the dialog was opened from."""
        return {
            name: self.cleaned_data[name] for name in LIST_PARAMETERS if self.cleaned_data[name]
        }

    def ticked_ids(self) -> list[int] | None:
        """The ticked rows, if any were posted; ids that cannot be a contact's select nothing."""
        ticked = self.cleaned_data["ids"]
        if self.cleaned_data["scope"] == "all":
            return None
        return [int(i) for i in ticked if i.isdigit() and len(i) < 19] if ticked else None

    def segment_id(self) -> int | None:
        segment = self.cleaned_data["segment"]
        return int(segment) if segment.isdigit() and len(segment) < 19 else None


def _document(text: str) -> dict | None:
    try:
        return json.loads(text) if text else None
    except ValueError:
        raise InvalidInput("f", _("The filter in the address is not valid JSON.")) from None


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The export dialog: columns and format for the list the user came from, with its count.

    The list's Export link brings the list's own parameters (search text, builder filter,
    quick filters, Clients view); the bulk bar posts the ticked rows with stage=choose, which
    opens the dialog for them rather than exporting at once (a GET would put the CSRF token and
    ids in the address). Every later step carries them in hidden fields.
    """
    form = ExportForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()  # every field is optional text: the services judge the values
    choosing = request.method != "POST" or form.cleaned_data["stage"] == "choose"
    listed = form.listed()
    view = "clients" if form.cleaned_data["view"] == "clients" else ""
    ids = form.ticked_ids()
    segment_id = form.segment_id()
    chosen = form.cleaned_data["columns"] or queries.DEFAULT_COLUMNS
    context = {
        "available": queries.export_columns(),
        "chosen": chosen,
        "hidden": {k: v for k, v in listed.items() if k != "q"},
        "from_list": bool(listed),
        "view": view,
        "ids": ids or [],
        "filter_text": listed.get("q", ""),
        "segments": list(segments_of(request.user)),
        "segment_id": segment_id,
        "format": form.cleaned_data["format"] or "xlsx",
    }

    def export_or_count(_data: dict) -> HttpResponse:
        query = services.export_query(
            q=listed.get("q", ""),
            document=_document(listed.get("f", "")),
            segment_id=segment_id,
            quick={k: v for k, v in listed.items() if k in QUICK_FILTERS},
            ids=ids,
            view=view,
        )
        contacts = queries.contacts_to_export(request.user, **query)
        context["count"] = queries.count(contacts)
        if choosing:
            return render(request, "transfer/export.html", {**context, "errors": {}})
        format = services.check_format(context["format"])
        columns = queries.check_columns(chosen)
        if context["count"] > services.INSTANT_EXPORT_LIMIT:
            job = services.start_export(request.user, format=format, columns=columns, query=query)
            return redirect("transfer:export-detail", export_id=job.pk)
        return _download(contacts, format, columns)

    response = form.submit(export_or_count, not_found="segment")
    if form.ok:
        return response
    context["errors"] = form.field_errors()
    context.setdefault("count", None)
    return render(request, "transfer/export.html", context, status=form.status)


def _download(contacts, format: str, columns: list[str]) -> HttpResponse:
    """A small export, sent at once: CSV streamed row by row, XLSX and vCard built in memory."""
    import io

    name = f"contacts.{format}"
    if format == "csv":
        header, rows = queries.export_table(contacts, columns)
        response = StreamingHttpResponse(
            ("\ufeff" if i == 0 else "") + line
            for i, line in enumerate(services.csv_lines(header, rows))
        )
        response["Content-Type"] = "text/csv; charset=utf-8"
    elif format == "vcf":
        response = StreamingHttpResponse(vcard.cards(queries.vcard_contacts(contacts)))
        response["Content-Type"] = "text/vcard; charset=utf-8"
    else:
        buffer = io.BytesIO()
        services.write_xlsx(buffer, *queries.export_table(contacts, columns))
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """A background export: progress while it runs (polled by htmx), then the download link."""
    job = queries.get_export(request.user, export_id)
    template = "transfer/export_job.html#job" if request.htmx else "transfer/export_job.html"
    return render(request, template, {"job": job, "interrupted": services.is_interrupted(job)})


@login_required
def export_file(request: HttpRequest, export_id: int):
    return send_export(queries.get_export(request.user, export_id))


@login_required
def contact_vcard(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact's card as a .vcf file (a card action)."""
    contact = get_contact(request.user, contact_id)
    values = queries.contact_values(contact)
    response = HttpResponse(vcard.card(values), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.vcf"'
    return response

"""Pages of the import wizard and the export dialog, with their htmx fragments."""

import functools
import json

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from kartoteka.accounts.queries import active_users
from kartoteka.activity.uploads import use_limited_uploads
from kartoteka.contacts.listing import LIST_PARAMETERS, QUICK_FILTERS
from kartoteka.contacts.queries import all_property_definitions, get_contact
from kartoteka.core.errors import Conflict, InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.segments.queries import segments as segments_of
from kartoteka.transfer import formats, mapping, queries, services, vcard
from kartoteka.transfer.downloads import send_export
from kartoteka.transfer.models import ImportStatus, ProblemLevel
from kartoteka.web.forms import form_errors

# --------------------------------------------------------------------------------------------
# Import wizard


@csrf_exempt
@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; below, the user's earlier imports."""
    if request.method == "POST":
        # The size-limited handler must be in place before the CSRF check reads the body, so
        # the check runs by hand, once the handler is installed.
        use_limited_uploads(request)
    return _imports(request)


@csrf_protect
def _imports(request: HttpRequest) -> HttpResponse:
    errors: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if request.upload_too_large:
            errors = {"file": [_("The file is larger than the upload limit.")]}
        elif upload is None:
            errors = {"file": [_("Choose a CSV, Excel (.xlsx) or vCard (.vcf) file.")]}
        else:
            try:
                imp = services.upload_import(request.user, upload=upload, file_name=upload.name)
                return redirect("transfer:import", import_id=imp.pk)
            except InvalidInput as exc:
                errors = form_errors(exc.errors)
    return render(
        request,
        "transfer/imports.html",
        {"errors": errors, "imports": queries.imports_of(request.user)[:20]},
        status=422 if errors else 200,
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
        try:
            preview = queries.preview(imp)
        except InvalidInput as exc:
            context["errors"] = form_errors(exc.errors)
            preview = []
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


def _settings_from(request: HttpRequest, imp) -> dict:
    column_map = {
        str(index): request.POST.get(f"map-{index}", "") for index in range(len(imp.headers))
    }
    return {
        "encoding": request.POST.get("encoding") or None,
        "delimiter": request.POST.get("delimiter") or None,
        "column_map": column_map,
        "update_existing": request.POST.get("existing", "update") == "update",
        "tags": [t for t in request.POST.get("tags", "").split(",") if t.strip()],
        "owner": request.POST.get("owner", ""),
        "phone_region": request.POST.get("phone_region") or None,
        "strict": request.POST.get("strict") == "on",
    }


@login_required
@require_POST
def import_configure(request: HttpRequest, import_id: int) -> HttpResponse:
    """Save the reading, mapping and options; then a dry run, the run, or the page again."""
    imp = queries.get_import(request.user, import_id)
    action = request.POST.get("action", "save")
    settings = _settings_from(request, imp)
    reread = (settings["encoding"] or imp.encoding) != imp.encoding or (
        settings["delimiter"] or imp.delimiter
    ) != imp.delimiter
    try:
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
    except InvalidInput as exc:
        imp.refresh_from_db()
        return render(
            request,
            "transfer/import.html",
            _wizard_context(request, imp, errors=form_errors(exc.errors)),
            status=422,
        )
    except Conflict as exc:
        messages.error(request, exc.message)
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
    try:
        kept = services.revert_import(request.user, imp)
    except Conflict as exc:
        messages.error(request, exc.message)
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
    try:
        services.resume_import(request.user, imp)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The import continues from row %(row)s.")
            % {"row": services.shown_row(imp, imp.checkpoint + 1)},
        )
    return redirect("transfer:import", import_id=imp.pk)


# --------------------------------------------------------------------------------------------
# Export


def _list_query(source) -> dict[str, str]:
    """The parameters of the list the dialog was opened from (see contacts.listing)."""
    found = {name: (source.get(name) or "").strip() for name in LIST_PARAMETERS}
    return {name: value for name, value in found.items() if value}


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
    source = request.POST if request.method == "POST" else request.GET
    choosing = request.method != "POST" or source.get("stage") == "choose"
    listed = _list_query(source)
    view = "clients" if source.get("view") == "clients" else ""
    ticked = source.getlist("ids")  # ids that cannot be a contact's select nothing
    ids = [int(i) for i in ticked if i.isdigit() and len(i) < 19] if ticked else None
    segment = source.get("segment", "")
    segment_id = int(segment) if segment.isdigit() and len(segment) < 19 else None
    available = queries.export_columns()
    chosen = source.getlist("columns") or queries.DEFAULT_COLUMNS
    context = {
        "available": available,
        "chosen": chosen,
        "hidden": {k: v for k, v in listed.items() if k != "q"},
        "from_list": bool(listed),
        "view": view,
        "ids": ids or [],
        "filter_text": listed.get("q", ""),
        "segments": list(segments_of(request.user)),
        "segment_id": segment_id,
        "format": source.get("format", "xlsx"),
        "errors": {},
    }
    try:
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
            return render(request, "transfer/export.html", context)
        format = services.check_format(context["format"])
        columns = queries.check_columns(chosen)
        if context["count"] > services.INSTANT_EXPORT_LIMIT:
            job = services.start_export(request.user, format=format, columns=columns, query=query)
            return redirect("transfer:export-detail", export_id=job.pk)
        return _download(contacts, format, columns)
    except (InvalidInput, NotFound) as exc:
        errors = (
            exc.errors if isinstance(exc, InvalidInput) else {"segment": [_("No such segment.")]}
        )
        context["errors"] = form_errors(errors)
        context.setdefault("count", None)
        return render(request, "transfer/export.html", context, status=422)


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

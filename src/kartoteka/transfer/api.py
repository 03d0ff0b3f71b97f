"""REST endpoints of imports and exports, under /api/v1."""

import json

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.activity.uploads import posted_file
from kartoteka.core.errors import InvalidInput
from kartoteka.core.inputs import check_input
from kartoteka.core.openapi import BINARY, file_response
from kartoteka.transfer import queries, services
from kartoteka.transfer.downloads import send_export
from kartoteka.transfer.models import Export, Import, ProblemLevel
from kartoteka.transfer.schemas import (
    DryRunOut,
    ExportIn,
    ExportOut,
    ImportOut,
    ProblemOut,
    RevertOut,
)

router = Router(tags=["import and export"])

_MULTIPART = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "update_existing": {"type": "boolean", "default": True},
                        "tags": {"type": "string", "description": "comma-separated"},
                        "owner": {"type": "string"},
                        "mapping": {
                            "type": "string",
                            "description": 'JSON: {"<column number from 0>": "<field>"}',
                        },
                        "encoding": {"type": "string"},
                        "delimiter": {"type": "string"},
                        "dry_run": {"type": "boolean", "default": False},
                        "phone_region": {
                            "type": "string",
                            "description": "country of phone numbers without a prefix in rows"
                            " that name no country (e.g. PL); default: guessed from the file",
                        },
                        "strict": {
                            "type": "boolean",
                            "default": False,
                            "description": "reject any row with a problem; otherwise a row"
                            " with a valid e-mail is imported without its bad values (warnings)",
                        },
                    },
                }
            }
        }
    }
}


def import_out(imp: Import) -> dict:
    return {
        "id": imp.pk,
        "status": imp.status,
        "file_name": imp.file_name,
        "format": imp.format,
        "encoding": imp.encoding,
        "delimiter": imp.delimiter,
        "headers": imp.headers,
        "mapping": imp.mapping,
        "update_existing": imp.update_existing,
        "phone_region": imp.phone_region,
        "strict": imp.strict,
        "tags": imp.tags,
        "owner": imp.owner.username if imp.owner else None,
        "created_count": imp.created_count,
        "updated_count": imp.updated_count,
        "unchanged_count": imp.unchanged_count,
        "failed_count": imp.failed_count,
        "warned_count": imp.warned_count,
        **services.progress_of(imp),
        "created_at": imp.created_at,
        "finished_at": imp.finished_at,
        "reverted_at": imp.reverted_at,
        "message": imp.message,
    }


def _flag(value: str | None, default: bool, field: str = "update_existing") -> bool:
    if value in (None, ""):
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(field, _("Expected true or false, got %(value)s.") % {"value": repr(value)})


@router.post("/imports", response={202: ImportOut, 200: DryRunOut}, openapi_extra=_MULTIPART)
def create_import(request: HttpRequest):
    """Upload a CSV, XLSX or vCard file (multipart field `file`) with the options; the import
    runs in the background. Without `mapping`, columns are mapped from their headers. With
    `dry_run` nothing is written and the answer says what would happen."""
    upload = posted_file(request)
    form = request.POST
    # The multipart fields are read here, not by ninja: the same check as every parameter.
    check_input({"file": upload.name, **{name: form.get(name) for name in form}})
    column_map = None
    if form.get("mapping"):
        try:
            column_map = json.loads(form["mapping"])
        except json.JSONDecodeError:
            raise InvalidInput("mapping", _("mapping must be a JSON object.")) from None
        if not isinstance(column_map, dict):
            raise InvalidInput("mapping", _("mapping must be a JSON object."))
        column_map = {str(k): str(v) for k, v in column_map.items()}
        check_input({"mapping": column_map})
    # Checked before the file is kept, so a bad value leaves no import behind.
    strict = _flag(form.get("strict"), False, "strict")
    region = services.phone_region_code(form["phone_region"]) if form.get("phone_region") else None
    imp = services.upload_import(request.user, upload=upload, file_name=upload.name)
    imp = services.configure_import(
        request.user,
        imp,
        encoding=form.get("encoding") or None,
        delimiter=form.get("delimiter") or None,
        column_map=column_map,
        update_existing=_flag(form.get("update_existing"), True),
        tags=[t for t in (form.get("tags") or "").split(",") if t.strip()],
        owner=form.get("owner") or "",
        phone_region=region,
        strict=strict,
    )
    if _flag(form.get("dry_run"), False, "dry_run"):
        return Status(200, services.dry_run_import(request.user, imp))
    services.start_import(request.user, imp)
    imp.refresh_from_db()
    return Status(202, import_out(imp))


@router.get("/imports/{import_id}", response=ImportOut)
def get_import(request: HttpRequest, import_id: int):
    """Progress (rows done, rows per second, seconds left) and counts of an import."""
    return import_out(queries.get_import(request.user, import_id))


@router.get(
    "/imports/{import_id}/errors",
    response=list[ProblemOut],
    openapi_extra={
        "responses": {
            "200": {"content": {"text/csv": {"schema": BINARY}}},
        }
    },
)
def import_errors(
    request: HttpRequest,
    import_id: int,
    format: str = Query("json", description="json, or csv for a CSV file"),
    level: ProblemLevel | None = None,
):
    """The problems of the import's rows: `level` error (the row was rejected) or warning (the
    row was imported without that value), the line of the file the row starts on (`row`),
    column, value, message and, on a row's first problem, the row's `cells`. `?level=` keeps
    one level; `?format=csv` gives the report to fix and import again, one line per row."""
    imp = queries.get_import(request.user, import_id)
    if format == "csv":
        response = StreamingHttpResponse(services.problems_csv(imp), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-errors.csv"'
        return response
    problems = imp.problems.all()
    if level is not None:
        problems = problems.filter(level=level)
    return [queries.problem_out(problem) for problem in problems]


@router.post("/imports/{import_id}/revert", response=RevertOut)
def revert_import(request: HttpRequest, import_id: int):
    """Remove the contacts the import created and restore what it changed (unless edited
    since: those are listed in `kept`)."""
    imp = queries.get_import(request.user, import_id)
    kept = services.revert_import(request.user, imp)
    return {"id": imp.pk, "status": imp.status, "kept": kept}


@router.post("/imports/{import_id}/resume", response=ImportOut)
def resume_import(request: HttpRequest, import_id: int):
    """Queue an interrupted import again (`interrupted` is true); it continues after the last
    batch it committed. Workers also do this by themselves when they start."""
    imp = queries.get_import(request.user, import_id)
    return import_out(services.resume_import(request.user, imp))


def export_out(request: HttpRequest, export: Export) -> dict:
    done = export.status == "done"
    return {
        "id": export.pk,
        "status": export.status,
        "format": export.format,
        "columns": export.columns,
        "total_rows": export.total_rows,
        "rows_done": export.rows_done,
        "interrupted": services.is_interrupted(export),
        "download_url": f"/api/v1/exports/{export.pk}/file" if done else None,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
    }


@router.post("/exports", response={202: ExportOut})
def create_export(request: HttpRequest, payload: ExportIn):
    """Export a list (filter `q` / `filter`, `segment_id`, `ids`, or `view: clients`) in the
    background; fetch the file from `download_url` when the status is done."""
    query = services.export_query(
        q=payload.q,
        document=payload.filter,
        segment_id=payload.segment_id,
        ids=payload.ids,
        view=payload.view,
    )
    export = services.start_export(
        request.user, format=payload.format, columns=payload.columns, query=query
    )
    export.refresh_from_db()
    return Status(202, export_out(request, export))


@router.get("/exports/{export_id}", response=ExportOut)
def get_export(request: HttpRequest, export_id: int):
    return export_out(request, queries.get_export(request.user, export_id))


@router.get(
    "/exports/{export_id}/file",
    openapi_extra=file_response(
        "The exported file: CSV, XLSX or vCard, as the export's format",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/vcard",
        "text/x-vcard",
    ),
)
def export_file(request: HttpRequest, export_id: int):
    export = queries.get_export(request.user, export_id)
    return send_export(export)

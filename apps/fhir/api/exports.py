"""Bulk data `$export`: kick-off, status polling, cancel, and the NDJSON files."""

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date

from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.fhir.api.door import NDJSON_ACCEPTABLE, audit_read, fhir_view
from apps.fhir.api.outcome import (
    FhirError,
    fhir_response,
    operation_outcome,
)
from apps.fhir.auth import fhir_caller
from apps.fhir.callers import FhirCaller
from apps.fhir.export import export_folder, export_types, fhir_export_cancel, fhir_export_start
from apps.fhir.models import ExportStatus, FhirExport
from apps.fhir.permissions import (
    can_download_export,
    fhir_visible_teams,
    require_can_access_type,
)
from apps.fhir.resources import REGISTRY
from apps.teams.models import CareTeam

EXPORT_PARAMS = {"_type", "_since", "_outputFormat"}
NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")


def _export_kickoff(
    request: HttpRequest, caller: FhirCaller, team: CareTeam | None
) -> HttpResponse:
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError(
            400, "A bulk export needs the header Prefer: respond-async.", code="invalid"
        )
    unknown = sorted(set(request.GET) - EXPORT_PARAMS)
    if unknown:
        raise FhirError(400, f"$export does not support {', '.join(unknown)}.", code="invalid")
    output_format = request.GET.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in NDJSON_FORMATS:
        raise FhirError(400, "_outputFormat must be application/fhir+ndjson.", code="invalid")
    since = None
    if "_since" in request.GET:
        try:
            since = parse_datetime(request.GET["_since"])
        except ValueError:
            since = None
        if since is None or timezone.is_naive(since):
            raise FhirError(400, "_since must be an instant with a time zone.", code="invalid")
    requested = [name for name in request.GET.get("_type", "").split(",") if name]
    types = export_types(caller, requested)
    for name in types or ["Patient"]:  # no type in scope: refused as Patient would be
        require_can_access_type(caller, name)
    export = fhir_export_start(
        caller=caller,
        request_url=request.build_absolute_uri(),
        types=types,
        since=since,
        team=team,
    )
    status_url = request.build_absolute_uri(reverse("fhir:export-status", args=[export.pk]))
    return fhir_response(
        operation_outcome("The export has started.", code="informational", severity="information"),
        202,
        {"Content-Location": status_url},
    )


@fhir_view(("GET",))
def export_patients(request: HttpRequest) -> HttpResponse:
    """Patient/$export: every patient the caller may see, and their resources."""
    return _export_kickoff(request, fhir_caller(request), None)


@fhir_view(("GET",))
def export_group(request: HttpRequest, group: str) -> HttpResponse:
    """Group/{team id}/$export: one care team's patients."""
    caller = fhir_caller(request)
    team = fhir_visible_teams(caller).filter(pk=int(group)).first() if group.isdigit() else None
    if team is None:
        raise NotFoundError(f"Group/{group} is not known.")
    return _export_kickoff(request, caller, team)


def _own_export(caller: FhirCaller, job: int) -> FhirExport:
    export = FhirExport.objects.filter(pk=job).first()
    if export is None or not can_download_export(caller, export):
        raise NotFoundError("No such export.")
    return export


@fhir_view(("GET", "DELETE"))
def export_status(request: HttpRequest, job: int) -> HttpResponse:
    caller = fhir_caller(request)
    export = _own_export(caller, job)
    if request.method == "DELETE":
        if export.status == ExportStatus.CANCELLED:
            raise NotFoundError("The export was cancelled already.")
        fhir_export_cancel(export=export)
        return fhir_response(
            operation_outcome(
                "The export is cancelled.", code="informational", severity="information"
            ),
            202,
        )
    if export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{export.percent}% of patients"
        response["Retry-After"] = "2"
        return response
    if export.status == ExportStatus.FAILED:
        raise FhirError(500, "The export failed; ask again later.", code="exception")
    if export.status == ExportStatus.CANCELLED or (
        export.expires_at is not None and export.expires_at <= timezone.now()
    ):
        raise NotFoundError("The export was cancelled or its files have expired.")
    manifest = {
        "transactionTime": export.created_at.isoformat(),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": request.build_absolute_uri(
                    reverse("fhir:export-file", args=[export.pk, item["file"]])
                ),
                "count": item["count"],
            }
            for item in export.output
        ],
        "error": [],
    }
    response = JsonResponse(manifest)
    response["Expires"] = http_date(export.expires_at.timestamp()) if export.expires_at else ""
    return response


@fhir_view(("GET",), NDJSON_ACCEPTABLE)
def export_file(request: HttpRequest, job: str, name: str) -> HttpResponseBase:
    caller = fhir_caller(request)
    export = _own_export(caller, int(job))
    live = export.status == ExportStatus.DONE and (
        export.expires_at is None or export.expires_at > timezone.now()
    )
    files = {item["file"] for item in export.output} if live else set()
    path = export_folder(export.pk) / name
    if name not in files or not path.is_file():
        raise NotFoundError("No such file, or it has expired.")
    audit_read(
        caller,
        AuditAction.EXPORT,
        REGISTRY["Patient"].sources[0],
        detail={"export_id": export.pk, "file": name},
    )
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")

"""``POST /api/v1/import``: upload a CSV, XLSX or GeoJSON file; the same report as the CLI's.

200 with the report when imported (or dry run clean), 422 with the report and its problems when
the file is rejected (nothing written), ProblemDetails for a request that cannot be tried.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from cityioc.core.errors import BadRequestData, InvalidRequest
from cityioc.ingest.import_mapping import Mapping, parse_mapping, simple_mapping
from cityioc.ingest.import_service import ImportJob, import_file
from cityioc.ingest.tabular import FORMATS, detect_format
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import JSON, media_type, principal_of, read_body, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["import"])

_FILE_SCHEMA = {"type": "string", "format": "binary"}
OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "Either multipart/form-data with a 'file' part (and optionally a 'mapping' part: "
            "YAML or JSON, see docs/import.md), or the file itself as the body (give 'format' "
            "or a matching Content-Type, and 'filename' for the report)."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": _FILE_SCHEMA, "mapping": {"type": "string"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": _FILE_SCHEMA
            },
            "application/geo+json": {"schema": {"type": "object"}},
        },
    },
    "responses": {"422": {"description": "The file was rejected: the report lists every problem."}},
}


@router.post(
    "/import",
    summary="Import a CSV, XLSX or GeoJSON file into entities and time series",
    description=(
        "All or nothing: every problem of the file (row, column, reason) is reported and nothing "
        "is written when there is any. With dryRun=true the report says what would change "
        "(entities to create / update / unchanged, readings per attribute and time range) "
        "without writing. Roles: admin, operator."
    ),
    openapi_extra=OPENAPI,
)
async def import_upload(
    request: Request,
    file_format: Annotated[
        str | None, Query(alias="format", description="csv, xlsx or geojson")
    ] = None,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    mapping: Annotated[str | None, Query(description="the mapping as JSON text")] = None,
    filename: Annotated[str | None, Query(description="the file's name, for a raw body")] = None,
    entity_type: Annotated[str | None, Query(alias="type")] = None,
    id_column: Annotated[str | None, Query(alias="idColumn")] = None,
    lon_column: Annotated[str | None, Query(alias="lonColumn")] = None,
    lat_column: Annotated[str | None, Query(alias="latColumn")] = None,
    name_column: Annotated[str | None, Query(alias="nameColumn")] = None,
    time_column: Annotated[str | None, Query(alias="timeColumn")] = None,
    sheet: str | None = None,
    decimal: str | None = None,
    timezone: str | None = None,
) -> Response:
    c = city(request)
    principal = await principal_of(request)
    principal.require(Role.operator)
    tenant = tenant_of(request)
    if file_format is not None and file_format not in FORMATS:
        raise BadRequestData(f"format must be one of {', '.join(FORMATS)}, not {file_format!r}")
    raw = await read_body(request, c.settings.max_body_bytes)
    upload = await _upload(request, raw, filename)
    fmt = file_format or detect_format(upload.name, upload.media_type)
    mapping_text = upload.mapping or mapping
    chosen: Mapping
    if mapping_text is not None:
        chosen = parse_mapping(mapping_text)
    elif entity_type and id_column:
        chosen = simple_mapping(
            entity_type=entity_type,
            id_column=id_column,
            lon_column=lon_column,
            lat_column=lat_column,
            name_column=name_column,
            time_column=time_column,
            sheet=sheet,
            decimal=decimal,
            timezone=timezone,
            geometry=fmt == "geojson",
        )
    else:
        raise BadRequestData("give a mapping (a part or a query parameter) or type and idColumn")
    job = ImportJob(upload.data, upload.name, chosen, fmt, upload.media_type)
    report = await import_file(c.hub, tenant, job, actor=principal.actor, dry_run=dry_run)
    status = 200 if report.accepted else 422
    return Response(orjson.dumps(report.as_json()), status_code=status, media_type=JSON)


class _Upload:
    __slots__ = ("data", "mapping", "media_type", "name")

    def __init__(self, data: bytes, name: str, media: str | None, mapping: str | None) -> None:
        self.data, self.name, self.media_type, self.mapping = data, name, media, mapping


async def _upload(request: Request, raw: bytes, filename: str | None) -> _Upload:
    kind = media_type(request)
    if kind != "multipart/form-data":
        if not raw:
            raise InvalidRequest("the request body is empty: send the file")
        return _Upload(raw, filename or "upload", kind or None, None)

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        # The body is already bounded by max_body_bytes; parts may be as large as the body.
        form = await MultiPartParser(
            request.headers, body(), max_files=2, max_fields=10, max_part_size=len(raw) + 1
        ).parse()
    except MultiPartException as err:
        raise InvalidRequest(f"the multipart body cannot be read: {err.message}") from err
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise BadRequestData("send the file as a multipart part named 'file'")
        data = await part.read()
        mapping = form.get("mapping")
        if isinstance(mapping, UploadFile):
            mapping = (await mapping.read()).decode("utf-8-sig", errors="replace")
        return _Upload(data, filename or part.filename or "upload", part.content_type, mapping)
    finally:
        await form.close()

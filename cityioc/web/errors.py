"""The one place where domain errors become HTTP: NGSI-LD ProblemDetails (RFC 7807)."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cityioc.core import errors as e

log = logging.getLogger(__name__)

NGSI_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
CITYIOC_ERRORS = "https://cityioc.org/errors/"

STATUS: dict[type[e.CityError], int] = {
    e.InvalidRequest: 400,
    e.BadRequestData: 400,
    e.AlreadyExists: 409,
    e.Conflict: 409,
    e.OperationNotSupported: 422,
    e.ResourceNotFound: 404,
    e.NonexistentTenant: 404,
    e.TooComplexQuery: 403,
    e.TooManyResults: 403,
    e.LdContextNotAvailable: 504,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.PayloadTooLarge: 413,
    e.NotAcceptable: 406,
    e.UnsupportedMediaType: 415,
    e.TooManyRequests: 429,
    e.ServiceUnavailable: 503,
}
# Errors the NGSI-LD spec names; ours live under our own namespace.
_NGSI_CODES = {
    "InvalidRequest",
    "BadRequestData",
    "AlreadyExists",
    "Conflict",
    "OperationNotSupported",
    "ResourceNotFound",
    "NonexistentTenant",
    "TooComplexQuery",
    "TooManyResults",
    "LdContextNotAvailable",
    "InternalError",
}


def status_of(err: e.CityError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(err: e.CityError) -> dict[str, object]:
    base = NGSI_ERRORS if err.code in _NGSI_CODES else CITYIOC_ERRORS
    return {
        "type": base + err.code,
        "title": err.title,
        "status": status_of(err),
        "detail": err.detail,
    }


def problem_response(err: e.CityError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(err, e.Unauthorized) else None
    if isinstance(err, e.TooManyRequests):
        headers = {"Retry-After": str(err.retry_after_s)}
    return Response(
        orjson.dumps(problem(err)),
        status_code=status_of(err),
        media_type="application/json",
        headers=headers,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(e.CityError)
    async def _city(_: Request, err: e.CityError) -> Response:
        return problem_response(err)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> Response:
        parts = []
        for item in err.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "body"))
            parts.append(f"{where}: {item.get('msg', 'invalid')}")
        return problem_response(e.BadRequestData("; ".join(parts) or "invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, err: StarletteHTTPException) -> Response:
        cls: type[e.CityError] = {
            404: e.ResourceNotFound,
            405: e.InvalidRequest,
            406: e.NotAcceptable,
            415: e.UnsupportedMediaType,
        }.get(err.status_code, e.InvalidRequest)
        out = problem_response(cls(str(err.detail)))
        out.status_code = err.status_code
        return out

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(e.CityError("the server could not complete the request"))

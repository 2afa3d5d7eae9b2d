"""Domain errors with stable codes.

Services raise these and nothing else; ``cityioc.web.errors`` is the one place that maps them to
HTTP statuses and to NGSI-LD ProblemDetails (and, later, Open311 error bodies).
"""

from __future__ import annotations


class CityError(Exception):
    """Base of every error the domain raises on purpose. ``code`` is stable: clients match on it."""

    code = "InternalError"
    title = "Internal error"

    def __init__(self, detail: str, *, title: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title


class InvalidRequest(CityError):
    code = "InvalidRequest"
    title = "Invalid request"


class BadRequestData(CityError):
    code = "BadRequestData"
    title = "Bad request data"


class AlreadyExists(CityError):
    code = "AlreadyExists"
    title = "Already exists"


class Conflict(CityError):
    code = "Conflict"
    title = "Conflict"


class OperationNotSupported(CityError):
    code = "OperationNotSupported"
    title = "Operation not supported"


class ResourceNotFound(CityError):
    code = "ResourceNotFound"
    title = "Resource not found"


class NonexistentTenant(CityError):
    code = "NonexistentTenant"
    title = "Nonexistent tenant"


class TooComplexQuery(CityError):
    code = "TooComplexQuery"
    title = "Too complex query"


class TooManyResults(CityError):
    code = "TooManyResults"
    title = "Too many results"


class LdContextNotAvailable(CityError):
    code = "LdContextNotAvailable"
    title = "JSON-LD context not available"


class Unauthorized(CityError):
    code = "Unauthorized"
    title = "Authentication required"


class Forbidden(CityError):
    code = "Forbidden"
    title = "Not allowed"


class PayloadTooLarge(CityError):
    code = "PayloadTooLarge"
    title = "Payload too large"


class NotAcceptable(CityError):
    code = "NotAcceptable"
    title = "Not acceptable"


class UnsupportedMediaType(CityError):
    code = "UnsupportedMediaType"
    title = "Unsupported media type"


class TooManyRequests(CityError):
    code = "TooManyRequests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int = 60) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class ServiceUnavailable(CityError):
    code = "ServiceUnavailable"
    title = "Service unavailable"

"""What callers send: a new incident, filters for lists (validated, with clear messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cityioc.core.errors import BadRequestData
from cityioc.core.geo import validate_geometry
from cityioc.incidents.models import CAP_SEVERITIES, Status

CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
CapSeverity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CapUrgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
CapCertainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
Code = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)
NO_PROCEDURE = "none"


def title_map(value: Any) -> dict[str, str]:
    """A title as {language: text}: a plain string is taken as Vietnamese."""
    if isinstance(value, str):
        value = {"vi": value}
    if not isinstance(value, dict) or not value:
        raise ValueError("title is a text or an object such as {vi: …, en: …}")
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in ("vi", "en") or not isinstance(text, str) or not text.strip():
            raise ValueError("title languages are vi and en, each a non-empty text")
        if len(text) > 200:
            raise ValueError("a title has at most 200 characters")
        out[lang] = text.strip()
    return out


class IncidentDraft(BaseModel):
    """``POST /api/v1/incidents``: only ``title`` is required."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: dict[str, str]
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    cap_category: CapCategory | None = Field(default=None, alias="capCategory")
    cap_severity: CapSeverity = Field(default="Unknown", alias="capSeverity")
    cap_urgency: CapUrgency = Field(default="Unknown", alias="capUrgency")
    cap_certainty: CapCertainty = Field(default="Unknown", alias="capCertainty")
    location: dict[str, Any] | None = None
    area: str | None = Code
    agency: str | None = Code  # an Organization id (URN or local): overrides routing
    assignee: str | None = Field(default=None, min_length=1, max_length=120)
    sop: str | None = Field(default=None, max_length=60)  # a procedure id, or "none"

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> dict[str, str]:
        return title_map(value)

    @field_validator("location")
    @classmethod
    def _location(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            return validate_geometry(value, name="location")
        except BadRequestData as err:
            raise ValueError(err.detail) from err


@dataclass(frozen=True, slots=True)
class Filters:
    statuses: tuple[Status, ...] = ()
    severities: tuple[str, ...] = ()
    agency: str | None = None
    area: str | None = None
    category: str | None = None
    overdue: bool = False

    @classmethod
    def parse(
        cls,
        status: str | None = None,
        severity: str | None = None,
        agency: str | None = None,
        area: str | None = None,
        category: str | None = None,
        overdue: bool = False,
    ) -> Filters:
        statuses = tuple(_choices(status, [s.value for s in Status], "status"))
        severities = tuple(_choices(severity, list(CAP_SEVERITIES), "severity"))
        for name, value in (("agency", agency), ("area", area), ("category", category)):
            if value is not None and not _safe(value):
                raise BadRequestData(f"{name} has characters that are not allowed")
        return cls(tuple(Status(s) for s in statuses), severities, agency, area, category, overdue)


def _safe(value: str) -> bool:
    return bool(value) and len(value) <= 200 and all(c.isalnum() or c in "._:-" for c in value)


def _choices(raw: str | None, allowed: list[str], name: str) -> list[str]:
    if not raw:
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise BadRequestData(f"unknown {name} {', '.join(bad)} (one of: {', '.join(allowed)})")
    return values

"""Incidents, their activities and comments, as the domain sees them (docs/incidents.md).

An incident is an NGSI-LD entity of type ``Incident`` in the hub (``codec`` maps between the two),
so the live stream, NGSI-LD queries, attribute history and webhooks come with it. Times are epoch
milliseconds UTC here and ISO 8601 text on the entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

INCIDENT_TYPE = "Incident"
ID_PREFIX = "urn:ngsi-ld:Incident:"
AGENCY_PREFIX = "urn:ngsi-ld:Organization:"
AREA_PREFIX = "urn:ngsi-ld:AdministrativeArea:"
ALERT_PREFIX = "urn:ngsi-ld:Alert:"

CAP_CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
CAP_SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CAP_URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
# Smart Data Models Alert severities → CAP severities (for incidents made from alerts).
SDM_TO_CAP_SEVERITY = {
    "critical": "Extreme",
    "high": "Severe",
    "medium": "Moderate",
    "low": "Minor",
    "informational": "Minor",
}


class Status(StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    dispatched = "dispatched"
    in_progress = "inProgress"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


OPEN_STATUSES = (Status.new, Status.acknowledged, Status.dispatched, Status.in_progress)
FINAL_STATUSES = (Status.closed, Status.cancelled)

# Status labels for people (the glossary's words).
STATUS_LABELS: dict[Status, dict[str, str]] = {
    Status.new: {"vi": "Mới", "en": "New"},
    Status.acknowledged: {"vi": "Đã xác nhận", "en": "Acknowledged"},
    Status.dispatched: {"vi": "Đã điều phối", "en": "Dispatched"},
    Status.in_progress: {"vi": "Đang xử lý", "en": "In progress"},
    Status.resolved: {"vi": "Đã xử lý", "en": "Resolved"},
    Status.closed: {"vi": "Đã đóng", "en": "Closed"},
    Status.cancelled: {"vi": "Đã hủy", "en": "Cancelled"},
}


def incident_id(local_or_urn: str) -> str:
    return local_or_urn if local_or_urn.startswith("urn:") else ID_PREFIX + local_or_urn


def agency_urn(local_or_urn: str) -> str:
    return local_or_urn if local_or_urn.startswith("urn:") else AGENCY_PREFIX + local_or_urn


def local_part(urn: str) -> str:
    return urn.rsplit(":", 1)[-1]


@dataclass(slots=True)
class Comment:
    at: int
    by: str
    text: str


@dataclass(slots=True)
class Breach:
    """A missed SLA deadline: ``kind`` is ``acknowledge`` or ``resolve``."""

    kind: str
    due_at: int
    detected_at: int


@dataclass(slots=True)
class Activity:
    """One step of the incident's procedure, as it runs (``sop`` has the rules)."""

    n: int  # 1-based position
    key: str
    title: dict[str, str]
    role: str  # operator | agency
    expected_minutes: int
    record_fields: list[dict[str, Any]] = field(default_factory=list)  # {key, label, required}
    status: str = "pending"  # pending | done | skipped
    started_at: int | None = None  # when it became the current step
    due_at: int | None = None
    completed_at: int | None = None
    by: str | None = None
    reason: str | None = None  # why it was skipped
    record: dict[str, Any] = field(default_factory=dict)  # what the step recorded
    late: bool = False  # pending past its due time, or completed after it


@dataclass(slots=True)
class Incident:
    id: str
    title: dict[str, str]  # language → text (vi and/or en)
    status: Status = Status.new
    description: str | None = None
    category: str | None = None  # the pack's report/incident category code
    cap_category: str = "Other"
    cap_severity: str = "Unknown"
    cap_urgency: str = "Unknown"
    cap_certainty: str = "Unknown"
    location: dict[str, Any] | None = None  # GeoJSON geometry
    area: str | None = None  # area code (refArea)
    area_name: str | None = None  # areaServed: the area's Vietnamese name
    agency: str | None = None  # refAgency: the responsible (lead) agency, an Organization URN
    agencies: list[str] = field(default_factory=list)  # every agency involved, lead first
    assignee: str | None = None
    alerts: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    source: str = "manual"  # manual | alert | report
    opened_at: int = 0
    opened_by: str = ""
    stamps: dict[str, int] = field(default_factory=dict)  # "acknowledged" → acknowledgedAt …
    stamped_by: dict[str, str] = field(default_factory=dict)  # "acknowledged" → acknowledgedBy
    sla_acknowledge_due: int | None = None
    sla_resolve_due: int | None = None
    breaches: list[Breach] = field(default_factory=list)
    sop: str | None = None
    activities: list[Activity] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    resolution_note: str | None = None
    photos: list[str] = field(default_factory=list)  # stored file names (never public)
    cancel_reason: str | None = None

    @property
    def sla_breached(self) -> bool:
        return bool(self.breaches)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def breached(self, kind: str) -> bool:
        return any(b.kind == kind for b in self.breaches)

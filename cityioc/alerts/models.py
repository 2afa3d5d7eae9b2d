"""What the alerts service hands out and takes in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cityioc.alerts.names import N
from cityioc.alerts.rules.conditions import current_value
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.hub.render import View, render

What = Literal["raised", "repeated", "updated", "cleared", "acknowledged", "commented", "linked"]


@dataclass(slots=True)
class AlertContent:
    """What an alert says, whoever raises it (a rule, a CAP message, another system)."""

    source: str  # alertSource: an entity id or an external source's name
    category: str  # Smart Data Models Alert category
    sub_category: str
    severity: str  # informational, low, medium, high, critical
    cap_category: str
    cap_severity: str
    cap_urgency: str
    cap_certainty: str
    title: Mapping[str, str]  # {"vi": …, "en": …}
    description: Mapping[str, str] | None = None
    location: Mapping[str, Any] | None = None  # GeoJSON geometry
    area_served: str | None = None
    rule: str | None = None  # urn:ngsi-ld:AlertRule:<id>
    incident_policy: str = "none"
    valid_from: int | None = None
    valid_to: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more attributes, by core-context term


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as the service and its callers see it (``entity`` holds every attribute)."""

    tenant: str
    entity: StoredEntity

    @property
    def id(self) -> str:
        return self.entity.id

    def get(self, term: str) -> Any:
        return current_value(self.entity.doc, N[term]) if term in N else None

    @property
    def status(self) -> str:
        return str(self.get("status") or "active")

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def acknowledged(self) -> bool:
        return bool(self.get("acknowledged"))

    @property
    def severity(self) -> str | None:
        found = self.get("severity")
        return found if isinstance(found, str) else None

    @property
    def source(self) -> str | None:
        found = self.get("alertSource")
        return found if isinstance(found, str) else None

    @property
    def rule(self) -> str | None:
        found = self.get("refRule")
        return found if isinstance(found, str) else None

    @property
    def incident(self) -> str | None:
        found = self.get("refIncident")
        return found if isinstance(found, str) else None

    @property
    def incident_policy(self) -> str:
        found = self.get("incidentPolicy")
        return found if isinstance(found, str) else "none"

    @property
    def count(self) -> int:
        found = self.get("count")
        return int(found) if isinstance(found, int | float) else 0

    @property
    def title(self) -> dict[str, str]:
        found = self.get("title")
        return dict(found) if isinstance(found, dict) else {}

    def to_json(self) -> dict[str, Any]:
        """keyValues with plain (core-context) names, plus createdAt / modifiedAt."""
        body = core_context().compact_entity_keys(render(self.entity, View(form="keyValues")))
        return body

"""Service levels: deadlines to acknowledge and to resolve, per category and CAP severity (pure).

The pack's ``sla.yaml`` holds one ``default`` policy (every severity) and policies per category
that override some severities. An incident gets its due times when it opens; a deadline it misses
while still open is a *breach* (``acknowledge``: still new; ``resolve``: not resolved yet),
recorded once and escalated by ``escalation.SlaMonitor`` on its periodic tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityioc.incidents.durations import Minutes
from cityioc.incidents.models import CAP_SEVERITIES, Breach, Incident, Status

ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]  # CAP


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    acknowledge: Minutes
    resolve: Minutes

    @model_validator(mode="after")
    def _order(self) -> Deadline:
        if self.resolve < self.acknowledge:
            raise ValueError("resolve must not come before acknowledge")
        return self


class SlaPolicy(BaseModel):
    """An item of ``sla.yaml``: without ``category`` it is the default policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    category: str | None = None
    deadlines: dict[Severity, Deadline] = Field(min_length=1)  # CAP severity → deadline
    line: int = Field(default=0, exclude=True)

    @model_validator(mode="after")
    def _severities(self) -> SlaPolicy:
        if self.category is None and set(self.deadlines) != set(CAP_SEVERITIES):
            missing = [s for s in CAP_SEVERITIES if s not in self.deadlines]
            raise ValueError(f"the default policy needs every severity; missing {missing}")
        return self


@dataclass(frozen=True, slots=True)
class SlaTable:
    default: dict[str, Deadline] = field(default_factory=dict)
    by_category: dict[str, dict[str, Deadline]] = field(default_factory=dict)

    @classmethod
    def of(cls, policies: list[SlaPolicy]) -> SlaTable:
        default: dict[str, Deadline] = {}
        by_category: dict[str, dict[str, Deadline]] = {}
        for policy in policies:
            if policy.category is None:
                default = {str(k): v for k, v in policy.deadlines.items()}
            else:
                by_category[policy.category] = {str(k): v for k, v in policy.deadlines.items()}
        return cls(default, by_category)

    def deadline(self, category: str | None, severity: str) -> Deadline | None:
        """The category's deadline for ``severity``, else the default one; None without SLA."""
        specific = self.by_category.get(category or "", {}).get(severity)
        return specific or self.default.get(severity)


def apply_deadlines(incident: Incident, table: SlaTable) -> None:
    """Set the due times from the moment the incident opened."""
    deadline = table.deadline(incident.category, incident.cap_severity)
    if deadline is None:
        incident.sla_acknowledge_due = incident.sla_resolve_due = None
        return
    incident.sla_acknowledge_due = incident.opened_at + deadline.acknowledge * 60_000
    incident.sla_resolve_due = incident.opened_at + deadline.resolve * 60_000


def new_breaches(incident: Incident, now: int) -> list[Breach]:
    """The deadlines ``incident`` has missed by ``now`` that are not recorded yet."""
    found: list[Breach] = []
    due = incident.sla_acknowledge_due
    if (
        due is not None
        and incident.status == Status.new
        and now > due
        and not incident.breached(ACKNOWLEDGE)
    ):
        found.append(Breach(ACKNOWLEDGE, due, now))
    due = incident.sla_resolve_due
    if due is not None and incident.is_open and now > due and not incident.breached(RESOLVE):
        found.append(Breach(RESOLVE, due, now))
    return found


def next_deadline(incident: Incident) -> int | None:
    """The next SLA deadline still to watch (None when nothing is left to breach)."""
    times = []
    ack = incident.sla_acknowledge_due
    if ack is not None and incident.status == Status.new and not incident.breached(ACKNOWLEDGE):
        times.append(ack)
    due = incident.sla_resolve_due
    if due is not None and incident.is_open and not incident.breached(RESOLVE):
        times.append(due)
    return min(times) if times else None

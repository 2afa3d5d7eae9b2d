"""The SLA tick: find open incidents past a deadline, record the breach and escalate it.

Every ``interval`` seconds (and whenever a test calls ``tick``) the monitor asks the hub for open
incidents whose ``nextDueAt`` has passed — the earliest SLA deadline or procedure step still to
watch, kept up to date on every write — and, for each, atomically records what is now late:

* a missed deadline (``acknowledge`` or ``resolve``) becomes an entry of ``slaBreaches`` and sets
  ``slaBreached``; the audit record ``incident-sla-breach`` holds it with the attributes before
  and after; the change reaches the live stream and webhooks like any other; an e-mail goes to
  the agency's escalation address (and the duty address of the settings);
* a procedure step past its due time is flagged ``late`` (audit ``incident-step-late``).

Each breach is recorded once: several server processes may tick, and the decision inside the
write transaction sees what another already recorded. Time comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cityioc.core.clock import iso_ms
from cityioc.core.failures import FailureNotice
from cityioc.hub.models import StoredEntity
from cityioc.incidents import sla, sop
from cityioc.incidents.models import OPEN_STATUSES, Activity, Breach, Incident
from cityioc.incidents.service import Incidents

log = logging.getLogger(__name__)
ACTOR = "system:sla"


@dataclass(slots=True)
class TickReport:
    breaches: list[tuple[str, Breach]] = field(default_factory=list)  # (incident id, breach)
    late_steps: list[tuple[str, int]] = field(default_factory=list)  # (incident id, step)
    emails: int = 0


@dataclass(slots=True)
class _Found:
    breaches: list[Breach] = field(default_factory=list)
    late: list[Activity] = field(default_factory=list)

    def action(self) -> str:
        return "incident-sla-breach" if self.breaches else "incident-step-late"

    def detail(self) -> dict[str, Any]:
        return {
            "breaches": [{"kind": b.kind, "dueAt": iso_ms(b.due_at)} for b in self.breaches],
            "lateSteps": [a.n for a in self.late],
        }


class SlaMonitor:
    def __init__(self, incidents: Incidents, interval_s: float = 30.0) -> None:
        self.incidents = incidents
        self.interval_s = interval_s

    async def tick(self, tenant: str | None = None) -> TickReport:
        report = TickReport()
        for one in [tenant] if tenant is not None else sorted(self.incidents.tenants):
            await self._tick_tenant(one, report)
        return report

    async def run(self) -> None:
        """Tick forever (a server's background task); a failing tick is logged, not fatal."""
        notice = FailureNotice(log, "the SLA tick")
        while True:
            try:
                await self.tick()
                notice.succeeded()
            except Exception:
                notice.failed()
            await asyncio.sleep(self.interval_s)

    async def _tick_tenant(self, tenant: str, report: TickReport) -> None:
        repo = self.incidents.repo
        statuses = ",".join(f'"{s.value}"' for s in OPEN_STATUSES)
        q = f"status=={statuses};nextDueAt<{iso_ms(repo.clock.now_ms())}"
        due, _ = await repo.query(tenant, q, limit=None)
        for candidate in due:
            found = _Found()

            def change(
                incident: Incident, _: Mapping[str, StoredEntity], found: _Found = found
            ) -> None:
                now = repo.clock.now_ms()
                found.breaches = sla.new_breaches(incident, now)
                incident.breaches.extend(found.breaches)
                found.late = sop.mark_late(incident.activities, now)

            _, after = await repo.change(
                tenant, candidate.id, change, ACTOR, found.action, annotate=found.detail
            )
            report.breaches += [(after.id, b) for b in found.breaches]
            report.late_steps += [(after.id, a.n) for a in found.late]
            if found.breaches:
                directory = await self.incidents.directory(tenant)
                sent = await self.incidents.notifier.escalate(after, found.breaches, directory)
                report.emails += sent

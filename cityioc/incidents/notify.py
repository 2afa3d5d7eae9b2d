"""E-mail notifications about incidents: dispatch to an agency, SLA escalation.

Addresses: the agency's ``contactPoint.email`` from the pack (``email`` in ``agencies.yaml``) and
the ``escalation_email`` setting (the duty officer), who gets every escalation. Without SMTP
settings nothing is sent. The live stream and webhooks need nothing from here: an incident is an
entity, so every change reaches them through the hub.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from cityioc.core.clock import Clock
from cityioc.incidents.mail import Mailer, dispatch_message, escalation_message
from cityioc.incidents.models import Breach, Incident
from cityioc.incidents.routing import Directory

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        mailer: Mailer | None,
        clock: Clock,
        *,
        escalation_to: Sequence[str] = (),
        timezone: str = "UTC",
    ) -> None:
        self.mailer = mailer
        self.clock = clock
        self.escalation_to = list(escalation_to)
        self.timezone = timezone
        self._tasks: set[asyncio.Task[None]] = set()

    async def escalate(self, incident: Incident, breaches: Sequence[Breach], d: Directory) -> int:
        """E-mail the responsible agency and the duty address; returns the messages sent."""
        if self.mailer is None:
            return 0
        to = self._recipients(incident, d, with_duty=True)
        if not to:
            log.info("incident %s breached its SLA; no e-mail address to escalate to", incident.id)
            return 0
        sent = 0
        for breach in breaches:
            message = escalation_message(
                incident,
                breach,
                to,
                agency_name=self._agency_name(incident, d),
                timezone=self.timezone,
                now_ms=self.clock.now_ms(),
            )
            sent += await self.mailer.send(message)
        return sent

    def dispatched(self, incident: Incident, d: Directory) -> None:
        """Tell the responsible agency, in the background (the request does not wait)."""
        if self.mailer is None:
            return
        to = self._recipients(incident, d, with_duty=False)
        if not to:
            return
        message = dispatch_message(
            incident,
            to,
            agency_name=self._agency_name(incident, d),
            timezone=self.timezone,
            now_ms=self.clock.now_ms(),
        )
        mailer = self.mailer

        async def send() -> None:
            await mailer.send(message)

        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the messages still being sent (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _recipients(self, incident: Incident, d: Directory, *, with_duty: bool) -> list[str]:
        address = d.emails.get(incident.agency) if incident.agency else None
        to = [address] if address else []
        if with_duty:
            to += [a for a in self.escalation_to if a not in to]
        return to

    def _agency_name(self, incident: Incident, d: Directory) -> str | None:
        agency = d.agency(incident.agency) if incident.agency else None
        return agency.name.vi if agency is not None else incident.agency

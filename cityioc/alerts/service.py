"""The alert lifecycle: raise, repeat, update, clear, acknowledge, comment, link an incident.

Every step is one ``Hub.apply`` whose ``decide`` reads the alert inside the write transaction, so
transitions are race-free (two raisers meet on one deterministic id; an operator's clear and a
rule's repeat are serialised), and writes an audit record with the fields before and after.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cityioc.alerts import entity as ent
from cityioc.alerts.models import AlertContent, AlertView, What
from cityioc.alerts.names import ALERT, N
from cityioc.core.clock import Clock, iso_ms
from cityioc.core.errors import BadRequestData, Conflict, ResourceNotFound
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.service import Hub
from cityioc.store.port import AuditRecord

log = logging.getLogger(__name__)
Callback = Callable[[str, AlertView, What], Awaitable[None] | None]
MAX_CHAIN = 1000  # episodes walked to find the current one (each clear adds one)
MAX_COMMENT = 4000


@dataclass(frozen=True, slots=True)
class Outcome:
    alert_id: str
    what: What | None  # None: nothing changed


class Alerts:
    def __init__(self, hub: Hub, clock: Clock) -> None:
        self.hub = hub
        self.clock = clock
        self.writes = hub.grouped  # a burst of alert writes commits together
        self._callbacks: list[Callback] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def on_alert(self, callback: Callback) -> None:
        """Called after commit with (tenant, alert, what) for raised, repeated, updated, cleared,
        acknowledged, commented and linked alerts. A coroutine function runs as its own task."""
        self._callbacks.append(callback)

    # --- raised by rules, CAP messages and other systems ----------------------------------

    async def raise_or_repeat(
        self,
        tenant: str,
        namespace: str,
        content: AlertContent,
        *,
        at: int,
        actor: str,
        start: str | None = None,
        count: int = 1,
        key: str | None = None,
    ) -> Outcome:
        """The active alert of (namespace, key) repeats, or a new one is raised.

        ``key`` is what identifies the source (default: ``content.source``). ``start`` is the id
        to try first (the caller's last known alert of the pair); the episode chain is followed
        from there past cleared alerts to the current one.
        """
        key = key or content.source
        candidate = start or ent.chain_id(namespace, key, None)
        for _ in range(MAX_CHAIN):
            outcome = await self._raise_at(tenant, candidate, content, at, actor, count)
            if outcome is not None:
                return outcome
            candidate = ent.chain_id(namespace, key, candidate)
        raise Conflict(f"more than {MAX_CHAIN} episodes of {namespace} for {content.source}")

    async def _raise_at(
        self, tenant: str, alert_id: str, content: AlertContent, at: int, actor: str, count: int
    ) -> Outcome | None:
        now = self.clock.now_ms()
        result: list[Outcome | None] = [None]
        audit: list[AuditRecord] = []

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()  # a retried transaction runs this again
            found = current.get(alert_id)
            if found is None:
                alert = ent.new_alert(alert_id, content, at, now, actor)
                result[0] = Outcome(alert_id, "raised")
                after = {k: ent.plain(alert, k) for k in alert.doc}
                audit.append(self._record(now, actor, tenant, "alert-raise", alert_id, {}, after))
                return Mutation(upserts=[alert], samples=ent.samples(alert, alert.doc, now))
            if ent.plain(found, N["status"]) != "active":
                result[0] = None  # cleared: this episode is over, the next id holds the next
                return Mutation()
            values = ent.content_attrs(content) | {N["lastSeen"]: iso_ms(max(at, _ms(found)))}
            values[N["count"]] = int(ent.plain(found, N["count"]) or 0) + count
            values.pop(N["alertSource"], None)
            changed = ent.change(found, values)
            result[0] = Outcome(alert_id, "repeated" if count else "updated")
            if not changed:
                result[0] = Outcome(alert_id, None)
                return Mutation()
            audit.append(self._changed(now, actor, tenant, "alert-repeat", alert_id, changed))
            return self._written(found, changed, now, actor)

        mutation = await self.writes.apply(tenant, [alert_id], decide, actor, audit)
        self._notify(tenant, mutation, result[0])
        return result[0]

    async def update(
        self,
        tenant: str,
        alert_id: str,
        *,
        actor: str,
        content: AlertContent | None = None,
        count: int = 0,
        last_seen: int | None = None,
    ) -> Outcome | None:
        """Repeat (``count`` > 0) or refresh an active alert; None when it is no longer active."""

        def values(found: StoredEntity) -> dict[str, Any] | None:
            if ent.plain(found, N["status"]) != "active":
                return None
            out = ent.content_attrs(content) if content is not None else {}
            out.pop(N["alertSource"], None)
            if count:
                out[N["count"]] = int(ent.plain(found, N["count"]) or 0) + count
            if last_seen is not None:
                out[N["lastSeen"]] = iso_ms(max(last_seen, _ms(found)))
            return out

        what: What = "repeated" if count else "updated"
        action = "alert-repeat" if count else "alert-update"
        return await self._step(tenant, alert_id, actor, action, what, values, missing_ok=True)

    async def clear_alert(
        self, tenant: str, alert_id: str, *, actor: str, at: int | None = None
    ) -> Outcome | None:
        """Clear an active alert (a rule's clear condition, a CAP cancel); None if it was not."""
        when = at if at is not None else self.clock.now_ms()

        def values(found: StoredEntity) -> dict[str, Any] | None:
            if ent.plain(found, N["status"]) != "active":
                return None
            return {N["status"]: "cleared", N["clearedAt"]: iso_ms(when), N["clearedBy"]: actor}

        return await self._step(
            tenant, alert_id, actor, "alert-clear", "cleared", values, missing_ok=True
        )

    # --- operators -------------------------------------------------------------------------

    async def get(self, tenant: str, alert_id: str) -> AlertView:
        found = (await self.hub.store.get_entities(tenant, [alert_id])).get(alert_id)
        if found is None or ALERT not in found.types:
            raise ResourceNotFound(f"alert {alert_id} does not exist")
        return AlertView(tenant, found)

    async def acknowledge(self, tenant: str, alert_id: str, actor: str) -> AlertView:
        now = self.clock.now_ms()

        def values(found: StoredEntity) -> dict[str, Any] | None:
            if ent.plain(found, N["acknowledged"]):
                return {}
            return {
                N["acknowledged"]: True,
                N["acknowledgedBy"]: actor,
                N["acknowledgedAt"]: iso_ms(now),
            }

        await self._step(tenant, alert_id, actor, "alert-acknowledge", "acknowledged", values)
        return await self.get(tenant, alert_id)

    async def clear(self, tenant: str, alert_id: str, actor: str) -> AlertView:
        """An operator clears an alert by hand (a repeat after this opens a new one)."""
        now = self.clock.now_ms()

        def values(found: StoredEntity) -> dict[str, Any] | None:
            if ent.plain(found, N["status"]) != "active":
                return {}
            return {N["status"]: "cleared", N["clearedAt"]: iso_ms(now), N["clearedBy"]: actor}

        await self._step(tenant, alert_id, actor, "alert-clear", "cleared", values)
        return await self.get(tenant, alert_id)

    async def comment(self, tenant: str, alert_id: str, actor: str, text: str) -> AlertView:
        text = text.strip()
        if not text or len(text) > MAX_COMMENT:
            raise BadRequestData(f"a comment is 1 to {MAX_COMMENT} characters of text")
        now = self.clock.now_ms()

        def values(found: StoredEntity) -> dict[str, Any] | None:
            comments = list(ent.plain(found, N["comments"]) or [])
            return {N["comments"]: [*comments, {"at": iso_ms(now), "by": actor, "text": text}]}

        await self._step(tenant, alert_id, actor, "alert-comment", "commented", values)
        return await self.get(tenant, alert_id)

    async def link_incident(
        self, tenant: str, alert_id: str, incident_id: str, actor: str
    ) -> AlertView:
        """Set ``refIncident`` (idempotent: linking the same incident again changes nothing)."""
        if not incident_id.startswith("urn:"):
            raise BadRequestData("an incident id is a URN such as urn:ngsi-ld:Incident:…")

        def values(found: StoredEntity) -> dict[str, Any] | None:
            return {N["refIncident"]: incident_id}

        await self._step(tenant, alert_id, actor, "alert-link-incident", "linked", values)
        return await self.get(tenant, alert_id)

    async def trail(self, tenant: str, alert_id: str, limit: int = 200) -> list[AuditRecord]:
        return await self.hub.store.audit_trail(tenant, alert_id, limit)

    # --- shared machinery ------------------------------------------------------------------

    async def _step(
        self,
        tenant: str,
        alert_id: str,
        actor: str,
        action: str,
        what: What,
        values: Callable[[StoredEntity], dict[str, Any] | None],
        *,
        missing_ok: bool = False,
    ) -> Outcome | None:
        """Apply ``values(alert)`` (None: not applicable, {}: nothing to change) atomically."""
        now = self.clock.now_ms()
        result: list[Outcome | None] = [None]
        audit: list[AuditRecord] = []

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            result[0] = None
            found = current.get(alert_id)
            if found is None or ALERT not in found.types:
                if missing_ok:
                    return Mutation()
                raise ResourceNotFound(f"alert {alert_id} does not exist")
            wanted = values(found)
            if wanted is None:
                return Mutation()
            changed = ent.change(found, wanted)
            result[0] = Outcome(alert_id, what if changed else None)
            if not changed:
                return Mutation()
            audit.append(self._changed(now, actor, tenant, action, alert_id, changed))
            return self._written(found, changed, now, actor)

        mutation = await self.writes.apply(tenant, [alert_id], decide, actor, audit)
        self._notify(tenant, mutation, result[0])
        return result[0]

    @staticmethod
    def _written(found: StoredEntity, changed: Mapping[str, Any], now: int, actor: str) -> Mutation:
        found.modified_at, found.modified_by = now, actor
        return Mutation(upserts=[found], samples=ent.samples(found, changed, now))

    @staticmethod
    def _record(
        now: int,
        actor: str,
        tenant: str,
        action: str,
        subject: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> AuditRecord:
        return AuditRecord(now, actor, tenant, action, subject, {"before": before, "after": after})

    @staticmethod
    def _changed(
        now: int, actor: str, tenant: str, action: str, subject: str, changed: Mapping[str, Any]
    ) -> AuditRecord:
        return AuditRecord(now, actor, tenant, action, subject, ent.audit_detail(changed))

    def _notify(self, tenant: str, mutation: Mutation, outcome: Outcome | None) -> None:
        if outcome is None or outcome.what is None or not mutation.upserts:
            return
        view = AlertView(tenant, mutation.upserts[0])
        for callback in self._callbacks:
            try:
                result = callback(tenant, view, outcome.what)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(_guarded(result))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:  # one broken listener must not undo a committed alert
                log.exception("alert callback %r failed", callback)


async def _guarded(awaitable: Awaitable[None]) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("alert callback failed")


def _ms(found: StoredEntity) -> int:
    from cityioc.core.clock import parse_datetime_ms

    last = ent.plain(found, N["lastSeen"])
    try:
        return parse_datetime_ms(last) if isinstance(last, str) else 0
    except ValueError:
        return 0

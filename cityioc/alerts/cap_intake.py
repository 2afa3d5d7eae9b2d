"""CAP messages → alerts, with the same lifecycle as the rules' alerts.

An ``Alert`` message raises an alert (source: the sender); the same message again changes nothing;
an ``Update`` repeats the alert of the message it references (count + 1, new content); a
``Cancel`` clears it; an alert clears by itself when its ``expires`` has passed (``expire``). Only
``Actual`` messages raise alerts: exercises, tests, drafts and system messages are acknowledged and
ignored. Which message made which alert is kept in ``module_state`` (module ``alerts-cap``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from cityioc.alerts.cap import CapArea, CapInfo, CapMessage, parse_cap
from cityioc.alerts.models import AlertContent
from cityioc.alerts.names import ALERT, N
from cityioc.alerts.rules.conditions import current_value
from cityioc.alerts.service import Alerts
from cityioc.core.clock import Clock, parse_datetime_ms
from cityioc.core.text import fold
from cityioc.hub.context import core_context
from cityioc.hub.query import QueryParams, run_query

MODULE = "alerts-cap"
SDM_CATEGORY = {
    "Geo": "naturalDisaster",
    "Met": "weather",
    "Env": "environment",
    "Health": "health",
    "Transport": "traffic",
}
SDM_SEVERITY = {
    "Extreme": "critical",
    "Severe": "high",
    "Moderate": "medium",
    "Minor": "low",
    "Unknown": "informational",
}
EARTH_RADIUS_KM = 6371.0088


@dataclass(slots=True)
class CapResult:
    identifier: str
    alerts: list[dict[str, str]] = field(default_factory=list)  # {"id", "what"}
    ignored: str | None = None  # why nothing was done


class CapIntake:
    def __init__(self, alerts: Alerts, clock: Clock) -> None:
        self.alerts, self.clock = alerts, clock
        self.state = alerts.hub.store.module_state

    async def receive(self, tenant: str, raw: bytes | str, actor: str) -> CapResult:
        """Parse, validate and apply one CAP document (raises BadRequestData when invalid)."""
        return await self.apply(tenant, parse_cap(raw), actor)

    async def apply(self, tenant: str, message: CapMessage, actor: str) -> CapResult:
        result = CapResult(message.identifier)
        if message.status != "Actual":
            result.ignored = f"status {message.status}: only Actual messages raise alerts"
            return result
        if message.msg_type in ("Ack", "Error"):
            result.ignored = f"msgType {message.msg_type} carries no alert"
            return result
        own = _key(message.sender, message.identifier)
        if await self.state.state_get_many(MODULE, tenant, [own]):
            result.ignored = "this message was received before"
            return result
        target = await self._target(tenant, message)
        if message.msg_type == "Cancel":
            if target is not None:
                found = await self.alerts.clear_alert(
                    tenant, target, actor=f"cap:{message.sender}", at=message.sent
                )
                result.alerts.append({"id": target, "what": "cleared" if found else "unchanged"})
            else:
                result.ignored = "the referenced message is unknown"
            await self._remember(tenant, own, target)
            return result
        content = content_of(message)
        if target is not None:
            outcome = await self.alerts.update(
                tenant, target, actor=actor, content=content, count=1, last_seen=message.sent
            )
            if outcome is not None:
                result.alerts.append({"id": target, "what": "repeated"})
                await self._remember(tenant, own, target)
                return result
        raised = await self.alerts.raise_or_repeat(
            tenant, "cap", content, at=message.sent, actor=actor, count=0, key=own
        )
        result.alerts.append({"id": raised.alert_id, "what": raised.what or "unchanged"})
        await self._remember(tenant, own, raised.alert_id)
        return result

    async def expire(self, tenant: str) -> int:
        """Clear the active CAP alerts whose ``validTo`` has passed; returns how many."""
        now = self.clock.now_ms()
        params = QueryParams(types=(ALERT,), q='status=="active";capIdentifier', limit=1000)
        found, _ = await run_query(
            self.alerts.hub.store, tenant, params, core_context().expand_term
        )
        cleared = 0
        for alert in found:
            until = current_value(alert.doc, N["validTo"])
            expired = isinstance(until, str) and parse_datetime_ms(until) <= now
            if expired and await self.alerts.clear_alert(
                tenant, alert.id, actor="cap:expired", at=now
            ):
                cleared += 1
        return cleared

    async def _target(self, tenant: str, message: CapMessage) -> str | None:
        keys = [_key(sender, identifier) for sender, identifier, _ in message.references]
        known = await self.state.state_get_many(MODULE, tenant, keys)
        for key in reversed(keys):  # the latest reference first
            alert_id = known.get(key)
            if isinstance(alert_id, str):
                return alert_id
        return None

    async def _remember(self, tenant: str, key: str, alert_id: str | None) -> None:
        await self.state.state_put_many(MODULE, tenant, {key: alert_id}, self.clock.now_ms())


def _key(sender: str, identifier: str) -> str:
    return f"{sender}/{identifier}"


def content_of(message: CapMessage) -> AlertContent:
    infos = message.infos or [CapInfo("en-US", ["Other"], "CAP", "Unknown", "Unknown", "Unknown")]
    vi = next((i for i in infos if i.language.lower().startswith("vi")), None)
    en = next((i for i in infos if i.language.lower().startswith("en")), None)
    main = vi or en or infos[0]
    title = {
        "vi": (vi or main).headline or (vi or main).event,
        "en": (en or main).headline or (en or main).event,
    }
    description = _texts(vi, en, main, "description")
    instruction = _texts(vi, en, main, "instruction")
    areas = [a for info in infos for a in info.areas] if not main.areas else main.areas
    expires = [i.expires for i in infos if i.expires is not None]
    extra: dict[str, Any] = {
        "capIdentifier": message.identifier,
        "capSender": message.sender,
        "capInstruction": instruction,
    }
    return AlertContent(
        source=main.sender_name or message.sender,
        category=SDM_CATEGORY.get(main.categories[0], "security"),
        sub_category=_sub_category(main),
        severity=SDM_SEVERITY[main.severity],
        cap_category=main.categories[0],
        cap_severity=main.severity,
        cap_urgency=main.urgency,
        cap_certainty=main.certainty,
        title=title,
        description=description,
        location=_geometry(areas),
        area_served="; ".join(a.description for a in areas) or None,
        valid_from=main.effective or main.onset or message.sent,
        valid_to=max(expires) if expires else None,
        extra=extra,
    )


def _texts(
    vi: CapInfo | None, en: CapInfo | None, main: CapInfo, name: str
) -> dict[str, str] | None:
    found = {
        lang: getattr(info, name)
        for lang, info in (("vi", vi or main), ("en", en or main))
        if getattr(info, name)
    }
    return found or None


def _sub_category(info: CapInfo) -> str:
    for name, value in info.event_codes:
        if name.lower() in ("sdm", "subcategory", "sdm:subcategory") and value.isalnum():
            return value
    words = re.findall(r"[a-z0-9]+", fold(info.event))
    return (words[0] + "".join(w.title() for w in words[1:])) if words else "capEvent"


def _geometry(areas: list[CapArea]) -> dict[str, Any] | None:
    rings = [[list(p) for p in polygon] for a in areas for polygon in a.polygons]
    rings += [_circle(lon, lat, km) for a in areas for lon, lat, km in a.circles if km > 0]
    if not rings:
        points = [[lon, lat] for a in areas for lon, lat, km in a.circles]
        return {"type": "Point", "coordinates": points[0]} if points else None
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": [rings[0]]}
    return {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]}


def _circle(lon: float, lat: float, km: float, sides: int = 32) -> list[list[float]]:
    """A circle as a polygon (GeoJSON has no circles), by the spherical destination formula."""
    out = []
    d = km / EARTH_RADIUS_KM
    phi, lam = math.radians(lat), math.radians(lon)
    for k in range(sides + 1):
        bearing = 2 * math.pi * (k % sides) / sides
        phi2 = math.asin(
            math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(bearing)
        )
        lam2 = lam + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(phi),
            math.cos(d) - math.sin(phi) * math.sin(phi2),
        )
        out.append([round(math.degrees(lam2), 7), round(math.degrees(phi2), 7)])
    return out

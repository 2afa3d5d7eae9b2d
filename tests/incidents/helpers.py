"""Test helpers: alerts as the alerts module writes them (alerts-contract.md), a fake alerts
service, and small readers."""

from __future__ import annotations

from typing import Any

from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.incidents.drafts import IncidentDraft


async def make_alert(hub: Hub, local: str, **extra: Any) -> str:
    aid = f"urn:ngsi-ld:Alert:{local}"
    body: dict[str, Any] = {
        "id": aid,
        "type": "Alert",
        "category": {"type": "Property", "value": "naturalDisaster"},
        "subCategory": {"type": "Property", "value": "flood"},
        "severity": {"type": "Property", "value": "high"},
        "capCategory": {"type": "Property", "value": "Met"},
        "capSeverity": {"type": "Property", "value": "Severe"},
        "capUrgency": {"type": "Property", "value": "Immediate"},
        "capCertainty": {"type": "Property", "value": "Observed"},
        "status": {"type": "Property", "value": "active"},
        "titleVi": {"type": "Property", "value": "Ngập tại Phường Thủ Dầu Một"},
        "titleEn": {"type": "Property", "value": "Flooding in Thủ Dầu Một ward"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.655, 10.985]},
        },
        "areaServed": {"type": "Property", "value": "Phường Thủ Dầu Một"},
        "incidentPolicy": {"type": "Property", "value": "suggest"},
    }
    for name, value in extra.items():
        body[name] = {"type": "Property", "value": value}
    await hub.create("default", core_context().expand_entity_keys(body), "rule:flood")
    return aid


class FakeAlerts:
    """The part of the alerts service the incidents module uses."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str, str]] = []
        self.callbacks: list[Any] = []

    async def link_incident(self, tenant: str, alert_id: str, incident_id: str, actor: str) -> None:
        self.links.append((alert_id, incident_id, actor))

    def on_alert(self, callback: Any) -> None:
        self.callbacks.append(callback)


def flood_draft(**extra: Any) -> IncidentDraft:
    data: dict[str, Any] = {
        "title": {"vi": "Ngập sâu hầm chui", "en": "Underpass flooded"},
        "category": "ngap-nuoc",
        "capSeverity": "Severe",
        "location": {"type": "Point", "coordinates": [106.655, 10.985]},
        **extra,
    }
    return IncidentDraft.model_validate(data)


def attr(entity: Any, name: str) -> Any:
    return entity.doc.get(core_context().expand_term(name))

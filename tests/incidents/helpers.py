"""Test helpers: alerts as the alerts module writes them (alerts-contract.md), a fake alerts
service, small readers, and the web app with the pack loaded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.core.settings import Settings
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.incidents.drafts import IncidentDraft
from cityioc.packs import Pack, load_pack
from cityioc.web.app import create_app
from cityioc.web.state import City


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


@contextmanager
def app_with_pack(
    database_url: str,
    tmp_path: Path,
    pack: Pack,
    clock: FakeClock,
    admin_key: str,
    *,
    as_admin: bool = False,
    **settings: Any,
) -> Iterator[tuple[TestClient, City]]:
    """The web app on ``database_url`` with ``pack`` loaded, and its city; with ``as_admin`` every
    request carries the admin key unless it names another."""
    app = create_app(
        Settings(
            database_url=database_url,
            admin_key=admin_key,
            environment="test",
            media_dir=str(tmp_path / "media"),
            **settings,
        ),
        clock=clock,
    )
    headers = {"Authorization": f"Bearer {admin_key}"} if as_admin else None
    with TestClient(app, headers=headers) as client:
        city: City = app.state.city
        client.portal.call(load_pack, city.hub, pack)  # type: ignore[union-attr]
        yield client, city


def new_key(client: TestClient, city: City, role: str, name: str, agency: str | None = None) -> str:
    """A new API key's secret."""

    async def create() -> str:
        _, secret = await city.keys.create(role, name, "test", agency=agency)
        return secret

    secret: str = client.portal.call(create)  # type: ignore[union-attr]
    return secret

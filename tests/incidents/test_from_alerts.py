"""Incidents from alerts: an operator's confirmation and a rule's ``auto`` policy; the link is
stored both ways in one transaction, and confirming twice gives the same incident."""

from __future__ import annotations

import asyncio

import pytest

from cityioc.core.errors import Conflict, Forbidden, ResourceNotFound
from cityioc.incidents.drafts import Filters
from cityioc.incidents.from_alerts import AlertIncidents
from cityioc.incidents.service import Incidents
from tests.incidents.conftest import OPERATOR, agency
from tests.incidents.helpers import FakeAlerts, attr, flood_draft, make_alert

ORG = "urn:ngsi-ld:Organization:"


async def test_an_operator_confirms_a_flood_alert(incidents: Incidents) -> None:
    alerts = FakeAlerts()
    bridge = AlertIncidents(incidents, alerts)
    aid = await make_alert(incidents.hub, "flood-1")
    incident, created = await bridge.confirm("default", aid, OPERATOR)
    assert created is True
    assert incident.title == {
        "vi": "Ngập tại Phường Thủ Dầu Một",
        "en": "Flooding in Thủ Dầu Một ward",
    }
    assert (incident.category, incident.source, incident.sop) == ("ngap-nuoc", "alert", "flood")
    assert (incident.cap_severity, incident.cap_urgency, incident.cap_certainty) == (
        "Severe",
        "Immediate",
        "Observed",
    )
    assert incident.area_name == "Phường Thủ Dầu Một"
    assert incident.agency == f"{ORG}ubnd-{incident.area}"
    assert incident.alerts == [aid]
    alert = await incidents.hub.get("default", aid)
    assert attr(alert, "refIncident")["object"] == incident.id
    assert alerts.links == [(aid, incident.id, OPERATOR.id)]
    trail = await incidents.hub.store.audit_trail("default", aid)
    assert trail[0].action == "alert-link-incident"

    again, created = await bridge.confirm("default", aid, OPERATOR)
    assert (again.id, created) == (incident.id, False)
    with pytest.raises(Forbidden):
        await bridge.confirm("default", aid, agency("stnmt"))
    with pytest.raises(ResourceNotFound):
        await bridge.confirm("default", "urn:ngsi-ld:Alert:nope", OPERATOR)


async def test_concurrent_confirmations_make_one_incident(incidents: Incidents) -> None:
    bridge = AlertIncidents(incidents)
    aid = await make_alert(incidents.hub, "flood-2")
    results = await asyncio.gather(*(bridge.confirm("default", aid, OPERATOR) for _ in range(4)))
    assert len({i.id for i, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    page = await incidents.page("default", Filters(), OPERATOR)
    assert page.total == 1


async def test_a_second_alert_joins_an_existing_incident(incidents: Incidents) -> None:
    bridge = AlertIncidents(incidents)
    first = await make_alert(incidents.hub, "flood-3")
    second = await make_alert(incidents.hub, "flood-4")
    incident, _ = await bridge.confirm("default", first, OPERATOR)
    joined, created = await bridge.confirm("default", second, OPERATOR, into=incident.id)
    assert created is False and joined.alerts == [first, second]
    assert attr(await incidents.hub.get("default", second), "refIncident")["object"] == incident.id
    other = await incidents.create("default", flood_draft(), OPERATOR)
    with pytest.raises(Conflict, match="already belongs to incident"):
        await bridge.confirm("default", second, OPERATOR, into=other.id)


async def test_auto_policy_opens_an_incident_when_the_alert_is_raised(
    incidents: Incidents,
) -> None:
    alerts = FakeAlerts()
    bridge = AlertIncidents(incidents, alerts)
    auto = await make_alert(
        incidents.hub,
        "jam-1",
        subCategory="trafficJam",
        category="traffic",
        incidentPolicy="auto",
        capCategory="Transport",
    )
    suggest = await make_alert(incidents.hub, "flood-5")
    stored_auto = await incidents.hub.get("default", auto)
    stored_suggest = await incidents.hub.get("default", suggest)
    assert bridge.on_alert("default", stored_suggest, "raised") is None
    assert bridge.on_alert("default", stored_auto, "repeated") is None
    task = bridge.on_alert("default", stored_auto, "raised")
    assert task is not None
    await task
    linked = attr(await incidents.hub.get("default", auto), "refIncident")["object"]
    incident = await incidents.get("default", linked, OPERATOR)
    assert (incident.category, incident.sop, incident.opened_by) == (
        "un-tac-giao-thong",
        "traffic-jam",
        "system:auto-incident",
    )
    assert incident.agency == f"{ORG}sgtvt"
    # the contract's callback may also receive a plain dict
    assert bridge.on_alert("default", {"id": auto, "incidentPolicy": "none"}, "raised") is None


async def test_with_the_alerts_service_an_auto_rule_opens_and_links_an_incident(
    incidents: Incidents,
) -> None:
    from cityioc.alerts.models import AlertContent
    from cityioc.alerts.service import Alerts

    alerts = Alerts(incidents.hub, incidents.clock)
    bridge = AlertIncidents(incidents, alerts)
    alerts.on_alert(bridge.on_alert)
    content = AlertContent(
        source="urn:ngsi-ld:FloodMonitoring:td-1",
        category="naturalDisaster",
        sub_category="flood",
        severity="critical",
        cap_category="Met",
        cap_severity="Extreme",
        cap_urgency="Immediate",
        cap_certainty="Observed",
        title={"vi": "Ngập vượt mức báo động", "en": "Flooding above the alert level"},
        description={"vi": "Mực nước 0,45 m", "en": "Water level 0.45 m"},
        location={"type": "Point", "coordinates": [106.655, 10.985]},
        area_served="Phường Thủ Dầu Một",
        rule="urn:ngsi-ld:AlertRule:flood-level",
        incident_policy="auto",
    )
    outcome = await alerts.raise_or_repeat(
        "default", "rule", content, at=incidents.clock.now_ms(), actor="rule:flood-level"
    )
    await asyncio.sleep(0)  # the callback's task starts
    await bridge.drain()
    view = await alerts.get("default", outcome.alert_id)
    linked = view.get("refIncident")
    incident = await incidents.get("default", linked, OPERATOR)
    assert incident.alerts == [outcome.alert_id]
    assert (incident.cap_severity, incident.category, incident.sop) == (
        "Extreme",
        "ngap-nuoc",
        "flood",
    )
    assert incident.description == "Mực nước 0,45 m"
    # a repeat of the same alert opens nothing new
    await alerts.raise_or_repeat(
        "default", "rule", content, at=incidents.clock.now_ms(), actor="rule:flood-level"
    )
    await asyncio.sleep(0)
    await bridge.drain()
    assert (await incidents.page("default", Filters(), OPERATOR)).total == 1

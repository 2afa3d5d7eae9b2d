"""Scenario 1 end to end (issue 5's acceptance): the demo's heavy rain raises a flood alert per
low-lying station, the operator turns one into an incident, the routed agency walks the flood SOP
and resolves it, the operator closes it, and the audit trails show every step with who and
before/after.

The real app (FastAPI TestClient) on a ``FakeClock``, with the demo's simulator runtime loading the
Bình Dương pack; the simulator is stepped by hand one simulated minute at a time (no real-time
loop), and after each step the rule engine is let catch up and tick — deterministic and fast
(``tests/e2e/story.py``, shared with the other scenarios' tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cityioc.core.clock import iso_ms
from tests.e2e.story import Story, local_ms, open_story

pytestmark = pytest.mark.slow

ADMIN_KEY = "cio_test_admin-key-for-the-flood-story"
ORG = "urn:ngsi-ld:Organization:"
FLOOD_RULE = "urn:ngsi-ld:AlertRule:flood-above-alert-level"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def story(database_url: str, tmp_path: Path) -> Iterator[Story]:
    with open_story(database_url, tmp_path, "2026-08-20 16:50", ADMIN_KEY) as s:
        yield s


def _by_key(activities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in activities}


def test_heavy_rain_to_a_closed_incident_with_its_audit_trail(story: Story) -> None:
    client, op = story.client, story.as_("operator")

    # 1. The operator starts the demo's heavy rain at 17:05; the simulator runs to 17:40.
    run = story.start_scenario("heavy_rain", "2026-08-20 17:05")
    sim = story.runtime.require()
    low = {s.id for s in sim.fleet.sensors if s.type == "FloodMonitoring" and "lowLying" in s.tags}
    assert len(low) >= 2 and low <= set(run["sensors"])
    story.run_until(local_ms("2026-08-20 17:40"))

    # 2. A flood alert per low-lying station, de-duplicated, active, from the engine.
    floods = story.alerts_of(FLOOD_RULE)
    assert sorted(a["alertSource"] for a in floods) == sorted(low)
    assert all(a["status"] == "active" and a["severity"] == "high" for a in floods)
    # the text names the station's own alert level (a threshold read from the entity)
    # (numbers as each language writes them: 1,4 m in Vietnamese, 1.4 m in English)
    assert all(re.search(r"mức báo động \d+,\d+ m\)", a["title"]["vi"]) for a in floods)
    assert all(re.search(r"alert level \d+\.\d+ m\)", a["title"]["en"]) for a in floods)
    assert not any("{" in a["title"]["vi"] + a["title"]["en"] for a in floods)
    alert = next(a for a in floods if a["incidentPolicy"] == "suggest")
    aid = alert["id"]

    # 3. The operator confirms it into an incident; routing names the responsible agency.
    made = client.post(f"/api/v1/alerts/{aid}/incident", headers=op)
    assert made.status_code == 201, made.text
    incident = made.json()
    iid, lead = incident["id"], incident["agency"]
    assert incident["sop"] == "flood" and incident["status"] == "new"
    assert [a["id"] for a in incident["alerts"]] == [aid]
    assert lead.startswith(f"{ORG}ubnd-")  # the ward's people's committee: the most local
    assert client.get(f"/api/v1/alerts/{aid}", headers=op).json()["refIncident"] == iid
    steps = _by_key(incident["activities"])
    assert list(steps) == ["warn-residents", "close-underpass", "send-pump-team", "report-back"]

    # 4. The lead agency's key acknowledges and starts; another agency's key cannot.
    story.key("agency", "lead", lead)
    story.key("agency", "stranger", f"{ORG}stnmt")
    agency = story.as_("lead")
    assert (
        client.post(
            f"/api/v1/incidents/{iid}/acknowledge", headers=story.as_("stranger")
        ).status_code
        == 404
    )
    for action in ("acknowledge", "start"):
        story.clock.advance(minutes=2)
        moved = client.post(f"/api/v1/incidents/{iid}/{action}", headers=agency, json={})
        assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "inProgress"

    # 5. The SOP, step by step: the operations centre warns, the agency does the rest; each
    #    step's data is visible to the next.
    warned = client.post(
        f"/api/v1/incidents/{iid}/activities/1/done",
        headers=op,
        json={"data": {"channels": ["loa phường", "Zalo"], "message": "Ngập 40 cm"}},
    )
    assert warned.status_code == 200, warned.text
    forbidden = client.post(
        f"/api/v1/incidents/{iid}/activities/1/done", headers=agency, json={"data": {}}
    )
    assert forbidden.status_code == 403, forbidden.text
    records: list[tuple[str, dict[str, Any]]] = [
        ("close-underpass", {"closedRoads": "Hầm chui Đại lộ Bình Dương", "detour": "QL13"}),
        ("send-pump-team", {"team": "Tổ bơm số 2", "pumps": 3}),
    ]
    seen: dict[str, Any] = {"channels": ["loa phường", "Zalo"], "message": "Ngập 40 cm"}
    for n, (key, data) in enumerate(records, start=2):
        story.clock.advance(minutes=10)
        done = client.post(
            f"/api/v1/incidents/{iid}/activities/{n}/done", headers=agency, json={"data": data}
        )
        assert done.status_code == 200, done.text
        after = _by_key(done.json()["activities"])
        assert after[key]["state"] == "done" and after[key]["record"] == data
        assert after[key]["by"] == "key:lead" or after[key]["by"].startswith("key:"), after[key]
        seen.update(data)
        nxt = done.json()["activities"][n]  # the next step sees what the steps before recorded
        assert nxt["inputs"] == seen, nxt

    # 6. The water falls (the run ends at 19:10): the stations' alerts clear by themselves.
    assert run["end"] == iso_ms(local_ms("2026-08-20 19:10"))
    story.run_until(local_ms("2026-08-20 19:30"))
    cleared = story.alerts_of(FLOOD_RULE)
    assert {a["status"] for a in cleared} == {"cleared"} and len(cleared) == len(low)

    # 7. The agency reports back, resolves with a note and a photo; the operator closes.
    reported = client.post(
        f"/api/v1/incidents/{iid}/activities/4/done",
        headers=agency,
        json={"data": {"outcome": "Đã bơm cạn, thông xe", "waterLevel": 0.05}},
    )
    assert reported.status_code == 200, reported.text
    assert client.post(f"/api/v1/incidents/{iid}/close", headers=op).status_code == 409
    resolved = client.post(
        f"/api/v1/incidents/{iid}/resolve",
        headers=agency,
        data={"note": "Đã bơm cạn, thông xe lúc 19:10"},
        files={"photo": ("hien-truong.png", PNG, "image/png")},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution"]["note"] == "Đã bơm cạn, thông xe lúc 19:10"
    assert client.post(f"/api/v1/incidents/{iid}/close", headers=agency).status_code == 403
    closed = client.post(f"/api/v1/incidents/{iid}/close", headers=op, json={"note": "Kết thúc"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"

    # 8. The audit: every step of the incident, with who and before/after …
    details = client.get(f"/api/v1/incidents/{iid}", headers=op).json()
    operator, agency_actor = story.actor("operator"), story.actor("lead")
    assert [(r["action"], r["actor"]) for r in details["audit"]] == [
        ("incident-create", operator),
        ("incident-acknowledge", agency_actor),
        ("incident-start", agency_actor),
        ("incident-step-done", operator),
        ("incident-step-done", agency_actor),
        ("incident-step-done", agency_actor),
        ("incident-step-done", agency_actor),
        ("incident-resolve", agency_actor),
        ("incident-close", operator),
    ]
    audit = details["audit"]
    assert audit[0]["detail"]["before"]["status"] is None
    assert audit[0]["detail"]["after"]["refAgency"] == lead
    assert audit[0]["detail"]["after"]["refAlerts"] == [aid]
    statuses = [
        (r["detail"]["before"].get("status"), r["detail"]["after"].get("status"))
        for r in audit
        if "status" in r["detail"]["after"]
    ]
    assert statuses == [
        (None, "new"),
        ("new", "acknowledged"),
        ("acknowledged", "inProgress"),
        ("inProgress", "resolved"),
        ("resolved", "closed"),
    ]
    for n, record in enumerate(audit[3:7], start=1):  # each SOP step: pending → done, its data
        before = record["detail"]["before"]["activities"][n - 1]
        after = record["detail"]["after"]["activities"][n - 1]
        assert (before["status"], after["status"]) == ("pending", "done")
        assert after["record"] and after["by"] == record["actor"]
    assert details["resolution"]["photos"] and details["status"] == "closed"

    # … and the alert's: raised and cleared by the engine, linked by the operator.
    alert_trail = client.get(f"/api/v1/alerts/{aid}", headers=op).json()["auditTrail"]
    steps_of_alert = [(r["action"], r["actor"]) for r in reversed(alert_trail)]
    assert steps_of_alert[0] == ("alert-raise", "alerts:engine")
    assert steps_of_alert[-1] == ("alert-clear", "alerts:engine")
    assert ("alert-link-incident", operator) in steps_of_alert
    linked = next(r for r in alert_trail if r["action"] == "alert-link-incident")
    assert linked["detail"] == {"before": {"refIncident": None}, "after": {"refIncident": iid}}
    cleared_record = alert_trail[0]["detail"]
    assert (cleared_record["before"]["status"], cleared_record["after"]["status"]) == (
        "active",
        "cleared",
    )

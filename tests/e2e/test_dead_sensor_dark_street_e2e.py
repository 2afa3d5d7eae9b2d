"""Scenario 3 end to end: a dead weather station and a dark street (maintenance).

The demo's ``sensor_outage`` silences a weather station: after 15 minutes without data — not
before — the pack's missing-data rule opens an alert, and the station's public data show it silent
for longer than the map's offline threshold. Meanwhile ``streetlight_faults`` darkens a segment of
Mỹ Phước–Tân Vạn: one grouped alert for the segment, not one per lamp. The operator confirms it
into an incident; routing gives it to the lighting operator, which walks the streetlight SOP and
resolves it; the lamps recover and the alert clears; the station comes back and its alert clears.
The stage (app, fake clock, stepped simulator) is ``tests/e2e/story.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cityioc.core.clock import parse_datetime_ms
from cityioc.sim.scenarios import MIN_FAULTY_LAMPS
from tests.e2e.story import Story, local_ms, open_story

pytestmark = pytest.mark.slow

ADMIN_KEY = "cio_test_admin-key-for-the-dark-street"
SILENT_RULE = "weather-station-silent"
DARK_RULE = "streetlight-segment-dark"
LIGHTING = "urn:ngsi-ld:Organization:chieu-sang"
MINUTE = 60_000
OFFLINE_MS = 15 * MINUTE  # the map's threshold (frontend/src/model/layers.ts STALE_MS)


@pytest.fixture
def story(database_url: str, tmp_path: Path) -> Iterator[Story]:
    with open_story(database_url, tmp_path, "2026-03-10 07:30", ADMIN_KEY) as s:
        yield s


def test_a_silent_station_and_a_dark_segment_are_handled_and_recover(story: Story) -> None:
    client, op = story.client, story.as_("operator")
    story.minutes(5)  # the city reports for a while first

    # 1. A weather station stops sending at 07:40 (for an hour), and 14+ lamps in a row on
    #    Mỹ Phước–Tân Vạn report a defective lamp from 07:45 (until they are repaired).
    outage = story.start_scenario("sensor_outage", "2026-03-10 07:40", durationMinutes=60)
    [station] = outage["sensors"]
    assert station.startswith("urn:ngsi-ld:WeatherObserved:")
    faults = story.start_scenario("streetlight_faults", "2026-03-10 07:45")
    lamps = faults["sensors"]
    fleet = {s.id: s for s in story.runtime.require().fleet.sensors}
    assert len(lamps) >= MIN_FAULTY_LAMPS
    assert {fleet[lamp].type for lamp in lamps} == {"Streetlight"}
    [segment] = {fleet[lamp].group for lamp in lamps}  # one segment …
    assert segment.startswith("urn:ngsi-ld:StreetlightGroup:mptv-")  # … of Mỹ Phước–Tân Vạn
    numbers = sorted(int(lamp.rsplit("-", 1)[1]) for lamp in lamps)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # in a row

    # 2. Its last reading came just before 07:40: 14 minutes later nothing is raised yet …
    story.run_until(local_ms("2026-03-10 07:41"))
    last_seen = _last_observed(story, station)
    assert local_ms("2026-03-10 07:38") <= last_seen < local_ms("2026-03-10 07:40")
    story.run_until(last_seen + 14 * MINUTE)
    assert story.alerts_of(SILENT_RULE) == []
    # … at 15 minutes the missing-data alert opens, for that station only.
    story.run_until(last_seen + 16 * MINUTE)
    [silent] = story.alerts_of(SILENT_RULE)
    assert silent["alertSource"] == station and silent["status"] == "active"
    assert silent["subCategory"] == "sensorOffline"
    name = fleet[station].name  # "Trạm khí tượng …": said once, not "Trạm Trạm …"
    assert silent["title"]["vi"].startswith(f"{name} không gửi dữ liệu từ ")
    assert silent["title"]["en"].startswith(f"{name} has sent no data since ")
    # … since when, in Bình Dương's time as the UI writes it (not the stored UTC text)
    assert re.search(r"từ 10/03/2026 07:3[89]$", silent["title"]["vi"]), silent["title"]
    assert re.search(r"since 10 Mar 2026 07:3[89]$", silent["title"]["en"]), silent["title"]

    # 3. The station shows as offline: its public data are older than the map's threshold, and
    #    the server's sensor status (what the wall's "sensors online" shows) says so too, while
    #    the other weather stations are fresh.
    now = story.clock.now_ms()
    weather = story.anonymous(
        "/ngsi-ld/v1/entities", type="WeatherObserved", options="keyValues", limit="100"
    )
    assert weather.status_code == 200, weather.text
    ids = [e["id"] for e in weather.json()]
    assert station in ids and len(ids) > 1
    ages = {eid: now - _last_observed(story, eid, public=True) for eid in ids}
    assert ages[station] > OFFLINE_MS
    assert all(age < OFFLINE_MS for eid, age in ages.items() if eid != station), ages
    status = story.anonymous("/api/v1/sensors/status", type="WeatherObserved")
    assert status.status_code == 200, status.text
    online = {i["id"]: i["online"] for i in status.json()["items"]}
    assert online == {eid: eid != station for eid in ids}
    assert status.json()["totals"] == {"online": len(ids) - 1, "offline": 1, "total": len(ids)}

    # 4. The dark segment: ONE alert for the segment, not one per lamp.
    story.run_until(local_ms("2026-03-10 08:00"))
    [dark] = story.alerts_of(DARK_RULE)
    assert dark["status"] == "active" and dark["alertSource"] == segment
    assert dark["affectedCount"] == len(lamps)
    assert sorted(dark["affectedEntities"]) == sorted(lamps)
    assert re.match(rf"{len(lamps)} đèn hỏng trên .*Mỹ Phước – Tân Vạn", dark["title"]["vi"])
    assert dark["title"]["en"].startswith(f"{len(lamps)} lamps out on ")

    # 5. The operator confirms it into an incident: the lighting operator is responsible, with
    #    the streetlight procedure.
    made = client.post(f"/api/v1/alerts/{dark['id']}/incident", headers=op)
    assert made.status_code == 201, made.text
    incident = made.json()
    iid = incident["id"]
    assert incident["agency"] == LIGHTING, incident["agency"]
    assert incident["sop"] == "streetlight-fault" and incident["category"] == "den-duong-hong"
    assert [a["id"] for a in incident["alerts"]] == [dark["id"]]
    assert client.get(f"/api/v1/alerts/{dark['id']}", headers=op).json()["refIncident"] == iid
    assert [a["key"] for a in incident["activities"]] == [
        "confirm-segment",
        "send-crew",
        "repair",
        "report-back",
    ]

    # 6. Maintenance (the lighting operator's key) walks the procedure.
    story.key("agency", "chieu-sang", LIGHTING)
    crew = story.as_("chieu-sang")
    for action in ("acknowledge", "start"):
        story.minutes(2)
        moved = client.post(f"/api/v1/incidents/{iid}/{action}", headers=crew, json={})
        assert moved.status_code == 200, moved.text
    steps: list[tuple[dict[str, str], dict[str, Any]]] = [
        (op, {"lamps": len(lamps)}),
        (crew, {"crew": "Tổ sửa chữa số 3"}),
    ]
    for n, (who, data) in enumerate(steps, start=1):
        story.minutes(5)
        done = client.post(
            f"/api/v1/incidents/{iid}/activities/{n}/done", headers=who, json={"data": data}
        )
        assert done.status_code == 200, done.text

    # 7. The crew replaces the lamps (the faults end): they report "ok" again, and the segment's
    #    alert clears by itself.
    repaired = client.delete(f"/api/v1/sim/scenarios/{faults['id']}", headers=op)
    assert repaired.status_code == 200, repaired.text
    story.minutes(10)
    [dark_after] = story.alerts_of(DARK_RULE)
    assert dark_after["id"] == dark["id"] and dark_after["status"] == "cleared"
    for n, data in ((3, {"repaired": len(lamps)}), (4, {"outcome": "Đã thay bóng, sáng lại"})):
        done = client.post(
            f"/api/v1/incidents/{iid}/activities/{n}/done", headers=crew, json={"data": data}
        )
        assert done.status_code == 200, done.text
    resolved = client.post(
        f"/api/v1/incidents/{iid}/resolve", headers=crew, json={"note": "Đã thay bóng cả đoạn"}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    closed = client.post(f"/api/v1/incidents/{iid}/close", headers=op, json={"note": "Xong"})
    assert closed.status_code == 200, closed.text

    # 8. The station comes back at 08:40: its alert clears, and it is fresh again.
    story.run_until(local_ms("2026-03-10 08:45"))
    [silent_after] = story.alerts_of(SILENT_RULE)
    assert silent_after["id"] == silent["id"] and silent_after["status"] == "cleared"
    assert story.clock.now_ms() - _last_observed(story, station, public=True) < OFFLINE_MS
    back = story.anonymous("/api/v1/sensors/status", type="WeatherObserved", items="false")
    assert back.json()["totals"]["offline"] == 0, back.text
    assert len(story.alerts_of(DARK_RULE)) == 1  # still the one, cleared: nothing new


def _last_observed(story: Story, eid: str, *, public: bool = False) -> int:
    """The latest ``observedAt`` of an entity's attributes: what the map's freshness reads."""
    path = f"/ngsi-ld/v1/entities/{eid}"
    got = story.anonymous(path) if public else story.client.get(path)
    assert got.status_code == 200, got.text
    times = [
        parse_datetime_ms(attr["observedAt"])
        for attr in got.json().values()
        if isinstance(attr, dict) and "observedAt" in attr
    ]
    assert times, got.json()
    return max(times)

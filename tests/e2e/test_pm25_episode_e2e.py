"""Scenario 2 end to end: a night-time PM2.5 episode near the industrial parks.

The environment agency subscribes to ``Alert`` (NGSI-LD, a webhook to a real local HTTP receiver);
the demo's pollution scenario starts at 22:00; the AQI job (run on the simulated clock after each
step, as the server runs it every few minutes) turns the stations' readings into the hourly VN_AQI
(NowCast); the pack's AQI rule raises an alert per station from "Kém" with health advice in
Vietnamese and English; the public sees the stations' categories and advice without a key, and
nothing personal; the agency's webhook gets the alerts; once a day is over its daily VN_AQI is
published. The stage (app, fake clock, stepped simulator) is ``tests/e2e/story.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cityioc.alerts.aqi.categories import VN_BY_CODE
from cityioc.alerts.aqi_job import AqiJob
from cityioc.core.clock import iso_ms
from tests.e2e.story import Story, local_ms, open_story
from tests.receiver import Receiver

pytestmark = pytest.mark.slow

ADMIN_KEY = "cio_test_admin-key-for-the-pm25-story"
AQI_RULE = "air-quality-poor"
STNMT = "urn:ngsi-ld:Organization:stnmt"
MINUTE = 60_000
ORANGE, RED = VN_BY_CODE["kem"].colour, VN_BY_CODE["xau"].colour


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def story(database_url: str, tmp_path: Path) -> Iterator[Story]:
    # Stations report every 10 minutes: six readings an hour are plenty for hourly means, and a
    # day and a half of the whole fleet stays quick.
    with open_story(
        database_url, tmp_path, "2026-01-14 20:00", ADMIN_KEY, interval_ms=10 * MINUTE
    ) as s:
        engine = s.client.app.state.alerts.engine  # type: ignore[attr-defined]
        job = AqiJob(s.city.hub, s.clock, engine.memory.known_tenants)

        async def aqi() -> None:  # what the server's AQI job does on each of its rounds
            for tenant in await engine.memory.known_tenants():
                await job.run_once(tenant)

        s.jobs.append(aqi)
        yield s


def test_a_night_of_pm25_reaches_the_public_and_the_agency_webhook(
    story: Story, receiver: Receiver
) -> None:
    client = story.client

    # 1. The environment agency subscribes to alerts, with a webhook to its own system.
    story.key("agency", "moitruong", STNMT)
    subscribed = client.post(
        "/ngsi-ld/v1/subscriptions",
        headers=story.as_("moitruong"),
        json={
            "type": "Subscription",
            "entities": [{"type": "Alert"}],
            "q": 'category=="environment"',
            "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url}},
        },
    )
    assert subscribed.status_code == 201, subscribed.text

    # 2. The episode is planned from 22:00; until then the air is ordinary and nothing is raised.
    run = story.start_scenario("pollution_episode", "2026-01-14 22:00")
    touched = set(run["sensors"])
    assert run["end"] == iso_ms(local_ms("2026-01-15 09:00"))
    fleet = story.runtime.require().fleet.sensors
    industrial = {s.id for s in fleet if s.type == "AirQualityObserved" and "industrial" in s.tags}
    assert touched == industrial and len(touched) >= 4
    story.run_until(local_ms("2026-01-14 22:00"), step_minutes=10)
    before = _stations(story, "vi")
    assert all(before[s]["aqi"] <= 100 for s in touched), before
    assert story.alerts_of(AQI_RULE) == []

    # 3. Through the night the hourly VN_AQI (NowCast) of the industrial stations climbs: one
    #    into "Xấu", at least three into "Kém" (the episode's three, and the roadside Tân Vạn
    #    junction, busy at night) — an alert each, with health advice in both languages.
    story.run_until(local_ms("2026-01-15 03:00"), step_minutes=10)
    alerts = story.alerts_of(AQI_RULE)
    active = [a for a in alerts if a["status"] == "active"]
    assert {a["alertSource"] for a in alerts} <= touched  # only where the episode is
    assert len({a["alertSource"] for a in active}) == len(active)  # one per station at a time
    levels = sorted(a["airQualityLevel"] for a in active)
    assert levels.count("xau") == 1 and levels.count("kem") >= 3, levels
    for alert in active:
        category = VN_BY_CODE[alert["airQualityLevel"]]
        assert alert["severity"] == ("high" if category.code == "xau" else "medium"), alert
        assert alert["healthAdvice"] == {"vi": category.advice_vi, "en": category.advice_en}
        assert alert["healthAdviceSensitive"] == {
            "vi": category.sensitive_vi,
            "en": category.sensitive_en,
        }
        assert f"Không khí {category.name_vi} tại " in alert["title"]["vi"]
        assert f"Air quality {category.name_en} at " in alert["title"]["en"]
        assert f"(VN_AQI {alert['airQualityIndex']})" in alert["title"]["en"]
        assert alert["description"] == alert["healthAdvice"]
    worst = next(a for a in active if a["airQualityLevel"] == "xau")

    # 4. The public (no key) sees those stations orange and red, with the advice for sensitive
    #    groups, through the AQI API and the NGSI-LD query — and nothing about who did what.
    for lang in ("vi", "en"):
        now = _stations(story, lang)
        for alert in active:
            shown = now[alert["alertSource"]]
            category = VN_BY_CODE[alert["airQualityLevel"]]
            assert shown["category"]["code"] == category.code
            assert shown["category"]["colour"] == (RED if category.code == "xau" else ORANGE)
            assert shown["category"]["name"] == category.name(lang)
            assert shown["category"]["adviceSensitive"] == category.sensitive(lang)
            assert shown["aqi"] >= 101
    entities = story.anonymous(
        "/ngsi-ld/v1/entities", type="AirQualityObserved", options="keyValues", limit="100"
    )
    assert entities.status_code == 200, entities.text
    by_id = {e["id"]: e for e in entities.json()}
    assert by_id[worst["alertSource"]]["airQualityLevel"] == "xau"
    assert by_id[worst["alertSource"]]["airQualityColor"] == RED
    for response in (entities, story.anonymous("/api/v1/aqi/stations")):
        _no_personal_data(story, response.text)
    hidden = story.anonymous("/ngsi-ld/v1/entities", type="Alert")
    assert hidden.status_code == 403, hidden.text  # alerts carry who handled them: not public

    # 5. The agency's webhook received every one of those alerts, the escalation to "Xấu"
    #    included, with the advice.
    def caught_up(notified: list[dict[str, Any]]) -> bool:
        latest = _latest(notified)
        return all(a["id"] in latest for a in active) and (
            latest[worst["id"]]["airQualityLevel"] == "xau"
        )

    notified = receiver.wait_until(caught_up)
    assert {e["type"] for e in notified} == {"Alert"}
    assert {e["subCategory"] for e in notified} == {"airPollution"}  # its q: environment only
    assert _latest(notified)[worst["id"]]["healthAdvice"] == {
        "vi": VN_BY_CODE["xau"].advice_vi,
        "en": VN_BY_CODE["xau"].advice_en,
    }

    # 6. The episode ends at 09:00. Yesterday gets no daily VN_AQI: this story's city started
    #    reporting at 20:00, and a day needs 18 of its 24 hourly values …
    story.run_until(local_ms("2026-01-15 09:00"), step_minutes=10)
    for station in _stations(story, "vi").values():
        assert "daily" not in station, station

    # … the air clears during the day, and so do the alerts (the webhook is told) …
    story.run_until(local_ms("2026-01-15 16:00"), step_minutes=60)
    after = story.alerts_of(AQI_RULE)
    assert {a["status"] for a in after} == {"cleared"}, after
    assert {a["id"] for a in alerts} <= {a["id"] for a in after}
    receiver.wait_until(
        lambda notified: all(_latest(notified)[a["id"]]["status"] == "cleared" for a in active)
    )

    # … and after midnight the episode day's daily VN_AQI: the worst station had a "Kém" day,
    #    worse than any station the episode did not touch.
    story.run_until(local_ms("2026-01-16 00:30"), step_minutes=60)
    daily = {sid: s["daily"] for sid, s in _stations(story, "vi").items()}
    assert all(d["date"] == iso_ms(local_ms("2026-01-15 00:00")) for d in daily.values())
    assert daily[worst["alertSource"]]["category"]["code"] == "kem", daily[worst["alertSource"]]
    clean = [d["aqi"] for sid, d in daily.items() if sid not in touched]
    assert clean and max(clean) < daily[worst["alertSource"]]["aqi"]
    # (the indicator "days per AQI category" of the scenario does not exist yet)


def _stations(story: Story, lang: str) -> dict[str, dict[str, Any]]:
    """The public AQI per station, as an anonymous visitor gets it."""
    got = story.anonymous("/api/v1/aqi/stations", lang=lang)
    assert got.status_code == 200, got.text
    return {item["id"]: item for item in got.json()["items"]}


def _latest(notified: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each notified alert as its latest notification showed it."""
    return {e["id"]: e for e in notified}


def _no_personal_data(story: Story, text: str) -> None:
    """No key, actor or contact in a public response."""
    for secret in story.keys.values():
        assert secret.split("_")[1] not in text
    for marker in ("key:", "createdBy", "modifiedBy", "actor", "@gmail", "email", "phone"):
        assert marker not in text, marker

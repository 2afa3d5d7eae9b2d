"""Alert texts: placeholders filled from the facts, numbers and date-times written as each language
writes them (date-times in the city's local time)."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from cityioc.alerts.content import LOCAL_TIME, fill, set_local_timezone
from cityioc.core.clock import FakeClock
from cityioc.store.port import Store
from tests.alerts.conftest import ALERT_TEMPLATE, flood_station, make_rig


def test_numbers_follow_the_language() -> None:
    facts = {"name": "Bạch Đằng", "currentLevel": 1.55, "alertLevel": 1.4, "count": 1234}
    template = "{name}: {currentLevel} m / {alertLevel} m ({count})"
    assert fill(template, facts, "vi") == "Bạch Đằng: 1,55 m / 1,4 m (1.234)"
    assert fill(template, facts, "en") == "Bạch Đằng: 1.55 m / 1.4 m (1,234)"


def test_unknown_or_malformed_placeholders_stay_visible() -> None:
    assert fill("{name} {missing}", {"name": "A"}, "vi") == "A {missing}"
    assert fill("{name", {"name": "A"}, "en") == "{name"
    assert fill("{flag}", {"flag": True}, "vi") == "True"


@pytest.fixture
def city_time() -> Iterator[None]:
    """The city's zone as the app sets it, put back afterwards (it is process-wide)."""
    before = LOCAL_TIME.zone
    set_local_timezone("Asia/Ho_Chi_Minh")
    yield
    LOCAL_TIME.zone = before


def test_date_times_are_written_in_local_time_as_each_language_writes_them(
    city_time: None,
) -> None:
    facts = {"name": "Trạm Thủ Dầu Một", "lastSeen": "2026-03-10T00:39:27.000Z"}
    assert fill("{name} không gửi dữ liệu từ {lastSeen}", facts, "vi") == (
        "Trạm Thủ Dầu Một không gửi dữ liệu từ 10/03/2026 07:39"
    )
    assert fill("{name} has sent no data since {lastSeen}", facts, "en") == (
        "Trạm Thủ Dầu Một has sent no data since 10 Mar 2026 07:39"
    )
    # The local day can differ from the UTC day; an offset is honoured; a given zone wins.
    late = {
        "at": "2026-11-25T20:05:00+00:00",
        "typed": {"@type": "DateTime", "@value": "2026-11-25T20:05:00Z"},
    }
    assert fill("{at} · {typed}", late, "vi") == "26/11/2026 03:05 · 26/11/2026 03:05"
    assert fill("{at}", late, "en", ZoneInfo("UTC")) == "25 Nov 2026 20:05"


def test_only_full_date_times_with_a_zone_are_rewritten(city_time: None) -> None:
    facts = {
        "day": "2026-03-10",  # a date alone: no time to move to another zone
        "naive": "2026-03-10T00:39:27",  # no zone: which one is unknown, so as written
        "code": "A-2026-03-10T00:39Z-1",  # merely contains one
        "bad": "2026-13-40T25:61:00Z",  # looks like one but is no date
    }
    template = "{day} {naive} {code} {bad}"
    assert fill(template, facts, "vi") == " ".join(str(v) for v in facts.values())


async def test_the_missing_data_alert_says_when_the_station_was_last_heard_locally(
    engine_store: Store, fake_clock: FakeClock, city_time: None
) -> None:
    title = {"vi": "{name} không gửi dữ liệu từ {lastSeen}", "en": "{name} silent since {lastSeen}"}
    silent = {
        "id": "silent",
        "kind": "missing",
        "name": {"vi": "Mất dữ liệu", "en": "Silent"},
        "scope": {"types": ["FloodMonitoring"]},
        "after": "15m",
        "alert": {**ALERT_TEMPLATE, "title": title},
    }
    rig = await make_rig(engine_store, fake_clock, [])
    station = await flood_station(rig.hub, "bach-dang")
    await rig.rules.create("default", silent, "test")  # the engine reads the fleet when it loads
    await rig.engine.idle()
    await rig.reading(station, "currentLevel", 0.4)  # heard at START: 2026-05-28T20:26:40Z
    for _ in range(16):
        await rig.advance(1)
    [alert] = await rig.alerts_list()
    name = alert.title["vi"].split(" không gửi")[0]
    assert alert.title == {
        "vi": f"{name} không gửi dữ liệu từ 29/05/2026 03:26",
        "en": f"{name} silent since 29 May 2026 03:26",
    }

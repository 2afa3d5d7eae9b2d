"""A fleet and an engine for the simulator tests; times in local time (UTC+7)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cityioc.core.clock import to_ms
from cityioc.sim.fleet import Fleet
from tests.sim.fleet_data import small_fleet

LOCAL = timezone(timedelta(hours=7))
MINUTE = 60_000
HOUR = 60 * MINUTE


def local_ms(text: str) -> int:
    """``2026-01-14 17:05`` (Asia/Ho_Chi_Minh) → epoch ms."""
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=LOCAL))


@pytest.fixture
def fleet() -> Fleet:
    return Fleet.from_entities(small_fleet())

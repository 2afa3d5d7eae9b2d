"""Command-line values: durations (``365d``, ``15m``, ``PT1H``), rates and scenario specs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cityioc.core.clock import from_ms, to_ms
from cityioc.core.durations import parse_duration_text
from cityioc.core.errors import BadRequestData
from cityioc.sim.scenarios import (
    CATALOGUE,
    local_time_covering,
    local_time_ending_before,
    parse_hhmm,
    scenario_name,
)

LOCAL_ZONE = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def parse_duration(text: str) -> int:
    """``90s``, ``15m``, ``1h30m``, ``365d``, ``2w`` or ISO 8601 (``PT15M``) → milliseconds."""
    try:
        ms = parse_duration_text(text)
    except ValueError as err:
        raise BadRequestData(str(err)) from err
    if ms <= 0:
        raise BadRequestData(f"{text!r} is not a positive duration")
    return ms


def interval_for_rate(rate: str, readings_per_round: int) -> int:
    """``--rate``: readings per second for the whole fleet (a number) or an interval (``30s``)."""
    try:
        per_second = float(rate)
    except ValueError:
        return parse_duration(rate)
    if per_second <= 0:
        raise BadRequestData("--rate must be positive")
    return max(1000, round(readings_per_round / per_second * 1000))


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    name: str
    time_of_day_ms: int | None = None  # NAME@HH:MM
    at_ms: int | None = None  # NAME@2026-11-25T17:05 (local unless it says its zone)

    def start(self, now_ms: int, duration_ms: int, *, backfill_end: int | None = None) -> int:
        """Live: now, or the HH:MM whose run covers now, else the next one. Backfill: the run
        ends by the end of the range (the latest HH:MM that does, if a time is given)."""
        if self.at_ms is not None:
            return self.at_ms
        if backfill_end is not None:
            if self.time_of_day_ms is None:
                return backfill_end - duration_ms
            return local_time_ending_before(self.time_of_day_ms, backfill_end, duration_ms)
        if self.time_of_day_ms is None:
            return now_ms
        return local_time_covering(self.time_of_day_ms, now_ms, duration_ms)

    @property
    def default_duration_ms(self) -> int:
        return CATALOGUE[self.name].default_duration_ms


def parse_scenario(text: str) -> ScenarioSpec:
    name, _, when = text.partition("@")
    canonical = scenario_name(name)
    if not when:
        return ScenarioSpec(canonical)
    if re.fullmatch(r"\d{1,2}:\d{2}", when):
        return ScenarioSpec(canonical, time_of_day_ms=parse_hhmm(when))
    try:
        moment = datetime.fromisoformat(when)
    except ValueError as err:
        raise BadRequestData(
            f"{text!r}: expected NAME, NAME@HH:MM or NAME@YYYY-MM-DDTHH:MM"
        ) from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return ScenarioSpec(canonical, at_ms=to_ms(moment))


def local_text(ms: int) -> str:
    """``2026-11-25 17:05`` in Asia/Ho_Chi_Minh, for operators."""
    return from_ms(ms).astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")

"""Time, injectable. Everything time-dependent takes a ``Clock``; tests move a ``FakeClock``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, UTC."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start_ms: int = 1_764_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, *, seconds: float = 0, minutes: float = 0) -> None:
        self._now += int((seconds + minutes * 60) * 1000)

    def set(self, when: datetime) -> None:
        self._now = to_ms(when)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MS  # integer arithmetic: float timestamps can be 1 ms short


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def iso_ms(ms: int) -> str:
    """RFC 3339 UTC text with milliseconds, the form NGSI-LD uses: 2026-11-25T10:05:00.000Z."""
    seconds, millis = divmod(ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=65_536)
def _iso_second(seconds: int) -> str:
    # Readings cluster on few distinct seconds; strftime is the slow part of formatting.
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=65_536)
def parse_datetime_ms(text: str) -> int:
    """Parse an ISO 8601 date-time with a zone (``Z`` or an offset) into epoch milliseconds.

    A date-time without a zone is taken as UTC, as NGSI-LD brokers do. Cached: the readings of
    a batch share few distinct times, and each is parsed again by every reader of the change.
    """
    dt = datetime.fromisoformat(text)
    return to_ms(dt)

"""Durations in rules: ``90s``, ``10m``, ``1h30m``, ``2d``, ISO 8601 (``PT10M``) or seconds."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import isodate

_UNITS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration_ms(value: Any) -> int:
    """Milliseconds; raises ValueError with a message for a person."""
    if isinstance(value, bool):
        raise ValueError("a duration is text such as 10m, PT10M, or a number of seconds")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return round(value * 1000)
    if not isinstance(value, str):
        raise ValueError("a duration is text such as 10m, PT10M, or a number of seconds")
    raw = value.strip().lower()
    if raw.startswith("p"):
        try:
            found = isodate.parse_duration(raw.upper())
        except (isodate.ISO8601Error, ValueError) as err:
            raise ValueError(f"{value!r} is not an ISO 8601 duration") from err
        if not isinstance(found, timedelta):
            raise ValueError(f"{value!r}: use days, hours, minutes or seconds")
        return found // timedelta(milliseconds=1)
    parts = _PART.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ValueError(f"{value!r} is not a duration such as 90s, 10m, 2h or PT10M")
    return round(sum(float(n) * _UNITS[u] for n, u in parts))


def format_duration(ms: int) -> str:
    """The short form: 600000 → ``10m``."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms / 1000:g}s"

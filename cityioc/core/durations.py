"""Durations as people write them: ``90s``, ``15m``, ``1h30m``, ``365d``, ``2w`` or ISO 8601."""

from __future__ import annotations

import re
from datetime import timedelta

import isodate

_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration_text(text: str) -> int:
    """Milliseconds; raises ValueError with a message for a person (months and years are not
    fixed lengths, so ISO 8601 durations with them are refused)."""
    raw = text.strip().lower()
    if raw.startswith("p"):
        try:
            found = isodate.parse_duration(raw.upper())
        except (isodate.ISO8601Error, ValueError) as err:
            raise ValueError(f"{text!r} is not an ISO 8601 duration") from err
        if not isinstance(found, timedelta):
            raise ValueError(f"{text!r}: use days, hours, minutes or seconds, not months or years")
        return found // timedelta(milliseconds=1)
    parts = _PART.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 2h, 365d or PT15M")
    return round(sum(float(n) * _UNITS[u] for n, u in parts))

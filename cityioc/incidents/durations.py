"""Durations in packs: ``15m``, ``4h``, ``2d``, ``1h30m`` or a plain number of minutes."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": 1440, "h": 60, "m": 1}


def parse_minutes(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a duration is a number of minutes or text such as 15m, 4h, 2d")
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str):
        text = value.strip().lower()
        parts = _PART.findall(text)
        if not parts or _PART.sub("", text).strip():
            raise ValueError(f"bad duration {value!r} (write e.g. 15m, 4h, 2d or 1h30m)")
        minutes = sum(int(n) * _UNITS[unit] for n, unit in parts)
    else:
        raise ValueError("a duration is a number of minutes or text such as 15m, 4h, 2d")
    if minutes <= 0:
        raise ValueError("a duration must be positive")
    return minutes


Minutes = Annotated[int, BeforeValidator(parse_minutes)]


def format_minutes(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    out = "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n)
    return out or "0m"

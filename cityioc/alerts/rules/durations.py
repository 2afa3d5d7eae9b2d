"""Durations in rules: ``90s``, ``10m``, ``1h30m``, ``2d``, ISO 8601 (``PT10M``) or seconds."""

from __future__ import annotations

from typing import Any

from cityioc.core.durations import parse_duration_text


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
    return parse_duration_text(value)


def format_duration(ms: int) -> str:
    """The short form: 600000 → ``10m``."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms / 1000:g}s"

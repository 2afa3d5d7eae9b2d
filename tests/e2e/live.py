"""Listening to the live stream (SSE) of a real server in an end-to-end test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx


def listen_for_entity(
    url: str,
    params: Mapping[str, str],
    events: list[dict[str, Any]],
    ready: threading.Event,
    *,
    headers: Mapping[str, str] | None = None,
    wanted: Callable[[dict[str, Any]], bool] = lambda _: True,
    timeout: float = 30,
) -> None:
    """``GET /api/v1/live``: set ``ready`` when the stream says it is, append the first entity
    event ``wanted`` accepts to ``events`` and return (also when the server goes away)."""
    try:
        with httpx.stream(
            "GET", url + "/api/v1/live", params=params, headers=headers, timeout=timeout
        ) as r:
            kind = ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                    if kind == "ready":
                        ready.set()
                elif line.startswith("data:") and kind == "entity":
                    event = json.loads(line.split(":", 1)[1])
                    if wanted(event):
                        events.append(event)
                        return
    except httpx.HTTPError:
        return


def start_listening(url: str, params: Mapping[str, str], **options: Any) -> list[dict[str, Any]]:
    """``listen_for_entity`` in a thread, once the stream is ready; the list fills when the
    event comes."""
    events: list[dict[str, Any]] = []
    ready = threading.Event()
    threading.Thread(
        target=listen_for_entity, args=(url, params, events, ready), kwargs=options, daemon=True
    ).start()
    assert ready.wait(10), "the live stream never said it was ready"
    return events


def wait_for_event(events: list[dict[str, Any]], seconds: float = 10) -> None:
    """Until the listener has its event (or the time is up: the caller's assertion says so)."""
    deadline = time.monotonic() + seconds
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)

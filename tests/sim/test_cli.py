"""``cityioc simulate``: a backfill into a database, a short live run, and its refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from typer.testing import CliRunner

from cityioc.cli import app
from cityioc.core.clock import SystemClock
from cityioc.hub.service import Hub
from cityioc.sim.models import ATTRIBUTES
from cityioc.sim.publishers import InProcessPublisher
from cityioc.store.factory import make_store
from tests.sim.fleet_data import normalized, small_fleet
from tests.sim.test_backfill import _stored


async def _load_fleet(url: str) -> None:
    store = make_store(url, SystemClock())
    await store.open()
    try:
        bodies = [normalized(e) for e in small_fleet()]
        await InProcessPublisher(Hub(store, SystemClock())).ensure_entities(bodies)
    finally:
        await store.close()


async def _count(url: str) -> int:
    store = make_store(url, SystemClock())
    await store.open()
    try:
        return await _stored(store, "default")
    finally:
        await store.close()


def test_the_cli_backfills_a_database_and_prints_what_it_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    asyncio.run(_load_fleet(url))
    before = asyncio.run(_count(url))
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--database-url",
            url,
            "--backfill",
            "1d",
            "--interval",
            "30m",
            "--scenario",
            "heavy_rain@17:05",
            "--sensors",
            "80",
        ],
    )
    assert result.exit_code == 0, result.output
    stored = asyncio.run(_count(url)) - before
    assert f"stored {stored:,} readings" in result.output
    assert "heavy_rain-1" in result.output


def test_the_cli_says_when_there_is_nothing_to_simulate(tmp_path: Path) -> None:
    empty = tmp_path / "fleet.json"
    empty.write_bytes(orjson.dumps([{"id": "urn:ngsi-ld:Building:b1", "type": "Building"}]))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        app, ["simulate", "--database-url", url, "--fleet", str(empty), "--backfill", "1d"]
    )
    assert result.exit_code == 1
    assert "no sensors to simulate" in result.output
    bad = CliRunner().invoke(app, ["simulate", "--database-url", url, "--scenario", "meteor"])
    assert bad.exit_code == 2 and "unknown scenario" in bad.output


def test_a_short_live_run_writes_one_round_of_every_sensor(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    asyncio.run(_load_fleet(url))
    before = asyncio.run(_count(url))
    result = CliRunner().invoke(
        app, ["simulate", "--database-url", url, "--duration", "1s", "--scenario", "traffic_jam"]
    )
    assert result.exit_code == 0, result.output
    published = asyncio.run(_count(url)) - before
    one_round = sum(len(ATTRIBUTES[e["type"]]) for e in small_fleet())
    assert published >= 0.97 * one_round  # every sensor reported at once
    assert f"published {published:,} readings" in result.output
    assert "traffic_jam-1" in result.output

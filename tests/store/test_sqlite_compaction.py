"""SQLite compaction in steps: whole series per step, every sample moved once, reads unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation
from cityioc.store.port import SeriesData, SeriesKey
from cityioc.store.sqlite import compaction, series
from cityioc.store.sqlite import store as sqlite_store
from cityioc.store.sqlite.store import SqliteStore
from tests.store.checks import assert_rollups_match_raw
from tests.store.test_store import PM25, samples, write


async def test_compaction_in_steps_moves_whole_series(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.db", clock=FakeClock())
    await store.open()
    try:
        ids = [f"urn:c:{n}" for n in range(5)]
        for n, eid in enumerate(ids):
            await write(store, samples(eid, 0, [float(n * 100 + i) for i in range(7)]))
        await write(store, samples(ids[0], 7 * 60_000, [1.0, 2.0]))  # 9 rows for the first
        keys = [SeriesKey(e, PM25) for e in ids]
        before = _plain(await store.read_series("default", keys, None, None))
        index = store._series  # the step function under test takes the store's series index
        # the newest rows join the hot table first
        assert await store.engine.write(lambda c: series.fold(c, index)) == 37
        assert _plain(await store.read_series("default", keys, None, None)) == before

        # A series bigger than a step goes alone (9 rows for a step of 3) …
        steps = [await store.engine.write(lambda c: compaction.compact(c, index, max_rows=3))]
        while True:  # … then whole series up to the step's size: 7 + 7, then 7 + 7
            moved = await store.engine.write(lambda c: compaction.compact(c, index, max_rows=16))
            if not moved:
                break
            steps.append(moved)
        assert steps == [9, 14, 14]
        left = await store.engine.read(
            lambda c: c.execute("SELECT count(*) FROM samples_hot").fetchone()[0]
        )
        assert left == 0
        assert _plain(await store.read_series("default", keys, None, None)) == before
        for key in keys:
            await assert_rollups_match_raw(store, key)
    finally:
        await store.close()


def _plain(
    found: Mapping[SeriesKey, SeriesData],
) -> dict[SeriesKey, tuple[list[int], list[object]]]:
    return {k: (v.times.tolist(), list(v.values)) for k, v in found.items()}


async def test_a_write_folds_at_fold_rows_and_repeats_settle_in_either_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(series, "FOLD_ROWS", 20)
    store = SqliteStore(tmp_path / "f.db", clock=FakeClock())
    await store.open()
    try:
        ids = [f"urn:f:{n}" for n in range(4)]
        for n, eid in enumerate(ids[:3]):
            await write(store, samples(eid, 0, [float(n * 10 + i) for i in range(5)]))
        index = store._series
        assert (index.hot_rows, index.new_rows) == (15, 15)
        await write(store, samples(ids[3], 0, [float(30 + i) for i in range(5)]))  # 20: folded
        assert (index.hot_rows, index.new_rows) == (20, 0)
        # A repeat of a folded (series, time) replaces it there; a new time lands in samples_new
        await write(store, samples(ids[0], 0, [99.0]))
        await write(store, samples(ids[0], 5 * 60_000, [7.0]))
        await write(store, samples(ids[0], 5 * 60_000, [8.0]))  # a repeat while still new
        counts = await store.engine.read(
            lambda c: c.execute(
                "SELECT (SELECT count(*) FROM samples_hot), (SELECT count(*) FROM samples_new)"
            ).fetchone()
        )
        assert counts == (20, 1)
        got = _plain(await store.read_series("default", [SeriesKey(ids[0], PM25)], None, None))
        assert got[SeriesKey(ids[0], PM25)][1] == [99.0, 1.0, 2.0, 3.0, 4.0, 8.0]
        await store.close()
        store = SqliteStore(tmp_path / "f.db", clock=FakeClock())
        await store.open()  # the counts come back from the tables
        assert (store._series.hot_rows, store._series.new_rows) == (21, 1)
        assert await store.compact() == 21
        got = _plain(await store.read_series("default", [SeriesKey(ids[0], PM25)], None, None))
        assert got[SeriesKey(ids[0], PM25)][1] == [99.0, 1.0, 2.0, 3.0, 4.0, 8.0]
    finally:
        await store.close()


async def test_bulk_writes_wait_for_compaction_past_the_hot_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "HOT_LIMIT", 30)
    monkeypatch.setattr(sqlite_store, "COMPACT_ROWS", 20)
    store = SqliteStore(tmp_path / "l.db", clock=FakeClock())
    await store.open()
    try:
        ids = [f"urn:l:{n}" for n in range(8)]  # a bulk write: more entities than an urgent one
        bulk = [s for n, eid in enumerate(ids) for s in samples(eid, n, [1.0, 2.0, 3.0, 4.0])]

        async def write_bulk() -> None:
            await store.mutate("default", ids, lambda _: Mutation(samples=bulk), "t")

        await write_bulk()  # 32 hot rows: past the limit
        assert store._series.hot_rows == 32
        waiting = asyncio.create_task(write_bulk())
        await asyncio.sleep(0.1)
        assert not waiting.done()  # held back …
        await write(store, samples("urn:l:alert", 0, [1.0]))  # … an urgent write is not
        await asyncio.wait_for(waiting, 5)  # … until the compactor made room
        assert store._series.hot_rows < 30 + len(bulk)
    finally:
        await store.close()

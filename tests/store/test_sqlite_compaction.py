"""SQLite compaction in steps: whole series per step, every sample moved once, reads unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cityioc.core.clock import FakeClock
from cityioc.store.port import SeriesData, SeriesKey
from cityioc.store.sqlite import compaction
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

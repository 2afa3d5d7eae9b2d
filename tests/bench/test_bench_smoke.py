"""The benchmarks must not rot: a quick run on SQLite produces every figure and its reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityioc.bench.machine import header, tools_recorded
from cityioc.bench.profiling import top_frames
from cityioc.bench.report import Row, Section, Target, update_file
from cityioc.bench.runner import BENCHMARKS, run_benchmarks
from tests.services import services_required

WITHOUT_REFERENCE = {"query"}


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_a_quick_run_measures_every_benchmark_beside_its_reference(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CITYIOC_BENCH_BACKENDS", "sqlite")
    monkeypatch.chdir(tmp_path)
    sections = run_benchmarks(None, quick=True)
    assert [s.name for s in sections] == list(BENCHMARKS)
    for section in sections:
        assert section.rows, section.name
        for row in section.rows:
            if (
                row.figure is None
                and row.note.startswith("not run: no ")
                and not services_required()
            ):
                continue  # a tool this machine lacks (the ui benchmark's Chromium), said so
            assert row.figure is not None and row.figure > 0, (section.name, row)
            if section.name not in WITHOUT_REFERENCE:
                assert row.reference is not None and row.reference > 0, (section.name, row)
    assert list(tmp_path.iterdir()) == []  # nothing written without --write


def test_only_the_sections_that_ran_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    old = [Section(name, name, "old") for name in ("ingest", "size")]
    update_file(path, "# old header", list(BENCHMARKS), old)
    row = Row("SQLite", 120_000.0, "readings/s", Target(100_000, at_least=True))
    update_file(path, "# new header", list(BENCHMARKS), [Section("ingest", "Ingest", "new", [row])])
    text = path.read_text()
    assert text.startswith("# new header")
    assert text.count("<!-- bench:ingest -->") == 1 and "new" in text and "120,000" in text
    assert "<!-- bench:size -->\n## size" in text  # kept as it was


def test_a_partial_run_keeps_the_load_tools_of_the_sections_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    assert tools_recorded(path) == []
    update_file(path, header([], ["py-spy", "wrk"]), list(BENCHMARKS), [])
    assert tools_recorded(path) == ["py-spy", "wrk"]


def test_profiles_rank_frames_by_own_time() -> None:
    collapsed = "main (a.py:1);work (a.py:5) 30\nmain (a.py:1);wait (b.py:2) 10\nmain (a.py:1) 10\n"
    total, frames = top_frames(collapsed, top=2)
    assert total == 50
    assert [(f.name, f.samples) for f in frames] == [("work (a.py:5)", 30), ("wait (b.py:2)", 10)]
    assert frames[0].share == pytest.approx(0.6)

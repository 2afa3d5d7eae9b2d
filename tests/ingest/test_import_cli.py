"""``cityioc import``: exit codes, the printed report and the problem table (SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from typer.testing import CliRunner

from cityioc.cli import app
from cityioc.core.clock import SystemClock
from cityioc.store.factory import make_store

DISTRICTS = (
    "code,name,lon,lat,population\n"
    "TDM,Thủ Dầu Một,106.65,10.98,321000\n"
    "DA,Dĩ An,106.76,10.9,474681\n"
)
runner = CliRunner(env={"COLUMNS": "200"})  # a wide terminal: table cells on one line


def count_entities(url: str) -> int:
    async def run() -> int:
        store = make_store(url, SystemClock())
        await store.open()
        try:
            return (await store.stats()).entities
        finally:
            await store.close()

    return asyncio.run(run())


def test_import_with_simple_options_dry_run_then_real(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    source = tmp_path / "districts.csv"
    source.write_text(DISTRICTS, encoding="utf-8")
    args = ["import", str(source), "--type", "District", "--id-column", "code"]
    args += ["--lon-column", "lon", "--lat-column", "lat", "--name-column", "name"]
    args += ["--database-url", url]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written" in dry.output and "to create: 2" in dry.output
    assert count_entities(url) == 0
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    report = orjson.loads(done.output)
    assert report["status"] == "imported"
    assert report["entities"]["createdIds"] == [
        "urn:ngsi-ld:District:TDM",
        "urn:ngsi-ld:District:DA",
    ]
    assert count_entities(url) == 2


def test_a_rejected_file_prints_its_problems_and_exits_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    source = tmp_path / "districts.csv"
    source.write_text(DISTRICTS + "BC,Bến Cát,106.6,95,x\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "entity:\n  id: code\n  type: District\n  location: {lon: lon, lat: lat}\n"
        "  properties:\n    population: {column: population, type: integer}\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["import", str(source), "--mapping", str(mapping), "--database-url", url]
    )
    assert result.exit_code == 1, result.output
    assert "rejected, nothing written" in result.output
    assert "latitude '95' is outside" in result.output and "population" in result.output
    assert count_entities(url) == 0


def test_command_errors_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    source = tmp_path / "districts.csv"
    source.write_text(DISTRICTS, encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("entity: {id: code}\n", encoding="utf-8")
    cases = [
        (["--mapping", str(mapping)], "entity: give exactly one of type"),
        (["--type", "District"], "give at least --type and --id-column"),
        (["--mapping", str(mapping), "--type", "X"], "not both"),
        (["--type", "D", "--id-column", "code", "--format", "pdf"], "--format must be one of"),
    ]
    for extra, message in cases:
        result = runner.invoke(app, ["import", str(source), *extra, "--database-url", url])
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.output, result.output

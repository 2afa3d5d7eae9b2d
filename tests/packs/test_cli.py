"""``cityioc pack validate`` and ``cityioc pack load`` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cityioc.cli import app
from tests.packs.minimal import SENSORS, write_pack

runner = CliRunner()


def test_validate_a_built_in_pack() -> None:
    result = runner.invoke(app, ["pack", "validate", "binh-duong"])
    assert result.exit_code == 0, result.output
    assert "Gói dữ liệu hợp lệ / valid pack: binh-duong" in result.output
    assert "36 commune" in result.output and "AirQualityObserved" in result.output


def test_validate_lists_each_problem_with_file_and_line(tmp_path: Path) -> None:
    root = write_pack(tmp_path / "p", sensors_csv=SENSORS.replace(",W1,", ",W7,"))
    result = runner.invoke(app, ["pack", "validate", str(root)])
    assert result.exit_code == 1
    assert "invalid pack: 1 lỗi / problem(s)" in result.output
    assert "sensors.csv:2: unknown area 'W7'" in result.output


def test_load_twice_reports_everything_unchanged_the_second_time(tmp_path: Path) -> None:
    root = write_pack(tmp_path / "p", projects_yaml="- id: r1\n")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = runner.invoke(app, ["pack", "load", str(root), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "actor pack:test-city" in first.output
    assert "not loaded yet (module not installed)" in first.output
    assert first.output.strip().splitlines()[-1].split()[-4:] == ["41", "0", "0", "0"]
    second = runner.invoke(app, ["pack", "load", str(root), "--database-url", url])
    assert second.exit_code == 0, second.output
    total = second.output.strip().splitlines()[-1].split()
    assert total[-4:] == ["0", "0", "41", "0"]  # created, updated, unchanged, kept

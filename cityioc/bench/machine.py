"""What the figures were measured on: machine, versions, date and commit (read-only git)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cityioc.bench.databases import Backend


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def commit() -> str:
    """The checked-out commit, marked ``+changes`` when tracked files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    sha = git("rev-parse", "--short=10", "HEAD")
    if not sha:
        return "unknown"
    return sha + (" +changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


TOOLS_ROW = "| load tools | "


def tools_recorded(path: Path) -> list[str]:
    """The load tools an existing BENCHMARKS.md names: a partial run (``--only``) keeps the
    sections it did not run, so the header keeps their tools too."""
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(TOOLS_ROW):
            cell = line[len(TOOLS_ROW) :].rstrip(" |")
            return [t.strip() for t in cell.split(",") if t.strip()]
    return []


def header(backends: Sequence[Backend], tools: Sequence[str]) -> str:
    postgres = next((b for b in backends if b.kind == "postgresql"), None)
    pg_text = "not used" if postgres is None else postgres.version
    if postgres is not None and postgres.skip:
        pg_text += f" ({postgres.skip})"
    lines = [
        "# Benchmarks",
        "",
        "Written by `cityioc bench --write BENCHMARKS.md` (`make bench`); do not edit by hand.",
        "Every figure is measured beside a reference in the same run, on the machine below;",
        "the server runs as its own process (`cityioc serve`) on a fresh database, and the load",
        "comes from separate processes over 127.0.0.1. `cityioc bench --only NAME` re-measures",
        "one section and keeps the others (each section says when it was measured).",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {_cpu_model()}, {os.cpu_count()} cores |",
        f"| memory | {_memory_gib():.1f} GiB |",
        f"| Python | {platform.python_version()} ({platform.system()} {platform.release()}) |",
        f"| SQLite | {sqlite3.sqlite_version} |",
        f"| PostgreSQL | {pg_text} |",
        f"{TOOLS_ROW}{', '.join(tools) or 'Python load generator'} |",
        f"| last run | {now_text()}, commit {commit()} |",
    ]
    return "\n".join(lines)

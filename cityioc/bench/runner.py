"""``cityioc bench``: run the benchmarks, print each section, optionally update BENCHMARKS.md."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cityioc.bench import (
    aggregate,
    backfill,
    ingest,
    mqtt,
    notify,
    patch,
    query,
    rules,
    rules_live,
    size,
    ui,
)
from cityioc.bench.context import FULL, QUICK, Context
from cityioc.bench.databases import detect_backends, scratch_dir
from cityioc.bench.machine import commit, header, now_text, tools_recorded
from cityioc.bench.report import Section, render_section, update_file

BENCHMARKS: dict[str, Callable[[Context], Section]] = {
    ingest.NAME: ingest.run,
    patch.NAME: patch.run,
    aggregate.NAME: aggregate.run,
    query.NAME: query.run,
    size.NAME: size.run,
    notify.NAME: notify.run,
    mqtt.NAME: mqtt.run,
    backfill.NAME: backfill.run,
    rules.NAME: rules.run,
    rules_live.NAME: rules_live.run,
    ui.NAME: ui.run,
}


def run_benchmarks(
    write: Path | None, *, only: str | None = None, quick: bool = False
) -> list[Section]:
    """Run the benchmarks whose name contains ``only`` (all by default); return their sections.

    ``quick`` uses tiny sizes (for the smoke test) and, unless told otherwise by
    ``CITYIOC_BENCH_BACKENDS``, SQLite only. The file is written only when ``write`` is given.
    """
    names = [n for n in BENCHMARKS if only is None or only in n]
    if not names:
        raise SystemExit(f"no benchmark matches {only!r} (benchmarks: {', '.join(BENCHMARKS)})")
    default = "sqlite" if quick else "sqlite,postgresql"
    wanted = os.environ.get("CITYIOC_BENCH_BACKENDS", default).split(",")
    backends = detect_backends([w.strip() for w in wanted])
    sections = []
    sha = commit()
    with scratch_dir() as workdir:
        ctx = Context(QUICK if quick else FULL, backends, workdir, quick)
        for name in names:
            started = time.monotonic()
            # Other work on the machine skews the figures: record how busy it was.
            stamp = f"{now_text()}, commit {sha}, load average {os.getloadavg()[0]:.2f} at start"
            print(f"[bench] {name} …", file=sys.stderr, flush=True)
            # In-process sections must not pay for the garbage of the ones before them: a full
            # collection of a big heap stalls the measured code (the rules section ran at 60 %
            # of its standalone rate after the notification and MQTT sections).
            gc.collect()
            section = BENCHMARKS[name](ctx)
            section.stamp = stamp
            sections.append(section)
            print(render_section(section) + "\n", flush=True)
            print(f"[bench] {name} took {time.monotonic() - started:.0f} s", file=sys.stderr)
        if write is not None:
            tools = list(dict.fromkeys([*tools_recorded(write), *ctx.tools_used()]))
            update_file(write, header(backends, tools), list(BENCHMARKS), sections)
            print(f"[bench] wrote {write}", file=sys.stderr)
    return sections

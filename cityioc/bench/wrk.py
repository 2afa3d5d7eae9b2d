"""Drive the server with ``wrk`` when a Python client cannot saturate it (small requests).

The benchmark supplies a Lua script with ``init``/``request``; this module appends a ``done`` that
prints one parseable summary line, runs wrk for a fixed time against 127.0.0.1, and parses it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cityioc.bench.server import HOST

_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d errors=%d p50_us=%d p95_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95)))
end
"""
_LINE = re.compile(r"BENCH requests=(\d+) duration_us=(\d+) errors=(\d+) p50_us=(\d+) p95_us=(\d+)")


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds > 0 else 0.0


def find_wrk(allow_install: bool) -> tuple[str | None, str]:
    """The wrk binary, installing the Debian package if allowed and root; else (None, why)."""
    found = shutil.which("wrk")
    if found:
        return found, ""
    if not allow_install:
        return None, "wrk is not installed"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None, "wrk is not installed and cannot be installed here (needs root and apt-get)"
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        capture_output=True,
        timeout=300,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("wrk")
    if found:
        return found, ""
    tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
    return None, f"installing wrk failed ({' '.join(tail) or done.returncode})"


def run_wrk(
    binary: str,
    port: int,
    script: str,
    workdir: Path,
    *,
    seconds: float,
    threads: int,
    connections: int,
    args: list[str],
) -> WrkResult:
    path = workdir / "bench.lua"
    path.write_text(script + _DONE)
    command = [
        binary,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
    ]
    command += ["--timeout", "30s", "-s", str(path), f"http://{HOST}:{port}/", "--", *args]
    done = subprocess.run(command, capture_output=True, timeout=seconds + 120, check=False)
    text = done.stdout.decode(errors="replace")
    match = _LINE.search(text)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {text[-500:]} {done.stderr[-500:]!r}")
    requests, duration_us, errors, p50, p95 = (int(g) for g in match.groups())
    return WrkResult(requests, duration_us / 1e6, errors, p50 / 1000, p95 / 1000)

"""Where the time goes: sample the running server with py-spy and rank frames by own time.

Used only when a target is missed. py-spy attaches to the server's pid while the benchmark's load
is replayed, so the profile is of the same server under the same load (idle threads excluded).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Frame:
    name: str  # "function (file:line)" as py-spy prints it
    samples: int
    share: float  # of all non-idle samples


@dataclass(slots=True)
class Profile:
    label: str
    samples: int = 0
    frames: list[Frame] = field(default_factory=list)
    note: str = ""  # why there is no profile, if there is none


def find_py_spy(allow_install: bool) -> tuple[str | None, str]:
    """py-spy beside this Python (installed into the venv with pip if allowed), else (None, why)."""
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found or not allow_install:
        return found, "" if found else "py-spy is not installed"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "py-spy"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if beside.exists():
        return str(beside), ""
    tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
    return None, f"installing py-spy failed ({' '.join(tail) or done.returncode})"


class Recording:
    """``py-spy record`` attached to ``pid`` for ``seconds``; ``finish`` parses what it wrote."""

    def __init__(self, py_spy: str, pid: int, seconds: float, workdir: Path, label: str) -> None:
        self.label = label
        self.seconds = seconds
        self.out = workdir / f"profile-{pid}-{label.replace(' ', '_')}.txt"
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds)))]
        # Non-blocking: the process is not paused per sample, which also keeps py-spy's idle
        # detection right (paused, a thread blocked on a queue was counted as busy).
        command += ["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(self.out)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self, top: int = 15) -> Profile:
        try:
            _, err = self.proc.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=10)
            return Profile(self.label, note="py-spy did not finish in time")
        if not self.out.exists():
            reason = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            return Profile(self.label, note=f"py-spy failed: {reason[0]}")
        total, frames = top_frames(self.out.read_text(errors="replace"), top)
        return Profile(self.label, total, frames)


def top_frames(collapsed: str, top: int = 15) -> tuple[int, list[Frame]]:
    """Rank the leaf frames of collapsed stacks (``a;b;c 12`` per line) by their samples."""
    own: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        own[stack.rsplit(";", 1)[-1]] += int(count)
    total = sum(own.values())
    frames = [Frame(name, n, n / total) for name, n in own.most_common(top)] if total else []
    return total, frames

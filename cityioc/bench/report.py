"""The figures as Markdown, and ``BENCHMARKS.md`` updated section by section.

Each benchmark is one section between ``<!-- bench:NAME -->`` markers, so ``--only NAME`` replaces
its own section and keeps the others; the header (machine, date, commit) is rewritten every time and
each section records when and at which commit it was measured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cityioc.bench.profiling import Profile


@dataclass(frozen=True, slots=True)
class Target:
    value: float
    at_least: bool  # True: figure >= value; False: figure <= value

    def met(self, figure: float) -> bool:
        return figure >= self.value if self.at_least else figure <= self.value


@dataclass(slots=True)
class Row:
    backend: str
    figure: float | None  # None: not run
    unit: str  # "readings/s", "updates/s", "ms", "B"
    target: Target | None = None
    reference_label: str = ""
    reference: float | None = None
    ratio_target: Target | None = None  # on figure / reference
    ratio_percent: bool = True  # show the ratio as a percentage (else as "×")
    what: str = ""  # a sub-figure of the benchmark, e.g. "samples alone"
    note: str = ""  # "not run: …", or a caveat about the figure

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.reference:
            return None
        return self.figure / self.reference

    def target_met(self) -> bool | None:
        return None if self.figure is None or self.target is None else self.target.met(self.figure)

    def ratio_met(self) -> bool | None:
        ratio = self.ratio
        return None if ratio is None or self.ratio_target is None else self.ratio_target.met(ratio)

    def missed(self) -> bool:
        return self.target_met() is False or self.ratio_met() is False


@dataclass(slots=True)
class Section:
    name: str
    title: str
    method: str  # how it is measured, one paragraph
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # further figures, one bullet each
    profiles: list[Profile] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # further Markdown blocks (e.g. size breakdown)
    stamp: str = ""  # "2026-11-25 10:00 UTC, commit abc1234"


def number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.2f} ms" if value < 10 else f"{value:,.1f} ms"
    if unit == "B":
        return f"{value:,.1f} B"
    return f"{value:,.0f} {unit}"


def _target_text(target: Target | None, unit: str) -> str:
    if target is None:
        return "—"
    return ("≥ " if target.at_least else "≤ ") + number(target.value, unit)


def _ratio_text(row: Row) -> str:
    ratio = row.ratio
    if ratio is None:
        return "—"
    text = f"{ratio * 100:.1f} %" if row.ratio_percent else f"{ratio:,.2f}×"
    if row.ratio_target is not None:
        sign = "≥ " if row.ratio_target.at_least else "≤ "
        goal = row.ratio_target.value
        text += f" (target {sign}{goal * 100:.0f} %)" if row.ratio_percent else f" ({sign}{goal}×)"
    return text


def _yes_no(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "**NO**"


def render_section(section: Section) -> str:
    out = [f"<!-- bench:{section.name} -->", f"## {section.title}", ""]
    if section.stamp:
        out += [f"_Measured {section.stamp}._", ""]
    out += [section.method, ""]
    out += [
        "| backend | figure | target | met? | reference | ratio | ratio met? |",
        "|---|---:|---:|:-:|---|---:|:-:|",
    ]
    for row in section.rows:
        name = f"{row.backend}: {row.what}" if row.what else row.backend
        if row.figure is None:
            out.append(
                f"| {name} | {row.note or 'not run'} | {_target_text(row.target, row.unit)}"
                " | — | — | — | — |"
            )
            continue
        reference = "—"
        if row.reference is not None:
            reference = f"{number(row.reference, row.unit)} ({row.reference_label})"
        out.append(
            f"| {name} | {number(row.figure, row.unit)} | {_target_text(row.target, row.unit)}"
            f" | {_yes_no(row.target_met())} | {reference} | {_ratio_text(row)}"
            f" | {_yes_no(row.ratio_met())} |"
        )
    notes = [f"- {row.backend}: {row.note}" for row in section.rows if row.figure and row.note]
    missed = [row for row in section.rows if row.missed()]
    out.append("")
    if missed:
        out += [
            "**Target not met:** "
            + "; ".join(f"{r.backend}{' ' + r.what if r.what else ''}" for r in missed)
            + ". "
            + (
                "Where the time goes is shown below."
                if section.profiles
                else "The breakdown below shows where it goes."
                if section.extra
                else "No profile was taken (quick run)."
            ),
            "",
        ]
    out += [f"- {line}" for line in section.details] + notes
    if section.details or notes:
        out.append("")
    for block in section.extra:
        out += [block, ""]
    for profile in section.profiles:
        out += [*_render_profile(profile), ""]
    out.append(f"<!-- /bench:{section.name} -->")
    return "\n".join(out)


def _render_profile(profile: Profile) -> list[str]:
    title = f"**Where the time goes: {profile.label}**"
    if not profile.frames:
        return [f"{title}: no profile ({profile.note or 'no samples'})."]
    out = [
        f"{title} (py-spy on the server process, {profile.samples:,} non-idle samples at 200 Hz;"
        f" top {len(profile.frames)} frames by own time; `Runner.run` is the event loop's own C"
        " code (uvloop, HTTP parsing) and `<lambda> (<string>:1)` a NamedTuple being built):",
        "",
        "| own % | frame |",
        "|---:|---|",
    ]
    out += [f"| {f.share * 100:.1f} | `{f.name}` |" for f in profile.frames]
    return out


_SECTION = re.compile(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", re.DOTALL)


def update_file(path: Path, header: str, order: Sequence[str], sections: Sequence[Section]) -> None:
    """Rewrite the header, replace the sections that ran, keep the others as they were."""
    kept: dict[str, str] = {}
    if path.exists():
        kept = {m.group(1): m.group(0) for m in _SECTION.finditer(path.read_text())}
    for section in sections:
        kept[section.name] = render_section(section)
    names = [n for n in order if n in kept] + [n for n in kept if n not in order]
    path.write_text(header.rstrip() + "\n\n" + "\n\n".join(kept[n] for n in names) + "\n")

"""What an import did (or, in a dry run, would do): the same report for the CLI and HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityioc.core.clock import iso_ms
from cityioc.hub.context import core_context
from cityioc.hub.readings import Reading
from cityioc.ingest.import_problems import Problem

MAX_IDS = 1000  # entity ids listed per kind in a report; the counts are always complete


@dataclass(slots=True)
class SeriesSummary:
    count: int = 0
    start: int | None = None
    end: int | None = None

    def add(self, t: int) -> None:
        self.count += 1
        self.start = t if self.start is None or t < self.start else self.start
        self.end = t if self.end is None or t > self.end else self.end

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "from": None if self.start is None else iso_ms(self.start),
            "to": None if self.end is None else iso_ms(self.end),
        }


@dataclass(slots=True)
class ImportReport:
    file: str
    format: str
    dry_run: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    readings: dict[str, SeriesSummary] = field(default_factory=dict)  # by attribute (short name)
    empty_cells: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        if self.problems:
            return "rejected"
        return "dry-run" if self.dry_run else "imported"

    def count_readings(self, readings: list[Reading]) -> None:
        compact = core_context().compact_iri
        names: dict[str, str] = {}
        for r in readings:
            name = names.get(r.attr) or names.setdefault(r.attr, compact(r.attr))
            self.readings.setdefault(name, SeriesSummary()).add(r.t)

    def total_readings(self) -> SeriesSummary:
        total = SeriesSummary()
        for s in self.readings.values():
            total.count += s.count
            for t in (s.start, s.end):
                if t is not None:
                    total.start = t if total.start is None else min(total.start, t)
                    total.end = t if total.end is None else max(total.end, t)
        return total

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "dryRun": self.dry_run,
            "status": self.status,
            "rows": self.rows,
            "entities": {
                "created": len(self.created),
                "updated": len(self.updated),
                "unchanged": len(self.unchanged),
                "createdIds": self.created[:MAX_IDS],
                "updatedIds": self.updated[:MAX_IDS],
            },
            "readings": {
                **self.total_readings().as_json(),
                "byAttribute": {name: s.as_json() for name, s in sorted(self.readings.items())},
            },
            "emptyCells": self.empty_cells,
            "problems": [p.as_json() for p in self.problems],
        }

"""``load_pack(hub, pack, actor)``: write a validated pack into the hub, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cityioc.packs.pack import Pack
from cityioc.packs.registry import LoadContext, sections
from cityioc.packs.writer import EntityWriter, SyncCounts

if TYPE_CHECKING:
    from cityioc.hub.service import Hub

LOADED = "loaded"
ABSENT = "absent"
NOT_LOADED = "not loaded yet (module not installed)"


@dataclass(slots=True)
class SectionReport:
    status: str  # LOADED, ABSENT or NOT_LOADED
    counts: SyncCounts = field(default_factory=SyncCounts)


@dataclass(slots=True)
class LoadReport:
    pack: str
    version: str
    actor: str
    sections: dict[str, SectionReport] = field(default_factory=dict)

    @property
    def totals(self) -> SyncCounts:
        out = SyncCounts()
        for report in self.sections.values():
            out += report.counts
        return out

    def summary(self) -> str:
        """One line for the log: totals, entities per loaded section, the sections left out."""
        t = self.totals
        loaded = [
            f"{name} {r.counts.created + r.counts.updated + r.counts.unchanged + r.counts.kept}"
            for name, r in self.sections.items()
            if r.status == LOADED
        ]
        absent = [name for name, r in self.sections.items() if r.status != LOADED]
        return (
            f"{self.pack} {self.version}: {t.created} created, {t.updated} updated,"
            f" {t.unchanged} unchanged, {t.kept} kept (edited since) — {', '.join(loaded)}"
            + (f"; not in the pack or not loaded: {', '.join(absent)}" if absent else "")
        )


def pack_actor(pack: Pack) -> str:
    return f"pack:{pack.name}"


async def load_pack(
    hub: Hub, pack: Pack, actor: str | None = None, tenant: str = "default"
) -> LoadReport:
    """Write ``pack`` through ``hub`` as ``actor`` (default ``pack:<name>``).

    Loading the same pack again changes nothing (entities compare equal and are skipped).
    Raises PackError when the hub refuses an entity (named by its file and line).
    """
    actor = actor or pack_actor(pack)
    ctx = LoadContext(hub, tenant, actor, pack, EntityWriter(hub, tenant, actor))
    report = LoadReport(pack.name, pack.version, actor)
    for section in sections():
        if section.name not in pack.data:
            report.sections[section.name] = SectionReport(ABSENT)
        elif section.load is None:
            report.sections[section.name] = SectionReport(NOT_LOADED)
        else:
            counts = await section.load(ctx, pack.data[section.name])
            report.sections[section.name] = SectionReport(LOADED, counts)
    return report

"""A validated pack: its folder, its manifest and each section's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityioc.packs.areas import AreaIndex
from cityioc.packs.fleet import Fleet
from cityioc.packs.models import Agency, Category, Manifest


@dataclass(frozen=True, slots=True)
class Pack:
    root: Path
    manifest: Manifest
    data: Mapping[str, Any]  # section name → parsed data, for the sections the pack has

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    def section(self, name: str) -> Any | None:
        return self.data.get(name)

    @property
    def areas(self) -> AreaIndex:
        found = self.data.get("areas")
        return found if isinstance(found, AreaIndex) else AreaIndex([], self.manifest.timezone)

    @property
    def agencies(self) -> list[Agency]:
        return list(self.data.get("agencies") or [])

    @property
    def categories(self) -> list[Category]:
        return list(self.data.get("categories") or [])

    @property
    def fleet(self) -> Fleet:
        found = self.data.get("sensors")
        return found if isinstance(found, Fleet) else Fleet()

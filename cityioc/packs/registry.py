"""The section registry: what a pack may contain, and who validates and loads each part.

The pack core registers its own sections (areas, agencies, categories, sensors) and placeholders
for the sections other modules own (rules, sops, indicators, projects, partners). A module plugs
in by adding ``cityioc/<module>/pack_sections.py`` that calls ``register_section`` at import: its
section replaces the placeholder of the same name, and nothing in the pack core changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cityioc.packs.models import Manifest
from cityioc.packs.problems import Problems
from cityioc.packs.sources import CsvTable, Marked, read_csv, read_json, read_yaml

if TYPE_CHECKING:
    from cityioc.hub.service import Hub
    from cityioc.packs.pack import Pack
    from cityioc.packs.writer import EntityWriter, SyncCounts

PLUGIN_MODULE = "pack_sections"


@dataclass(slots=True)
class ParseContext:
    """What a section's parser gets: the pack folder, its manifest, earlier sections' data."""

    root: Path
    manifest: Manifest
    problems: Problems
    parsed: Mapping[str, Any]  # name → data of the sections parsed before this one

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    def yaml(self, name: str) -> Marked | None:
        return read_yaml(self.root, name, self.problems)

    def json(self, name: str) -> Marked | None:
        return read_json(self.root, name, self.problems)

    def csv(self, name: str) -> CsvTable | None:
        return read_csv(self.root, name, self.problems)


@dataclass(slots=True)
class LoadContext:
    """What a section's loader gets: write entities through ``writer`` (idempotent, attributed)."""

    hub: Hub
    tenant: str
    actor: str
    pack: Pack
    writer: EntityWriter


Parser = Callable[[ParseContext], Any]
Loader = Callable[[LoadContext, Any], Awaitable["SyncCounts"]]
Checker = Callable[[ParseContext, Any], None]  # cross-references, once every section is parsed
Summary = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    files: tuple[str, ...]  # the section is present when one of these exists in the pack
    parse: Parser  # returns the section's data; reports problems on ctx.problems
    load: Loader | None = None  # None: validated only ("not loaded yet")
    check: Checker | None = None
    required: bool = False
    reserved: bool = False  # a placeholder until its module registers the real section
    summary: Summary | None = None  # e.g. "480 sensors", for the CLI
    order: int = 100  # parse and load order: the core's sections come first (10–40)
    owner: str = field(default="cityioc.packs")


_SECTIONS: dict[str, Section] = {}
_STATE = {"ready": False}  # the core and plugin modules are imported once, on first use


def register_section(section: Section) -> None:
    """Add a section, or replace the placeholder of the same name (one real owner per name)."""
    existing = _SECTIONS.get(section.name)
    if existing is not None and not existing.reserved:
        if section.reserved:
            return  # the real section came first: keep it
        if existing.owner != section.owner:
            raise ValueError(f"pack section {section.name!r} is already owned by {existing.owner}")
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    """Every section, in parse and load order (the core's first)."""
    _ensure_ready()
    return sorted(_SECTIONS.values(), key=lambda s: s.order)  # stable: ties keep their order


def _ensure_ready() -> None:
    if _STATE["ready"]:
        return
    _STATE["ready"] = True
    import cityioc.packs.core_sections
    import cityioc.packs.reserved  # noqa: F401  (both register on import)

    for module in _plugin_modules():
        importlib.import_module(module)


def _plugin_modules() -> list[str]:
    """``cityioc.<module>.pack_sections`` for every module that has one (found by file)."""
    import cityioc

    base = Path(cityioc.__file__).parent
    found = sorted(p.parent.name for p in base.glob(f"*/{PLUGIN_MODULE}.py"))
    return [f"cityioc.{name}.{PLUGIN_MODULE}" for name in found if name != "packs"]

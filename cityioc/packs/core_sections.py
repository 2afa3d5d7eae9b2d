"""The pack core's own sections: areas, agencies, categories, sensors (registered on import)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cityioc.packs import entities as ent
from cityioc.packs.agencies_section import (
    AGENCIES,
    CATEGORIES,
    check_agencies,
    check_categories,
    parse_agencies,
    parse_categories,
)
from cityioc.packs.areas import AreaIndex
from cityioc.packs.areas_section import AREAS_CSV, BOUNDARIES, parse_areas
from cityioc.packs.fleet import Fleet
from cityioc.packs.fleet_section import FILES as FLEET_FILES
from cityioc.packs.fleet_section import LINES, ROADS, parse_fleet
from cityioc.packs.registry import LoadContext, Section, register_section
from cityioc.packs.writer import SyncCounts


async def _load_areas(ctx: LoadContext, index: AreaIndex) -> SyncCounts:
    provider = ctx.pack.manifest.data_provider
    return await ctx.writer.sync([ent.area_entity(a, provider, AREAS_CSV) for a in index.areas])


async def _load_agencies(ctx: LoadContext, agencies: list[Any]) -> SyncCounts:
    provider = ctx.pack.manifest.data_provider
    desired = [ent.agency_entity(a, provider, AGENCIES) for a in agencies]
    return await ctx.writer.sync(desired, keep_edited=True)  # the admin API edits agencies


async def _load_categories(ctx: LoadContext, categories: list[Any]) -> SyncCounts:
    return await ctx.writer.sync([ent.category_entity(c, CATEGORIES) for c in categories])


async def _load_fleet(ctx: LoadContext, fleet: Fleet) -> SyncCounts:
    provider, areas = ctx.pack.manifest.data_provider, ctx.pack.areas
    desired = [ent.road_entity(r, provider, ROADS) for r in fleet.roads]
    desired += [ent.group_entity(g, areas, provider, LINES) for g in fleet.groups]
    desired += [ent.sensor_entity(s, areas, provider) for s in fleet.sensors]
    return await ctx.writer.sync(desired)


def _areas_summary(index: AreaIndex) -> str:
    levels = Counter(a.level for a in index.areas)
    return f"{len(index)} areas ({', '.join(f'{n} {lvl}' for lvl, n in levels.items())})"


register_section(
    Section(
        "areas",
        (AREAS_CSV, BOUNDARIES),
        parse_areas,
        _load_areas,
        required=True,
        summary=_areas_summary,
        order=10,
    )
)
register_section(
    Section(
        "agencies",
        (AGENCIES,),
        parse_agencies,
        _load_agencies,
        check=check_agencies,
        summary=lambda data: f"{len(data)} agencies",
        order=20,
    )
)
register_section(
    Section(
        "categories",
        (CATEGORIES,),
        parse_categories,
        _load_categories,
        check=check_categories,
        summary=lambda data: f"{len(data)} report categories",
        order=30,
    )
)
register_section(
    Section(
        "sensors",
        FLEET_FILES,
        parse_fleet,
        _load_fleet,
        summary=lambda fleet: fleet.summary(),
        order=40,
    )
)

"""Entity queries: NGSI-LD query parameters → a store query plus the exact checks done in Python."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from cityioc.core.errors import BadRequestData, TooManyResults
from cityioc.hub.geoquery import GeoQuery, parse_geoquery
from cityioc.hub.models import StoredEntity
from cityioc.hub.qlang import QExpr, compile_predicate, parse_q, to_postgres, to_sqlite
from cityioc.store.names import LOCATION
from cityioc.store.port import EntityQuery, SqlFilter, Store

# Above this many candidates a geo-query without other filters must page on the server side.
MAX_GEO_CANDIDATES = 200_000
GEO_CHUNK = 500  # candidates decoded per round trip


@dataclass(frozen=True, slots=True)
class QueryParams:
    types: tuple[str, ...] = ()  # expanded
    ids: tuple[str, ...] = ()
    id_pattern: str | None = None
    attrs: tuple[str, ...] = ()  # expanded
    q: str | None = None
    georel: str | None = None
    geometry: str | None = None
    coordinates: str | None = None
    geoproperty: str | None = None  # expanded
    limit: int = 20
    offset: int = 0
    count: bool = False


def check_paging(limit: int, offset: int, max_limit: int) -> None:
    if limit < 0 or offset < 0:
        raise BadRequestData("limit and offset must not be negative")
    if limit > max_limit:
        raise TooManyResults(f"limit {limit} is above the maximum page size of {max_limit}")


async def run_query(
    store: Store, tenant: str, params: QueryParams, resolve: Callable[[str], str]
) -> tuple[list[StoredEntity], int | None]:
    if not (
        params.types or params.ids or params.id_pattern or params.attrs or params.q or params.georel
    ):
        raise BadRequestData("give at least one of type, id, idPattern, attrs, q or a geo-query")
    if params.id_pattern is not None:
        _check_pattern(params.id_pattern)
    geo = parse_geoquery(params.georel, params.geometry, params.coordinates, params.geoproperty)
    expr = parse_q(params.q) if params.q else None
    if geo is None:
        where = _to_sql(expr, resolve, store.backend) if expr is not None else None
        return await store.query_entities(
            tenant,
            EntityQuery(
                types=params.types,
                ids=params.ids,
                id_pattern=params.id_pattern,
                attrs_any=params.attrs,
                where=where,
                limit=params.limit,
                offset=params.offset,
                count=params.count,
            ),
        )
    # Geo-queries: the database narrows by bounding box and the exact geometry test runs here on
    # the few candidates. `q` runs in PostgreSQL (one jsonpath call per row is cheap there) but
    # here for SQLite, where a compiled predicate beats its JSON functions several times over.
    prop = params.geoproperty or LOCATION
    in_sql = expr is not None and store.backend != "sqlite"
    candidates = EntityQuery(
        types=params.types,
        ids=params.ids,
        id_pattern=params.id_pattern,
        attrs_any=params.attrs,
        where=_to_sql(expr, resolve, store.backend) if in_sql and expr is not None else None,
        bbox=geo.prefilter_bbox() if prop == LOCATION else None,
        limit=GEO_CHUNK,
    )
    predicate = compile_predicate(expr, resolve) if expr is not None and not in_sql else None
    # Without count, stop as soon as the page is full: most candidates are never decoded.
    wanted = None if params.count else params.offset + params.limit
    matched: list[StoredEntity] = []
    for offset in range(0, MAX_GEO_CANDIDATES, GEO_CHUNK):
        chunk, _ = await store.query_entities(tenant, replace(candidates, offset=offset))
        kept = chunk if predicate is None else [e for e in chunk if predicate(e.doc)]
        matched += _geo_filter(kept, geo, prop)
        if len(chunk) < GEO_CHUNK or (wanted is not None and len(matched) >= wanted):
            break
    page = matched[params.offset : params.offset + params.limit]
    return page, len(matched) if params.count else None


def _check_pattern(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as err:
        raise BadRequestData(f"idPattern is not a valid regular expression: {err}") from err


def _to_sql(expr: QExpr, resolve: Callable[[str], str], backend: str) -> SqlFilter:
    compile_fn = to_sqlite if backend == "sqlite" else to_postgres
    sql, params = compile_fn(expr, resolve, "e.doc")
    return SqlFilter(sql, tuple(params))


def _geo_filter(entities: Collection[StoredEntity], geo: GeoQuery, prop: str) -> list[StoredEntity]:
    out = []
    for entity in entities:
        attr = entity.doc.get(prop)
        inst = attr[0] if isinstance(attr, list) and attr else attr
        if (
            isinstance(inst, dict)
            and isinstance(inst.get("value"), dict)
            and geo.matches(inst["value"])
        ):
            out.append(entity)
    return out

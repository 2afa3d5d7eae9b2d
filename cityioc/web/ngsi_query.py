"""Entity selection shared by the NGSI-LD query endpoints: query-string parameters or a ``Query``
body (``POST …/entityOperations/query``) → ``QueryParams``, with the public's type restriction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends

from cityioc.core.errors import BadRequestData, Forbidden
from cityioc.hub.query import QueryParams, check_paging
from cityioc.web.ngsi_http import Call, split_list


def _types_for(call: Call, requested: list[str]) -> tuple[str, ...]:
    ctx, settings = call.context, call.city.settings
    types = tuple(ctx.expand_type(t) for t in requested)
    if call.principal.is_public:
        public = {ctx.expand_type(t) for t in settings.public_types}
        types = tuple(t for t in types if t in public) if types else tuple(sorted(public))
        if not types:
            raise Forbidden("these entity types are not public; use an API key")
    return types


@dataclass
class Selection:
    """Which entities a query selects: the query parameters every NGSI-LD query shares."""

    id: str | None = None
    idPattern: str | None = None
    type: str | None = None
    q: str | None = None
    georel: str | None = None
    geometry: str | None = None
    coordinates: str | None = None
    geoproperty: str | None = None
    limit: int | None = None
    offset: int = 0
    count: bool = False


Selected = Annotated[Selection, Depends()]


def query_params(call: Call, sel: Selection, attrs: str | None = None) -> QueryParams:
    settings = call.city.settings
    page = settings.default_page_size if sel.limit is None else sel.limit
    check_paging(page, sel.offset, settings.max_page_size)
    ctx = call.context
    return QueryParams(
        types=_types_for(call, split_list(sel.type)),
        ids=tuple(split_list(sel.id)),
        id_pattern=sel.idPattern,
        attrs=tuple(ctx.expand_term(a) for a in split_list(attrs)),
        q=sel.q,
        georel=sel.georel,
        geometry=sel.geometry,
        coordinates=sel.coordinates,
        geoproperty=ctx.expand_term(sel.geoproperty) if sel.geoproperty else None,
        limit=page,
        offset=sel.offset,
        count=sel.count,
    )


def query_params_from_body(
    call: Call, body: Any, *, limit: int | None, offset: int, count: bool
) -> tuple[QueryParams, dict[str, Any]]:
    """A NGSI-LD ``Query`` object; also returns its ``temporalQ`` (empty if none)."""
    if not isinstance(body, dict) or body.get("type", "Query") != "Query":
        raise BadRequestData('the body must be a NGSI-LD Query object ({"type": "Query", …})')
    selectors = body.get("entities") or []
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        raise BadRequestData("'entities' must be a list of {type, id, idPattern} selectors")
    types = [t for s in selectors for t in _as_list(s.get("type"))]
    ids = [i for s in selectors for i in _as_list(s.get("id"))]
    patterns = [s["idPattern"] for s in selectors if isinstance(s.get("idPattern"), str)]
    geo = body.get("geoQ") or {}
    if not isinstance(geo, dict):
        raise BadRequestData("'geoQ' must be an object")
    coordinates = geo.get("coordinates")
    temporal = body.get("temporalQ") or {}
    if not isinstance(temporal, dict):
        raise BadRequestData("'temporalQ' must be an object")
    attrs = body.get("attrs")
    selection = Selection(
        id=",".join(ids) or None,
        idPattern=patterns[0] if patterns else None,
        type=",".join(types) or None,
        q=body.get("q") if isinstance(body.get("q"), str) else None,
        georel=geo.get("georel"),
        geometry=geo.get("geometry"),
        coordinates=orjson.dumps(coordinates).decode() if coordinates is not None else None,
        geoproperty=geo.get("geoproperty"),
        limit=limit,
        offset=offset,
        count=count,
    )
    params = query_params(call, selection, ",".join(attrs) if isinstance(attrs, list) else None)
    return params, temporal


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise BadRequestData("entity selector members must be strings")
    return list(values)

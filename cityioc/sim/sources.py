"""Where the fleet comes from: the hub in this process, a server over HTTP, or a file.

Any of them yields NGSI-LD entities with core-context names; ``Fleet.from_entities`` keeps the
simulated types and ignores everything else, so the simulator works for any city pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from cityioc.hub.context import core_context
from cityioc.hub.render import View, render
from cityioc.sim.fleet import SIM_TYPES
from cityioc.store.port import EntityQuery, Store


async def entities_from_store(
    store: Store, tenant: str, types: Sequence[str] = SIM_TYPES
) -> list[dict[str, Any]]:
    """Entities of the types, keyValues with compact names (what ``options=keyValues`` gives)."""
    core = core_context()
    view = View(form="keyValues")
    out = []
    for kind in types:
        # One query per type: paging by offset costs O(offset) a page, too slow at 100,000.
        found, _ = await store.query_entities(
            tenant, EntityQuery(types=(core.expand_type(kind),), limit=None)
        )
        out += [core.compact_entity_keys(render(e, view), key_values=True) for e in found]
    return out


def entities_from_file(path: Path) -> list[dict[str, Any]]:
    """A JSON array of entities, or NDJSON (one entity per line, as ``cityioc export`` writes)."""
    raw = path.read_bytes()
    stripped = raw.lstrip()
    if stripped.startswith(b"["):
        found = orjson.loads(stripped)
        return [e for e in found if isinstance(e, dict)]
    return [orjson.loads(line) for line in raw.splitlines() if line.strip()]

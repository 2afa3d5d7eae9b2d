"""Private state of modules: a JSON value per (module, tenant, key) — ``Store.module_state``.

For what a module keeps for itself and no client reads as an entity: the rule engine's durations
and last values, SLA timers. Values are plain JSON (orjson types); writes are batched upserts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple, Protocol


class StateItem(NamedTuple):
    tenant: str
    key: str
    value: Any
    updated_at: int


class ModuleStateStore(Protocol):
    async def state_get_many(
        self, module: str, tenant: str, keys: Collection[str]
    ) -> dict[str, Any]:
        """The values of the keys that exist."""

    async def state_put_many(
        self, module: str, tenant: str, items: Mapping[str, Any], at: int
    ) -> None:
        """Insert or replace, in one transaction."""

    async def state_delete(self, module: str, tenant: str, keys: Collection[str]) -> int:
        """Returns how many keys existed."""

    async def state_list(
        self, module: str, tenant: str | None = None, prefix: str = ""
    ) -> list[StateItem]:
        """Every item of the module (of one tenant, under a key prefix), ordered by tenant, key."""

    async def state_lease(self, module: str, key: str, owner: str, now: int, until: int) -> bool:
        """Take or extend the lease ``key`` (tenant ``""``) for ``owner`` up to ``until``, when it
        is free, expired at ``now`` or already ``owner``'s: one atomic statement, so that of
        several processes asking at once exactly one holds it. True when ``owner`` holds it."""


def lease_value(owner: str, until: int) -> dict[str, Any]:
    return {"owner": owner, "until": until}


class MemoryModuleState:
    """Module state in memory: for the benchmark reference store (``NullStore``)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], tuple[Any, int]] = {}

    async def state_get_many(
        self, module: str, tenant: str, keys: Collection[str]
    ) -> dict[str, Any]:
        found = ((k, self._items.get((module, tenant, k))) for k in keys)
        return {k: item[0] for k, item in found if item is not None}

    async def state_put_many(
        self, module: str, tenant: str, items: Mapping[str, Any], at: int
    ) -> None:
        for key, value in items.items():
            self._items[(module, tenant, key)] = (value, at)

    async def state_delete(self, module: str, tenant: str, keys: Collection[str]) -> int:
        return sum(self._items.pop((module, tenant, k), None) is not None for k in keys)

    async def state_list(
        self, module: str, tenant: str | None = None, prefix: str = ""
    ) -> list[StateItem]:
        return [
            StateItem(t, k, value, at)
            for (m, t, k), (value, at) in sorted(self._items.items())
            if m == module and tenant in (None, t) and k.startswith(prefix)
        ]

    async def state_lease(self, module: str, key: str, owner: str, now: int, until: int) -> bool:
        held = self._items.get((module, "", key))
        if held is not None and held[0]["until"] > now and held[0]["owner"] != owner:
            return False
        self._items[(module, "", key)] = (lease_value(owner, until), now)
        return True

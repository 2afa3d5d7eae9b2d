"""The rule engine's memory, kept in ``store.module_state`` so that durations survive a restart.

Per (tenant, rule, source): the evaluator's state (``s|<rule>|<source>`` → {"v": rule version,
"s": state}) and the last alert raised (``a|<rule>|<source>`` → [alert id, active]). State of an
older version of a rule is dropped on load. Persisting writes only what changed since the last
time (compared as encoded JSON), in one batch per tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from cityioc.alerts.rules.compiled import CompiledRule
from cityioc.alerts.rules.machine import State
from cityioc.store.port import Store

MODULE = "alerts"
TENANTS = "alerts-tenants"  # the tenants the engine has seen: one key per tenant


@dataclass(slots=True)
class TenantMemory:
    states: dict[str, dict[str, State]] = field(default_factory=dict)  # rule id → source → state
    alerts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # → [id, active]

    def rule_states(self, rule_id: str) -> dict[str, State]:
        return self.states.setdefault(rule_id, {})


class EngineMemory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.tenants: dict[str, TenantMemory] = {}
        self._written: dict[tuple[str, str], bytes] = {}

    def of(self, tenant: str) -> TenantMemory:
        return self.tenants.setdefault(tenant, TenantMemory())

    async def known_tenants(self) -> list[str]:
        items = await self.store.module_state.state_list(TENANTS)
        return sorted({"default", *(i.tenant for i in items)})

    async def remember_tenant(self, tenant: str, now: int) -> None:
        await self.store.module_state.state_put_many(TENANTS, tenant, {"seen": True}, now)

    async def load(self, tenant: str, rules: Iterable[CompiledRule]) -> None:
        """Read a tenant's memory back (rules of another version start afresh)."""
        versions = {r.id: r.version for r in rules}
        memory = TenantMemory()
        for item in await self.store.module_state.state_list(MODULE, tenant):
            kind, _, rest = item.key.partition("|")
            rule_id, _, source = rest.partition("|")
            self._written[(tenant, item.key)] = orjson.dumps(item.value)
            if kind == "s" and versions.get(rule_id) == item.value.get("v"):
                memory.rule_states(rule_id)[source] = item.value["s"]
            elif kind == "a" and rule_id in versions:
                memory.alerts[(rule_id, source)] = list(item.value)
        self.tenants[tenant] = memory

    def forget_rules(self, tenant: str, keep: Iterable[CompiledRule]) -> None:
        """Drop the state of rules that are gone or changed (their alert ids are kept)."""
        memory = self.of(tenant)
        versions = {r.id: r.version for r in keep}
        for rule_id in list(memory.states):
            if rule_id not in versions:
                del memory.states[rule_id]

    async def persist(self, now: int, versions: dict[str, dict[str, str]]) -> int:
        """Write what changed; ``versions`` is tenant → rule id → version. Returns rows written."""
        written = 0
        for tenant, memory in self.tenants.items():
            current: dict[str, Any] = {}
            for rule_id, states in memory.states.items():
                version = versions.get(tenant, {}).get(rule_id)
                if version is None:
                    continue
                for source, state in states.items():
                    current[f"s|{rule_id}|{source}"] = {"v": version, "s": state}
            for (rule_id, source), ref in memory.alerts.items():
                current[f"a|{rule_id}|{source}"] = ref
            changed = {}
            for key, value in current.items():
                encoded = orjson.dumps(value)
                if self._written.get((tenant, key)) != encoded:
                    changed[key] = value
                    self._written[(tenant, key)] = encoded
            gone = [k for (t, k) in self._written if t == tenant and k not in current]
            await self.store.module_state.state_put_many(MODULE, tenant, changed, now)
            if gone:
                await self.store.module_state.state_delete(MODULE, tenant, gone)
                for key in gone:
                    del self._written[(tenant, key)]
            written += len(changed) + len(gone)
        return written

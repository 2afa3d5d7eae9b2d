"""The rule engine's memory, kept in ``store.module_state`` so that durations survive a restart.

Per (tenant, rule, source): the evaluator's state (``s|<rule>|<source>`` → {"v": rule version,
"s": state}) and the last alert raised (``a|<rule>|<source>`` → [alert id, active]). State of an
older version of a rule is dropped on load. Per series that rate rules watch, the last reading
(``l|<attribute>|<entity>`` → [time, value]), shared by those rules.

Persisting looks only at what the engine touched since the last time (``touch``; a rule changed or
removed counts as all of its sources), writes what differs from what was written (compared as
encoded JSON) and deletes what is gone. It is split in two so that the engine holds its lock only
for the quick part: ``collect`` (encode the touched states) and ``write`` (in chunks, so that other
writes get their turn between them).
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
WRITE_CHUNK = 500  # rows per write: a big persist must not hold the database writer long

# (kind "s"/"a", rule id, source), ("l", attribute, entity) or ("o", attribute set, entity)
Touched = set[tuple[str, str, str]]


SHARED_KINDS = ("l", "o")  # kept per series or entity, not per rule


def seen_key(attrs: tuple[str, ...]) -> str:
    """The key of an attribute set in ``TenantMemory.seen`` (empty: every attribute)."""
    return " ".join(attrs)


@dataclass(slots=True)
class TenantMemory:
    states: dict[str, dict[str, State]] = field(default_factory=dict)  # rule id → source → state
    alerts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # → [id, active]
    lasts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # (attr, entity) →
    # The latest observedAt per (attribute set, entity): shared by the missing-data rules
    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    touched: Touched = field(default_factory=set)  # changed since the last collect
    rules_touched: set[str] = field(default_factory=set)  # rules dropped or changed: every key

    def rule_states(self, rule_id: str) -> dict[str, State]:
        return self.states.setdefault(rule_id, {})

    def touch(self, rule_id: str, source: str) -> None:
        self.touched.add(("s", rule_id, source))

    def set_last(self, attr: str, entity: str, reading: list[Any]) -> None:
        self.lasts[(attr, entity)] = reading
        self.touched.add(("l", attr, entity))

    def set_seen(self, attrs: str, entity: str, t: int) -> None:
        """Keep the later of ``t`` and what was seen (``attrs``: the set's key, ``seen_key``)."""
        key = (attrs, entity)
        before = self.seen.get(key)
        if before is None or t > before:
            self.seen[key] = t
            self.touched.add(("o", attrs, entity))

    def set_alert(self, rule_id: str, source: str, ref: list[Any]) -> None:
        self.alerts[(rule_id, source)] = ref
        self.touched.add(("a", rule_id, source))


@dataclass(slots=True)
class Collected:
    """What one persist writes for one tenant: rows to put and keys to delete."""

    tenant: str
    put: dict[str, Any]
    gone: list[str]


class EngineMemory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.tenants: dict[str, TenantMemory] = {}
        # tenant → key → what was last written (encoded), so unchanged states are not rewritten
        self._written: dict[str, dict[str, bytes]] = {}

    def of(self, tenant: str) -> TenantMemory:
        found = self.tenants.get(tenant)
        if found is None:
            found = self.tenants[tenant] = TenantMemory()
        return found

    async def known_tenants(self) -> list[str]:
        items = await self.store.module_state.state_list(TENANTS)
        return sorted({"default", *(i.tenant for i in items)})

    async def remember_tenant(self, tenant: str, now: int) -> None:
        await self.store.module_state.state_put_many(TENANTS, tenant, {"seen": True}, now)

    async def load(self, tenant: str, rules: Iterable[CompiledRule]) -> None:
        """Read a tenant's memory back (rules of another version start afresh)."""
        versions = {r.id: r.version for r in rules}
        memory = TenantMemory()
        written = self._written.setdefault(tenant, {})
        for item in await self.store.module_state.state_list(MODULE, tenant):
            kind, _, rest = item.key.partition("|")
            rule_id, _, source = rest.partition("|")
            written[item.key] = orjson.dumps(item.value)
            if kind == "s" and versions.get(rule_id) == item.value.get("v"):
                memory.rule_states(rule_id)[source] = item.value["s"]
            elif kind == "a" and rule_id in versions:
                memory.alerts[(rule_id, source)] = list(item.value)
            elif kind == "l":
                memory.lasts[(rule_id, source)] = list(item.value)
            elif kind == "o" and isinstance(item.value, int):
                memory.seen[(rule_id, source)] = item.value
        # What was not taken back (older versions, removed rules) is deleted at the next persist.
        memory.rules_touched = {
            k.split("|", 2)[1] for k in written if k.split("|", 1)[0] not in SHARED_KINDS
        }
        self.tenants[tenant] = memory

    def forget_rules(self, tenant: str, keep: Iterable[CompiledRule]) -> None:
        """Drop the state of rules that are gone (their alert ids are kept)."""
        memory = self.of(tenant)
        versions = {r.id: r.version for r in keep}
        for rule_id in list(memory.states):
            if rule_id not in versions:
                del memory.states[rule_id]
                memory.rules_touched.add(rule_id)

    def drop_rule_states(self, tenant: str, rule_id: str) -> None:
        """A rule changed: its state starts afresh."""
        memory = self.of(tenant)
        memory.states.pop(rule_id, None)
        memory.rules_touched.add(rule_id)

    def collect(self, versions: dict[str, dict[str, str]]) -> list[Collected]:
        """Encode what was touched since the last time (``versions``: tenant → rule id →
        version); what it returns is taken as written (``write`` puts it back if it fails)."""
        out = []
        for tenant, memory in self.tenants.items():
            written = self._written.setdefault(tenant, {})
            known = versions.get(tenant, {})
            keys: Touched = memory.touched
            memory.touched = set()
            if memory.rules_touched:
                keys |= _keys_of_rules(memory, written, memory.rules_touched)
                memory.rules_touched = set()
            put: dict[str, Any] = {}
            gone: list[str] = []
            for kind, rule_id, source in keys:
                key = f"{kind}|{rule_id}|{source}"
                value = _current(memory, known, kind, rule_id, source)
                if value is None:
                    if written.pop(key, None) is not None:
                        gone.append(key)
                    continue
                encoded = orjson.dumps(value)
                if written.get(key) != encoded:
                    written[key] = encoded
                    put[key] = value
            if put or gone:
                out.append(Collected(tenant, put, gone))
        return out

    async def write(self, collected: list[Collected], now: int) -> int:
        """Write what ``collect`` returned, in chunks. Returns rows written."""
        rows = 0
        for part in collected:
            try:
                items = list(part.put.items())
                for start in range(0, len(items), WRITE_CHUNK):
                    chunk = dict(items[start : start + WRITE_CHUNK])
                    await self.store.module_state.state_put_many(MODULE, part.tenant, chunk, now)
                for start in range(0, len(part.gone), WRITE_CHUNK):
                    chunk_keys = part.gone[start : start + WRITE_CHUNK]
                    await self.store.module_state.state_delete(MODULE, part.tenant, chunk_keys)
            except BaseException:
                self._retry(part)
                raise
            rows += len(part.put) + len(part.gone)
        return rows

    async def persist(self, now: int, versions: dict[str, dict[str, str]]) -> int:
        """``collect`` and ``write`` at once (at stop, and in tests)."""
        return await self.write(self.collect(versions), now)

    def _retry(self, part: Collected) -> None:
        """A write failed: forget that these rows were written, so the next persist tries again."""
        written = self._written.setdefault(part.tenant, {})
        memory = self.of(part.tenant)
        for key in [*part.put, *part.gone]:
            written.pop(key, None)
            kind, _, rest = key.partition("|")
            rule_id, _, source = rest.partition("|")
            memory.touched.add((kind, rule_id, source))


def _current(
    memory: TenantMemory, versions: dict[str, str], kind: str, rule_id: str, source: str
) -> Any:
    """The value to keep under a key now, or None when nothing is to be kept."""
    if kind == "a":
        return memory.alerts.get((rule_id, source))
    if kind == "l":
        return memory.lasts.get((rule_id, source))
    if kind == "o":
        return memory.seen.get((rule_id, source))
    version = versions.get(rule_id)
    state = memory.states.get(rule_id, {}).get(source)
    if version is None or state is None:
        return None
    return {"v": version, "s": state}


def _keys_of_rules(memory: TenantMemory, written: dict[str, bytes], rules: set[str]) -> Touched:
    """Every key of these rules: written before, or held now."""
    keys: Touched = set()
    for key in written:
        kind, rule_id, source = key.split("|", 2)
        if kind not in SHARED_KINDS and rule_id in rules:
            keys.add((kind, rule_id, source))
    for rule_id in rules:
        keys.update(("s", rule_id, source) for source in memory.states.get(rule_id, {}))
    keys.update(("a", r, s) for (r, s) in memory.alerts if r in rules)
    return keys

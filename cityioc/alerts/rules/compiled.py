"""A validated rule made ready to run: expanded names, compiled conditions, its evaluator."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import orjson

from cityioc.alerts.rules.conditions import current_value, expand, observed_at
from cityioc.alerts.rules.model import RuleBase, rule_document
from cityioc.core.clock import parse_datetime_ms
from cityioc.core.text import fold
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity

if TYPE_CHECKING:
    from cityioc.alerts.rules.machine import State

SignalKind = Literal["fire", "repeat", "update", "clear"]
RULE_PREFIX = "urn:ngsi-ld:AlertRule:"
NAME = expand("name")
AREA_SERVED = expand("areaServed")


@dataclass(slots=True)
class Signal:
    """What an evaluator decided about one source of one rule."""

    what: SignalKind
    rule: CompiledRule
    source: str  # an entity id, a group id, "fleet:…", "cluster:…"
    at: int  # epoch ms: the data time (or the clock for time-based kinds)
    entity: StoredEntity | None = None  # the entity that made it happen, for the alert's content
    facts: dict[str, Any] = field(default_factory=dict)  # values for the title and description
    extra: dict[str, Any] = field(default_factory=dict)  # more alert attributes (short names)


class RuleContext(Protocol):
    """What an evaluator gets from the engine: its rule's state per source, and a way out."""

    rule: CompiledRule

    def state(self, source: str) -> State: ...
    def states(self) -> Mapping[str, State]: ...
    def touch(self, source: str) -> None: ...  # a state reached through ``states`` changed
    # The reading of ``attr`` before the change being evaluated: (time, value), kept by the
    # engine once per series for every rate rule of the type (None: none before it).
    def previous(self, attr: str) -> tuple[int, float] | None: ...
    # The attributes the change being evaluated touched (None: unknown, maybe any).
    def changed(self) -> set[str] | None: ...
    # The latest observedAt among ``attrs`` of the entity (``last_observed``), shared by its rules
    def last_observed(self, entity: StoredEntity, attrs: tuple[str, ...]) -> int: ...
    # The latest observedAt of ``attrs`` per entity, kept once for every missing-data rule
    def observe(self, attrs: tuple[str, ...], source: str, t: int) -> None: ...
    def seen(self, attrs: tuple[str, ...], source: str) -> int | None: ...
    def drop(self, source: str) -> None: ...
    def emit(self, signal: Signal) -> None: ...


class Evaluator(Protocol):
    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None: ...
    def on_tick(self, ctx: RuleContext, now: int) -> None: ...
    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None: ...


@dataclass(slots=True)
class CompiledRule:
    tenant: str
    rule: RuleBase
    version: str  # changes with the document: state of another version is discarded
    types: frozenset[str]  # expanded
    areas: tuple[str, ...]  # folded
    ids: frozenset[str]
    reads: tuple[str, ...]  # the expanded attributes whose observedAt is the reading's time
    evaluator: Evaluator
    mentions: tuple[str, ...] = ()  # every attribute its conditions name (for the alert's text)
    # The expanded attributes whose change can move its evaluator (None: any change can):
    # a write known to change only other attributes skips the rule.
    triggers: frozenset[str] | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def urn(self) -> str:
        return RULE_PREFIX + self.rule.id

    @property
    def kind(self) -> str:
        return str(getattr(self.rule, "kind", ""))

    def moved_by(self, changed: set[str] | None) -> bool:
        """Whether a change of ``changed`` (None: unknown) may move this rule."""
        return changed is None or self.triggers is None or not self.triggers.isdisjoint(changed)

    def in_scope(self, entity: StoredEntity) -> bool:
        if self.ids and entity.id not in self.ids:
            return False
        if self.types and not any(t in self.types for t in entity.types):
            return False
        if self.areas:
            area = current_value(entity.doc, AREA_SERVED)
            return isinstance(area, str) and fold(area) in self.areas
        return True

    def signal(
        self,
        what: SignalKind,
        source: str,
        at: int,
        entity: StoredEntity | None = None,
        facts: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Signal:
        base = entity_facts(entity, self.mentions or self.reads) if entity is not None else {}
        return Signal(what, self, source, at, entity, {**base, **(facts or {})}, dict(extra or {}))

    def reading_time(self, entity: StoredEntity, now: int) -> int:
        """When the values the rule reads were observed (the latest), else the write time."""
        latest = None
        for attr in self.reads:
            at = observed_at(entity.doc, attr)
            if at is not None and (latest is None or at > latest):
                latest = at
        if latest is None:
            return entity.modified_at or now
        try:
            return parse_datetime_ms(latest)
        except ValueError:
            return entity.modified_at or now


def rule_version(rule: RuleBase) -> str:
    doc = rule_document(rule)
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def entity_facts(entity: StoredEntity, attrs: Iterable[str]) -> dict[str, Any]:
    """Template values of an entity: id, name, areaServed and the attributes the rule reads."""
    core = core_context()
    facts: dict[str, Any] = {"id": entity.id, "source": entity.id}
    name = current_value(entity.doc, NAME)
    facts["name"] = name if isinstance(name, str) else entity.id.rsplit(":", 1)[-1]
    area = current_value(entity.doc, AREA_SERVED)
    facts["areaServed"] = area if isinstance(area, str) else ""
    for attr in attrs:
        value = current_value(entity.doc, attr)
        if value is not None:
            facts[core.compact_iri(attr)] = round(value, 2) if isinstance(value, float) else value
    return facts

"""What one rule's evaluator sees of the engine (``RuleContext``): its state per source, the
change being evaluated, and a way out for its signals. Every state it reaches for, drops or
signals about is marked as touched, for the engine's next persist (engine_state.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cityioc.alerts.engine_state import TenantMemory, seen_key
from cityioc.alerts.rules.compiled import CompiledRule, Signal
from cityioc.alerts.rules.evaluators_time import last_observed
from cityioc.alerts.rules.machine import State
from cityioc.hub.models import StoredEntity


@dataclass(slots=True)
class CurrentChange:
    """The change the engine is evaluating: the readings before it, per rate attribute, and the
    attributes it touched (None: unknown, maybe any)."""

    previous: dict[str, tuple[int, float] | None] = field(default_factory=dict)
    changed: set[str] | None = None
    # The latest observedAt per attribute set, worked out once per entity for all its rules
    observed_of: StoredEntity | None = None
    observed: dict[tuple[str, ...], int] = field(default_factory=dict)

    def begin(self, changed: set[str] | None) -> None:
        """A new change (or read) is evaluated: what was worked out for the last one is gone."""
        self.changed = changed
        self.observed_of = None

    def last_observed(self, entity: StoredEntity, attrs: tuple[str, ...]) -> int:
        if self.observed_of is not entity:  # held, so its id cannot be reused meanwhile
            self.observed_of = entity
            self.observed.clear()
        seen = self.observed.get(attrs)
        if seen is None:
            seen = self.observed[attrs] = last_observed(entity, attrs, self.changed)
        return seen


class EngineContext:
    def __init__(
        self,
        rule: CompiledRule,
        memory: TenantMemory,
        current: CurrentChange,
        emit: Callable[[Signal], None],
    ) -> None:
        self.rule, self._memory, self._current, self._emit = rule, memory, current, emit
        self._states = memory.rule_states(rule.id)

    def state(self, source: str) -> State:
        self.touch(source)
        return self._states.setdefault(source, {})

    def states(self) -> dict[str, State]:
        return self._states

    def touch(self, source: str) -> None:
        self._memory.touched.add(("s", self.rule.id, source))

    def drop(self, source: str) -> None:
        self.touch(source)
        self._states.pop(source, None)

    def emit(self, signal: Signal) -> None:
        self.touch(signal.source)
        self._emit(signal)

    def previous(self, attr: str) -> tuple[int, float] | None:
        return self._current.previous.get(attr)

    def changed(self) -> set[str] | None:
        return self._current.changed

    def last_observed(self, entity: StoredEntity, attrs: tuple[str, ...]) -> int:
        return self._current.last_observed(entity, attrs)

    def observe(self, attrs: tuple[str, ...], source: str, t: int) -> None:
        self._memory.set_seen(seen_key(attrs), source, t)

    def seen(self, attrs: tuple[str, ...], source: str) -> int | None:
        return self._memory.seen.get((seen_key(attrs), source))

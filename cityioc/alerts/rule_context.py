"""What one rule's evaluator sees of the engine (``RuleContext``): its state per source, the
change being evaluated, and a way out for its signals. Every state it reaches for, drops or
signals about is marked as touched, for the engine's next persist (engine_state.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cityioc.alerts.engine_state import TenantMemory
from cityioc.alerts.rules.compiled import CompiledRule, Signal
from cityioc.alerts.rules.machine import State


@dataclass(slots=True)
class CurrentChange:
    """The change the engine is evaluating: the readings before it, per rate attribute, and the
    attributes it touched (None: unknown, maybe any)."""

    previous: dict[str, tuple[int, float] | None] = field(default_factory=dict)
    changed: set[str] | None = None


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

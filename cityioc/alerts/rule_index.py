"""Which of a type's rules an entity change must meet: the rule engine's index.

Most rules of a large rule book are quiet thresholds: numeric conditions on attributes
(``pm25 > 300``, or a few under ``all``/``any``) that do not hold. Evaluating such a rule while it
is idle and its condition is false changes nothing worth keeping, so the index *screens* them: per
attribute, the thresholds are sorted and a value finds the rules whose condition may hold with a
bisection. A screened rule is evaluated only then, or while it is pending or firing for that
entity (the engine tells the index which: ``active``), so that it can clear. Every other rule
(other kinds, ``not``, equality, thresholds taken from the entity) is met on every change, those
scoped to an area only by entities of that area.

The one difference an idle screened rule makes: it does not record the time of a reading that
leaves it idle, so an out-of-order older reading that holds can start it pending (then a newer
reading that does not hold returns it to idle, as before).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from cityioc.alerts.rules.compiled import AREA_SERVED, CompiledRule
from cityioc.alerts.rules.conditions import current_value, expand
from cityioc.alerts.rules.model import AttrRef, Condition, RateRule, ThresholdRule
from cityioc.core.text import fold
from cityioc.hub.models import StoredEntity

ABOVE = (">", ">=")
BELOW = ("<", "<=")


@dataclass(slots=True)
class Thresholds:
    """The screened rules on one attribute: ``x > t`` / ``x >= t`` and ``x < t`` / ``x <= t``."""

    above: list[float] = field(default_factory=list)  # sorted thresholds …
    above_rules: list[tuple[bool, CompiledRule]] = field(default_factory=list)  # … (strict, rule)
    below: list[float] = field(default_factory=list)
    below_rules: list[tuple[bool, CompiledRule]] = field(default_factory=list)

    def add(self, op: str, value: float, rule: CompiledRule) -> None:
        keys, rules = (
            (self.above, self.above_rules) if op in ABOVE else (self.below, self.below_rules)
        )
        at = bisect.bisect_right(keys, value)
        keys.insert(at, value)
        rules.insert(at, (op in (">", "<"), rule))

    def holding(self, value: float, out: list[CompiledRule]) -> None:
        """Append the rules whose condition holds for ``value``."""
        above, below = self.above, self.below
        if above and value >= above[0]:  # most values hold no threshold: skip the bisections
            first = bisect.bisect_left(above, value)  # above[:first] < value: all hold
            out.extend(rule for _, rule in self.above_rules[:first])
            i = first
            while i < len(above) and above[i] == value:  # equal: ">=" holds, ">" does not
                strict, rule = self.above_rules[i]
                if not strict:
                    out.append(rule)
                i += 1
        if below and value <= below[-1]:
            last = bisect.bisect_right(below, value)  # below[last:] > value: all hold
            out.extend(rule for _, rule in self.below_rules[last:])
            i = last - 1
            while i >= 0 and below[i] == value:  # equal: "<=" holds, "<" does not
                strict, rule = self.below_rules[i]
                if not strict:
                    out.append(rule)
                i -= 1


Leaf = tuple[str, str, float]  # (expanded attribute, op, numeric threshold)


def screenable(rule: CompiledRule) -> list[Leaf] | None:
    """The conditions to screen a rule by, else None (the rule is met on every change).

    One condition: itself. ``all``: one of its conditions (the others cannot make it hold if
    that one does not). ``any``: each of them, when every one is a plain numeric condition.
    """
    r = rule.rule
    if not isinstance(r, ThresholdRule) or r.group is not None:
        return None
    when = r.when
    if when.all is not None:
        leaves = [leaf for c in when.all if (leaf := _leaf(c)) is not None]
        return leaves[:1] or None
    if when.any is not None:
        found = [_leaf(c) for c in when.any]
        return [leaf for leaf in found if leaf is not None] if None not in found else None
    leaf = _leaf(when)
    return [leaf] if leaf is not None else None


def _leaf(cond: Condition) -> Leaf | None:
    if cond.attribute is None or cond.op not in (*ABOVE, *BELOW):
        return None
    value = cond.value
    if isinstance(value, AttrRef | bool) or not isinstance(value, int | float):
        return None
    return expand(cond.attribute), cond.op, float(value)


@dataclass(slots=True)
class TypeIndex:
    """The rules of one entity type."""

    always: list[CompiledRule] = field(default_factory=list)  # met by every change
    by_area: dict[str, list[CompiledRule]] = field(default_factory=dict)  # folded area →
    screens: dict[str, Thresholds] = field(default_factory=dict)  # expanded attribute →
    # Rate rules per expanded attribute, screened by their threshold per millisecond
    rates: dict[str, Thresholds] = field(default_factory=dict)
    screened: dict[str, CompiledRule] = field(default_factory=dict)  # rule id →

    @classmethod
    def of(cls, rules: list[CompiledRule]) -> TypeIndex:
        index = cls()
        by_area: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule in rules:
            r = rule.rule
            if isinstance(r, RateRule):
                thresholds = index.rates.setdefault(expand(r.attribute), Thresholds())
                thresholds.add(r.op, r.value / r.per, rule)
                index.screened[rule.id] = rule
                continue
            found = screenable(rule)
            if found is not None:
                for attr, op, value in found:
                    index.screens.setdefault(attr, Thresholds()).add(op, value, rule)
                index.screened[rule.id] = rule
            elif rule.areas:
                for area in rule.areas:
                    by_area[area].append(rule)
            else:
                index.always.append(rule)
        index.by_area = dict(by_area)
        return index

    def candidates(
        self,
        entity: StoredEntity,
        active: set[str] | None,
        out: list[CompiledRule],
        rates: dict[str, float] | None = None,
    ) -> None:
        """Append the rules this change must meet (``in_scope`` still decides for each).
        ``rates``: the change's rate per millisecond of each attribute that has one."""
        out.extend(self.always)
        if self.by_area:
            area = current_value(entity.doc, AREA_SERVED)
            if isinstance(area, str):
                out.extend(self.by_area.get(fold(area), ()))
        start = len(out)
        for attr, thresholds in self.screens.items():
            value = current_value(entity.doc, attr)
            if isinstance(value, int | float) and not isinstance(value, bool):
                thresholds.holding(value, out)
        for attr, rate in (rates or {}).items():
            found = self.rates.get(attr)
            if found is not None:
                found.holding(rate, out)
        if active or len(out) - start > 1:  # an ``any`` may hold twice; active ones once
            chosen = {r.id: r for r in out[start:]}
            for rid in active or ():
                if rid in self.screened:
                    chosen.setdefault(rid, self.screened[rid])
            del out[start:]
            out.extend(chosen.values())

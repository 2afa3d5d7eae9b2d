"""Validated rules → runnable ones: names expanded once, conditions compiled, evaluator chosen."""

from __future__ import annotations

from cityioc.alerts.rules.compiled import CompiledRule, Evaluator, rule_version
from cityioc.alerts.rules.conditions import compile_condition, expand
from cityioc.alerts.rules.evaluators import AqiCategory, Geofence, Grouped, Rate, Threshold
from cityioc.alerts.rules.evaluators_time import Combination, Count, Missing
from cityioc.alerts.rules.model import (
    AqiRule,
    CombinationRule,
    CountRule,
    GeofenceRule,
    MissingRule,
    RateRule,
    RuleBase,
    ThresholdRule,
)
from cityioc.core.text import fold
from cityioc.hub.context import core_context


def compile_rule(tenant: str, rule: RuleBase) -> CompiledRule:
    core = core_context()
    return CompiledRule(
        tenant=tenant,
        rule=rule,
        version=rule_version(rule),
        types=frozenset(core.expand_type(t) for t in rule.scope.types),
        areas=tuple(fold(a) for a in rule.scope.areas),
        ids=frozenset(rule.scope.ids),
        reads=tuple(expand(a) for a in sorted(_reads(rule))),
        evaluator=_evaluator(rule),
        mentions=tuple(expand(a) for a in sorted(_mentions(rule))),
        triggers=_triggers(rule),
    )


def _triggers(rule: RuleBase) -> frozenset[str] | None:
    """What can move the rule: its attributes (thresholds taken from the entity and the grouping
    relationship included); None for kinds that react to any change."""
    if isinstance(rule, CombinationRule):
        return frozenset()  # moved by other rules' signals, never by a change
    if isinstance(rule, MissingRule | CountRule) and not _reads(rule):
        return None  # any update counts / any change of a scoped entity is an event
    names = _mentions(rule)
    if isinstance(rule, ThresholdRule) and rule.group is not None:
        names = names | {rule.group.by}
    if isinstance(rule, CountRule):
        names = names | {"location"}
    return frozenset(expand(a) for a in names)


def _mentions(rule: RuleBase) -> set[str]:
    """Every attribute the rule's conditions name, thresholds taken from the entity included:
    the values an alert's text may show (``{alertLevel}``)."""
    if isinstance(rule, ThresholdRule):
        return rule.when.attributes() | (rule.clear.attributes() if rule.clear else set())
    return _reads(rule)


def _reads(rule: RuleBase) -> set[str]:
    if isinstance(rule, ThresholdRule):
        found = rule.when.attributes() | (rule.clear.attributes() if rule.clear else set())
        # The threshold attributes (alertLevel) are static: the reading's time is the others'.
        return {a for a in found if not _is_reference(rule, a)} or found
    if isinstance(rule, RateRule):
        return {rule.attribute}
    if isinstance(rule, AqiRule):
        return {"airQualityIndex"}
    if isinstance(rule, GeofenceRule):
        return {"location"}
    if isinstance(rule, CountRule):
        return rule.when.attributes() if rule.when else set()
    if isinstance(rule, MissingRule):
        return set(rule.attributes)
    return set()


def _is_reference(rule: ThresholdRule, attr: str) -> bool:
    text = rule.model_dump_json(by_alias=True)
    return f'"value":{{"attribute":"{attr}"' in text


def _evaluator(rule: RuleBase) -> Evaluator:
    if isinstance(rule, ThresholdRule):
        when = compile_condition(rule.when)
        if rule.group is not None:
            return Grouped(when, rule.group, rule.for_, rule.clear_for, expand(rule.group.by))
        clear = compile_condition(rule.clear) if rule.clear else None
        return Threshold(when, clear, rule.for_, rule.clear_for)
    if isinstance(rule, RateRule):
        return Rate(rule)
    if isinstance(rule, AqiRule):
        return AqiCategory(rule)
    if isinstance(rule, GeofenceRule):
        return Geofence(rule)
    if isinstance(rule, MissingRule):
        return Missing(rule)
    if isinstance(rule, CountRule):
        return Count(rule, compile_condition(rule.when) if rule.when else None)
    if isinstance(rule, CombinationRule):
        return Combination(rule)
    raise TypeError(f"no evaluator for {type(rule).__name__}")

"""Conditions compiled against stored entities (expanded names), with three-valued logic.

A leaf whose attribute (or threshold attribute) is absent, or whose values cannot be compared, is
*unknown* (None): it neither fires a rule nor clears it. ``all``/``any``/``not`` follow Kleene's
logic, so a reading that lacks one attribute never clears an alert by accident.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from cityioc.alerts.rules.model import AttrRef, Condition
from cityioc.hub.attributes import instances
from cityioc.hub.context import core_context
from cityioc.hub.models import AttributeValue

Doc = Mapping[str, AttributeValue]
Predicate = Callable[[Doc], bool | None]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def expand(name: str) -> str:
    return core_context().expand_term(name)


def default_instance(doc: Doc, attr: str) -> dict[str, Any] | None:
    """The attribute's default instance (no datasetId), or None."""
    found = doc.get(attr)
    if type(found) is dict:  # one instance: the common case, without building a list
        return None if found.get("datasetId") else found
    if found is None:
        return None
    for inst in instances(found):
        if not inst.get("datasetId"):
            return inst
    return None


def current_value(doc: Doc, attr: str) -> Any:
    """The value of the attribute's default instance (no datasetId), or None."""
    chosen = default_instance(doc, attr)
    if chosen is None:
        return None
    kind = chosen.get("type")
    if kind == "Property":
        return chosen.get("value")
    if kind == "Relationship":
        return chosen.get("object")
    if kind == "LanguageProperty":
        return chosen.get("languageMap")
    return chosen.get("value")


def observed_at(doc: Doc, attr: str) -> str | None:
    chosen = default_instance(doc, attr)
    at = chosen.get("observedAt") if chosen is not None else None
    return at if isinstance(at, str) else None


def compile_condition(cond: Condition) -> Predicate:
    if cond.all is not None:
        parts = [compile_condition(c) for c in cond.all]
        return lambda doc: _all(p(doc) for p in parts)
    if cond.any is not None:
        parts = [compile_condition(c) for c in cond.any]
        return lambda doc: _any(p(doc) for p in parts)
    if cond.not_ is not None:
        inner = compile_condition(cond.not_)

        def negate(doc: Doc) -> bool | None:
            found = inner(doc)
            return None if found is None else not found

        return negate
    assert cond.attribute is not None and cond.op is not None
    return _leaf(expand(cond.attribute), cond.op, cond.value)


def _leaf(attr: str, op: str, value: Any) -> Predicate:
    if op == "exists":
        return lambda doc: attr in doc
    threshold = _threshold(value)

    def test(doc: Doc) -> bool | None:
        actual = current_value(doc, attr)
        wanted = threshold(doc)
        if actual is None or wanted is None:
            return None
        return compare(actual, op, wanted)

    return test


def _threshold(value: Any) -> Callable[[Doc], Any]:
    if isinstance(value, AttrRef):
        attr, offset, scale = expand(value.attribute), value.offset, value.scale

        def from_entity(doc: Doc) -> Any:
            found = current_value(doc, attr)
            if not _is_number(found):
                return None
            return found * scale + offset

        return from_entity
    return lambda doc: value


def compare(actual: Any, op: str, wanted: Any) -> bool | None:
    if op == "in":
        return actual in wanted
    if op in ("==", "!="):
        if _is_number(actual) and _is_number(wanted):
            equal = float(actual) == float(wanted)
        else:
            equal = actual == wanted
        return equal if op == "==" else not equal
    if _is_number(actual) and _is_number(wanted):
        return _COMPARE[op](float(actual), float(wanted))
    if isinstance(actual, str) and isinstance(wanted, str):
        return _COMPARE[op](actual, wanted)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _all(values: Any) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def _any(values: Any) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False

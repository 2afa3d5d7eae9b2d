"""The NGSI-LD ``q`` syntax tree: immutable, hashable, and printable back to ``q`` text.

``str(expr)`` gives canonical ``q`` text that parses back to an equal tree, so a parsed query can be
stored (say in a subscription) in a normal form.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

# Members of an attribute object that a dotted path may name. They are stored under their short
# names, so they are never resolved through the @context, and they end a path (``attr.observedAt``).
MEMBERS = frozenset(
    {"observedAt", "createdAt", "modifiedAt", "unitCode", "datasetId", "value", "object"}
)


class Family(enum.Enum):
    """What a query value is compared against: JSON numbers, JSON strings or JSON booleans."""

    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"


class Kind(enum.Enum):
    NUMBER = "number"
    STRING = "string"
    DATETIME = "dateTime"
    DATE = "date"
    TIME = "time"
    URI = "uri"
    BOOLEAN = "boolean"

    @property
    def family(self) -> Family:
        if self is Kind.NUMBER:
            return Family.NUMBER
        if self is Kind.BOOLEAN:
            return Family.BOOLEAN
        # dateTime, date and time compare as text: stored date-times are canonical UTC ISO strings
        # with milliseconds (and the parser normalises dateTime literals to the same form), so text
        # order is chronological order.
        return Family.TEXT

    @property
    def ordered(self) -> bool:
        """May be used with ``> >= < <=`` and in ranges (the spec's ComparableValue)."""
        return self not in (Kind.URI, Kind.BOOLEAN)


class Op(enum.Enum):
    EQ = "=="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@dataclass(frozen=True, slots=True)
class Value:
    kind: Kind
    value: int | float | str | bool

    def __str__(self) -> str:
        if self.kind is Kind.STRING:
            return json.dumps(self.value, ensure_ascii=False)
        if self.kind is Kind.BOOLEAN:
            return "true" if self.value else "false"
        return repr(self.value) if isinstance(self.value, float) else str(self.value)


@dataclass(frozen=True, slots=True)
class Range:
    """``low..high``, both ends included; both ends are of the same kind."""

    low: Value
    high: Value

    def __str__(self) -> str:
        return f"{self.low}..{self.high}"


@dataclass(frozen=True, slots=True)
class ValueList:
    """``a,b,c``: with ``==`` equal to any of them, with ``!=`` equal to none."""

    items: tuple[Value, ...]

    def __str__(self) -> str:
        return ",".join(str(v) for v in self.items)


Operand = Value | Range | ValueList


@dataclass(frozen=True, slots=True)
class AttrPath:
    """``name.sub1.sub2[key1][key2]``: an attribute, then sub-attributes (or a final member such
    as ``observedAt``), then keys inside the compound value."""

    name: str
    subpath: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @property
    def member(self) -> str | None:
        """The attribute-object member the path ends with (``observedAt``…), if any."""
        if self.subpath and self.subpath[-1] in MEMBERS:
            return self.subpath[-1]
        return None

    @property
    def sub_attributes(self) -> tuple[str, ...]:
        return self.subpath[:-1] if self.member is not None else self.subpath

    def __str__(self) -> str:
        return ".".join((self.name, *self.subpath)) + "".join(f"[{k}]" for k in self.keys)


@dataclass(frozen=True, slots=True)
class Exists:
    """A bare path: the attribute (sub-attribute, member, key) is present."""

    path: AttrPath

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True, slots=True)
class Compare:
    path: AttrPath
    op: Op
    operand: Operand

    @property
    def negated(self) -> bool:
        """``!=`` is the negation of ``==`` on an attribute that is present."""
        return self.op is Op.NE

    @property
    def positive_op(self) -> Op:
        return Op.EQ if self.op is Op.NE else self.op

    def __str__(self) -> str:
        return f"{self.path}{self.op.value}{self.operand}"


@dataclass(frozen=True, slots=True)
class Match:
    """``~=`` (``negated``: ``!~=``): a regular expression searched anywhere in a string value."""

    path: AttrPath
    pattern: str
    negated: bool = False

    def __str__(self) -> str:
        quoted = self.pattern.replace('"', '\\"')
        return f'{self.path}{"!~=" if self.negated else "~="}"{quoted}"'


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[QExpr, ...]

    def __str__(self) -> str:
        return ";".join(f"({t})" if isinstance(t, Or) else str(t) for t in self.terms)


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[QExpr, ...]

    def __str__(self) -> str:
        return "|".join(str(t) for t in self.terms)


QExpr = Exists | Compare | Match | And | Or


def q_attribute_terms(expr: QExpr) -> set[str]:
    """The top-level attribute terms (unexpanded) the query mentions."""
    if isinstance(expr, And | Or):
        found: set[str] = set()
        for t in expr.terms:
            found |= q_attribute_terms(t)
        return found
    return {expr.path.name}

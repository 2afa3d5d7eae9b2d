"""The NGSI-LD query language ``q``: parse once, then evaluate in Python or translate to SQL."""

from cityioc.hub.qlang.ast import (
    And,
    AttrPath,
    Compare,
    Exists,
    Family,
    Kind,
    Match,
    Op,
    Or,
    QExpr,
    Range,
    Value,
    ValueList,
    q_attribute_terms,
)
from cityioc.hub.qlang.evaluate import Predicate, compile_predicate, evaluate
from cityioc.hub.qlang.parser import MAX_DEPTH, MAX_LENGTH, parse_q
from cityioc.hub.qlang.sql import register_sqlite_functions, to_postgres, to_sqlite

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "AttrPath",
    "Compare",
    "Exists",
    "Family",
    "Kind",
    "Match",
    "Op",
    "Or",
    "Predicate",
    "QExpr",
    "Range",
    "Value",
    "ValueList",
    "compile_predicate",
    "evaluate",
    "parse_q",
    "q_attribute_terms",
    "register_sqlite_functions",
    "to_postgres",
    "to_sqlite",
]

"""The NGSI-LD query language ``q``: parse once, then evaluate in Python or translate to SQL.

    expr = parse_q('pm25>50;status=="open"')        # BadRequestData / TooComplexQuery
    matches = compile_predicate(expr, resolve)       # then matches(doc) per entity
    sql, params = to_sqlite(expr, resolve)          # or to_postgres: a WHERE-clause expression

``resolve`` maps a query term to the stored (expanded) attribute name; members such as
``observedAt`` and keys in ``attr[key]`` are not resolved. SQLite connections need
``register_sqlite_functions(conn)`` for ``~=``.
"""

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

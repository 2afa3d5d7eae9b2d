"""``q`` text → syntax tree. The grammar is compiled once, at import; parsing is LALR with the
AST built by inline callbacks (no intermediate parse tree)."""

from __future__ import annotations

import json
import math
import re
import warnings
from datetime import UTC, date, datetime, time
from functools import lru_cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from cityioc.core.errors import BadRequestData, TooComplexQuery
from cityioc.hub.qlang.ast import (
    MEMBERS,
    And,
    AttrPath,
    Compare,
    Exists,
    Kind,
    Match,
    Op,
    Operand,
    Or,
    QExpr,
    Range,
    Value,
    ValueList,
)

MAX_LENGTH = 4096
MAX_DEPTH = 32
_INT64 = 2**63

# What each terminal is called in an error message.
_EXPECTED = {
    "NAME": "an attribute name",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_AND": "';'",
    "_OR": "'|'",
    "_DOT": "'.'",
    "_LSQB": "'['",
    "_RSQB": "']'",
    "KEY": "a key",
    "COMP_OP": "an operator (== != > >= < <=)",
    "MATCH_OP": "'~=' or '!~='",
    "VALUE": "a value",
    "REGEX": "a regular expression",
    "_DOTDOT": "'..'",
    "_COMMA": "','",
    "$END": "the end of the query",
}
_VALUE_TERMINALS = frozenset({"DATETIME", "DATE", "TIME", "NUMBER", "STRING", "URI", "WORD"})
_CATCH_ALL = frozenset({"KEY", "REGEX", "URI"})

_Located = tuple[Any, int]  # a transformer result with its 1-based position in the query


def _bad(message: str, pos: int, hint: str = "") -> BadRequestData:
    return BadRequestData(f"q: {message} at position {pos}" + (f"; {hint}" if hint else ""))


def _pos(token: Token) -> int:
    return (token.start_pos or 0) + 1


def _canonical_datetime(text: str, pos: int) -> str:
    """The stored form: UTC, milliseconds, ``Z`` (a date-time without a zone is UTC)."""
    try:
        dt = datetime.fromisoformat(text)
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _bad(f"invalid dateTime {text!r} ({exc})", pos) from None
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def _number(text: str, pos: int) -> int | float:
    try:
        if re.fullmatch(r"-?\d+", text):
            number: int | float = int(text)
            # Outside 64 bits a database cannot bind it as an integer; a float compares the same.
            return number if -_INT64 <= number < _INT64 else float(number)
        number = float(text)
    except ValueError:
        raise _bad(f"invalid number {text!r}", pos) from None
    if not math.isfinite(number):
        raise _bad(f"number {text!r} is out of range", pos)
    return number


def _value(token: Token) -> Value:
    text, pos = str(token), _pos(token)
    kind = token.type
    try:
        if kind == "DATETIME":
            return Value(Kind.DATETIME, _canonical_datetime(text, pos))
        if kind == "DATE":
            date.fromisoformat(text)
            return Value(Kind.DATE, text)
        if kind == "TIME":
            time.fromisoformat(text)
            return Value(Kind.TIME, text)
    except ValueError as exc:
        raise _bad(f"invalid {kind.lower()} {text!r} ({exc})", pos) from None
    if kind == "NUMBER":
        return Value(Kind.NUMBER, _number(text, pos))
    if kind == "STRING":
        try:
            return Value(Kind.STRING, json.loads(text, strict=False))
        except ValueError:
            raise _bad(f"invalid escape in string {text!r}", pos) from None
    if kind == "URI":
        return Value(Kind.URI, text)
    if text in ("true", "false"):
        return Value(Kind.BOOLEAN, text == "true")
    raise _bad(f"unquoted string {text!r}", pos, f'quote strings, e.g. "{text}"')


def _regex_text(token: Token) -> str:
    text = str(token)
    if token.type == "STRING":
        # Only \" is an escape: every other backslash belongs to the regular expression.
        text = text[1:-1].replace('\\"', '"')
    try:
        # re warns (FutureWarning) about constructs it may read differently one day, such as
        # `[[:alpha:]]` (a POSIX class elsewhere, a plain set in Python): refuse them.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(text)
    except re.error as exc:
        raise _bad(f"invalid regular expression {text!r} ({exc.msg})", _pos(token)) from None
    except Warning as exc:
        raise _bad(f"ambiguous regular expression {text!r} ({exc})", _pos(token)) from None
    except (RecursionError, OverflowError):
        raise _bad(f"regular expression {_shown(text)} is too complex", _pos(token)) from None
    return text


def _flatten(cls: type[And] | type[Or], items: list[QExpr]) -> QExpr:
    if len(items) == 1:
        return items[0]
    flat: list[QExpr] = []
    for item in items:
        flat.extend(item.terms if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


class _ToAst(Transformer[Token, QExpr]):
    """Inline LALR callbacks. Stateless: one instance serves every parse, from any thread."""

    def or_expr(self, items: list[QExpr]) -> QExpr:
        return _flatten(Or, items)

    def and_expr(self, items: list[QExpr]) -> QExpr:
        return _flatten(And, items)

    def path(self, tokens: list[Token]) -> AttrPath:
        names = [t for t in tokens if t.type == "NAME"]
        for token in names[1:-1]:
            if str(token) in MEMBERS:
                raise _bad(f"'{token}' must end the attribute path", _pos(token))
        keys = tuple(str(t) for t in tokens if t.type == "KEY")
        return AttrPath(str(names[0]), tuple(str(t) for t in names[1:]), keys)

    def exists(self, items: list[AttrPath]) -> Exists:
        return Exists(items[0])

    def value(self, tokens: list[Token]) -> _Located:
        return _value(tokens[0]), _pos(tokens[0])

    def range(self, items: list[_Located]) -> _Located:
        (low, pos), (high, high_pos) = items
        for end, at in ((low, pos), (high, high_pos)):
            if not end.kind.ordered:
                raise _bad(f"a range needs numbers, strings or times, not {end}", at)
        if low.kind is not high.kind:
            raise _bad(f"range ends {low} and {high} are of different types", pos)
        return Range(low, high), pos

    def value_list(self, items: list[_Located]) -> _Located:
        return ValueList(tuple(v for v, _ in items)), items[0][1]

    def compare(self, items: list[Any]) -> Compare:
        path, op_token, (operand, pos) = items
        op = Op(str(op_token))
        _check_operand(op, operand, pos)
        return Compare(path, op, operand)

    def pattern(self, tokens: list[Token]) -> str:
        return _regex_text(tokens[0])

    def match(self, items: list[Any]) -> Match:
        path, op_token, pattern = items
        return Match(path, pattern, negated=str(op_token) == "!~=")


def _check_operand(op: Op, operand: Operand | Any, pos: int) -> None:
    if op in (Op.EQ, Op.NE):
        return
    if isinstance(operand, Range | ValueList):
        what = "a range" if isinstance(operand, Range) else "a list"
        raise _bad(f"'{op.value}' cannot compare with {what}", pos, "use == or !=")
    if isinstance(operand, Value) and not operand.kind.ordered:
        raise _bad(f"'{op.value}' needs a number, string, date or time, not {operand}", pos)


_PARSER = Lark(
    files("cityioc.hub.qlang").joinpath("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    lexer="contextual",
    transformer=_ToAst(),
)


def _describe(expected: set[str] | frozenset[str]) -> str:
    names = {"VALUE" if t in _VALUE_TERMINALS else t for t in expected}
    described = sorted({_EXPECTED.get(n, n) for n in names})
    if len(described) > 1:
        return "one of " + ", ".join(described)
    return described[0] if described else "nothing"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def _syntax_error(exc: UnexpectedInput, text: str) -> BadRequestData:
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = _describe(exc.accepts or exc.expected)
        if token.type == "$END":
            return _bad("unexpected end of query", len(text) + 1, f"expected {expected}")
        if token.type in _CATCH_ALL:
            # Lexed by a terminal meant for another place: the first character is the culprit.
            return _bad(f"unexpected {str(token)[0]!r}", _pos(token), f"expected {expected}")
        if token.type == "_RPAR" and "$END" in exc.expected:
            return _bad("unexpected ')'", _pos(token), "it closes no '('")
        return _bad(f"unexpected {_shown(str(token))}", _pos(token), f"expected {expected}")
    if isinstance(exc, UnexpectedCharacters):
        allowed = f"expected {_describe(exc.allowed or set())}"
        return _bad(f"unexpected {exc.char!r}", (exc.pos_in_stream or 0) + 1, allowed)
    return _bad("syntax error", (exc.pos_in_stream or 0) + 1)


@lru_cache(maxsize=512)
def parse_q(text: str) -> QExpr:
    """Parse an NGSI-LD ``q`` expression. Raises ``BadRequestData`` (with the position of the
    problem) or ``TooComplexQuery``. Results are cached: the tree is immutable."""
    if len(text) > MAX_LENGTH:
        raise TooComplexQuery(f"q: longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise BadRequestData("q: empty query")
    if "\x00" in text:  # no database takes it in text or jsonb
        raise _bad("NUL character", text.index("\x00") + 1)
    interactive = _PARSER.parse_interactive(text)
    depth = 0
    last: Token | None = None
    try:
        # Step token by token so that nesting is bounded before the tree gets deep.
        for last in interactive.iter_parse():
            if last.type == "_LPAR":
                depth += 1
                if depth > MAX_DEPTH:
                    raise TooComplexQuery(
                        f"q: parentheses nested deeper than {MAX_DEPTH} at position {_pos(last)}"
                    )
            elif last.type == "_RPAR":
                depth -= 1
        if last is None:  # pragma: no cover - blank queries were refused above
            raise BadRequestData("q: empty query")
        result = interactive.feed_token(Token.new_borrow_pos("$END", "", last))
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    except LarkError as exc:  # pragma: no cover - the grammar leaves no other parse failure
        raise BadRequestData(f"q: cannot parse ({exc})") from None
    if not isinstance(result, Exists | Compare | Match | And | Or):  # pragma: no cover
        raise BadRequestData("q: cannot parse")
    return result

"""Term definitions of JSON-LD contexts → the term table that expansion and compaction use.

Hand-rolled, not PyLD. NGSI-LD only needs names mapped to IRIs (attribute, sub-attribute and type
names); coercions (``@type: @id``/``@vocab``), containers, languages and scoped contexts change
values, which the hub never rewrites. PyLD would also need a custom document loader, processes a
context only as a side effect of expanding a document, and keeps the result in private structures.
Processing term definitions directly takes ~100 lines, runs once per distinct @context, and is
checked against PyLD in the tests.

Deliberate leniencies against JSON-LD 1.1, all in the client's favour:
- every value is resolved against the *final* set of definitions (so order inside a context and
  between contexts does not matter for prefixes), and relative values fall back on ``@vocab``;
- ``"term": null`` and expanded definitions without ``@id`` leave the term to ``@vocab``;
- keyword aliases (``"id": "@id"``) are recognised but never used for attribute names;
- ``@reverse``, ``@protected`` and scoped contexts are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cityioc.core.errors import BadRequestData

GEN_DELIMS = frozenset(":/?#[]@")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")


@dataclass(frozen=True, slots=True)
class TermTable:
    terms: dict[str, str]  # term → absolute IRI (keyword aliases left out)
    prefixes: dict[str, str]  # the terms that may start a compact IRI (JSON-LD 1.1 prefix flag)
    vocab: str | None


@dataclass(frozen=True, slots=True)
class _Definition:
    iri: str | None  # the IRI as written; None means "derive from the term"
    simple: bool  # written as a plain string
    prefix: bool | None  # an explicit @prefix


def build_table(contexts: Iterable[Mapping[str, Any]]) -> TermTable:
    """Process local contexts in order (later definitions win) into a term table."""
    defs: dict[str, _Definition] = {}
    vocab: str | None = None
    for ctx in contexts:
        for term, value in ctx.items():
            if term == "@vocab":
                vocab = _vocab(value)
            elif term.startswith("@") or not term:
                continue  # @version, @base, @language, @protected…: no effect on names
            elif value is None:
                defs.pop(term, None)
            else:
                definition = _definition(term, value)
                if definition is None:
                    defs.pop(term, None)
                else:
                    defs[term] = definition
    return _Resolver(defs, vocab).table()


def is_absolute_iri(value: str) -> bool:
    colon = value.find(":")
    return colon > 0 and _SCHEME.fullmatch(value, 0, colon) is not None


def _vocab(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not is_absolute_iri(value):
        raise BadRequestData(f"@vocab must be an absolute IRI, not {value!r}")
    return value


def _definition(term: str, value: Any) -> _Definition | None:
    if isinstance(value, str):
        return _Definition(value, simple=True, prefix=None)
    if not isinstance(value, Mapping):
        raise BadRequestData(f"invalid @context: term {term!r} must map to a string or an object")
    if "@reverse" in value:
        return None  # reverse properties never name an NGSI-LD attribute
    iri = value.get("@id")
    if iri is not None and not isinstance(iri, str):
        raise BadRequestData(f"invalid @context: @id of term {term!r} must be a string")
    prefix = value.get("@prefix")
    if prefix is not None and not isinstance(prefix, bool):
        raise BadRequestData(f"invalid @context: @prefix of term {term!r} must be true or false")
    return _Definition(iri, simple=False, prefix=prefix)


class _Resolver:
    """Turns definitions into absolute IRIs, following term references and compact IRIs."""

    def __init__(self, defs: dict[str, _Definition], vocab: str | None) -> None:
        self._defs = defs
        self._vocab = vocab
        self._done: dict[str, str | None] = {}
        self._active: set[str] = set()

    def table(self) -> TermTable:
        terms: dict[str, str] = {}
        for term in self._defs:
            iri = self._iri_of(term)
            if iri is not None and not iri.startswith("@"):
                terms[term] = iri
        prefixes = {t: iri for t, iri in terms.items() if self._is_prefix(t, iri)}
        return TermTable(terms, prefixes, self._vocab)

    def _is_prefix(self, term: str, iri: str) -> bool:
        definition = self._defs[term]
        if definition.prefix is not None:
            return definition.prefix
        return definition.simple and ":" not in term and "/" not in term and iri[-1] in GEN_DELIMS

    def _iri_of(self, term: str) -> str | None:
        if term in self._done:
            return self._done[term]
        if term in self._active:
            raise BadRequestData(f"invalid @context: cyclic IRI mapping for term {term!r}")
        self._active.add(term)
        written = self._defs[term].iri
        iri = self._expand(term if written is None else written, own=term)
        self._active.discard(term)
        self._done[term] = iri
        return iri

    def _expand(self, value: str, *, own: str) -> str | None:
        if value.startswith("@"):
            return value  # a keyword alias
        if value != own and value in self._defs:
            return self._iri_of(value)
        colon = value.find(":")
        if colon > 0:
            prefix, suffix = value[:colon], value[colon + 1 :]
            if prefix == "_" or suffix.startswith("//"):
                return value
            if prefix != own and prefix in self._defs:
                base = self._iri_of(prefix)
                if base is not None and self._is_prefix(prefix, base):
                    return base + suffix
            if _SCHEME.fullmatch(prefix):
                return value
        return None if self._vocab is None else self._vocab + value

"""An active @context: expands names to IRIs and compacts them back, fast.

Every lookup is memoised in a plain dict, so after warm-up a name costs one dict hit; the entity
walkers copy the key structure of an entity and share everything else (values are never copied
or looked into).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cityioc.core.errors import BadRequestData
from cityioc.hub.context_terms import TermTable, is_absolute_iri

# Memos are cleared past this size: clients control attribute names, memory must stay bounded.
MAX_MEMO = 50_000

# Entity members that are not attributes (``type`` is handled apart: its values are expanded).
ENTITY_MEMBERS = frozenset(
    {"id", "@id", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"}
)
# Members of an attribute object that are not sub-attributes. Their values are left alone, except
# ``vocab`` and ``objectType`` whose strings are names too (NGSI-LD expands them like types).
ATTRIBUTE_MEMBERS = frozenset(
    {
        "type",
        "value",
        "object",
        "objectList",
        "objectType",
        "languageMap",
        "vocab",
        "json",
        "valueList",
        "lang",
        "observedAt",
        "createdAt",
        "modifiedAt",
        "deletedAt",
        "unitCode",
        "datasetId",
        "instanceId",
        "previousValue",
        "previousObject",
        "previousObjectList",
        "previousLanguageMap",
        "previousVocab",
        "previousJson",
        "previousValueList",
        # temporal representations (temporalValues, aggregatedValues)
        "values",
        "objects",
        "languageMaps",
        "vocabs",
        "jsons",
        "valueLists",
        "objectLists",
        "avg",
        "min",
        "max",
        "sum",
        "sumsq",
        "stddev",
        "totalCount",
        "distinctCount",
    }
)
NAME_VALUED_MEMBERS = frozenset({"vocab", "objectType"})
_MEMBER_KIND = {m: m in NAME_VALUED_MEMBERS for m in ATTRIBUTE_MEMBERS}  # member → holds names
ATTRIBUTE_TYPES = frozenset(
    {
        "Property",
        "Relationship",
        "GeoProperty",
        "LanguageProperty",
        "VocabProperty",
        "JsonProperty",
        "ListProperty",
        "ListRelationship",
    }
)
# Any of these makes a bare object a (concise) attribute rather than a JSON value or a geometry.
_VALUE_MEMBERS = frozenset(
    {"value", "object", "objectList", "languageMap", "vocab", "json", "valueList"}
)

Rename = Callable[[str], str]
EntityWalker = Callable[[dict[str, Any], bool], dict[str, Any]]


class ActiveContext:
    """Names under one resolved @context (user contexts, then the core context on top)."""

    __slots__ = (
        "_compacted",
        "_compactor",
        "_expanded",
        "_expander",
        "_inverse",
        "_prefix_iris",
        "_prefixes",
        "_terms",
        "_vocab",
        "body_context",
        "link_header",
    )

    def __init__(self, table: TermTable, *, link_header: str | None, body_context: Any) -> None:
        self._terms = table.terms
        self._prefixes = table.prefixes
        self._vocab = table.vocab
        # IRI → term; JSON-LD's term selection: the shortest term, then the least.
        self._inverse: dict[str, str] = {}
        for term, iri in sorted(table.terms.items(), key=lambda kv: (len(kv[0]), kv[0])):
            self._inverse.setdefault(iri, term)
        self._prefix_iris = sorted(table.prefixes.items(), key=lambda kv: -len(kv[1]))
        self._expanded: dict[str, str] = {}
        self._compacted: dict[str, str] = {}
        self._expander = _entity_walker(self._expanded, self._expand_miss, strict=True)
        self._compactor = _entity_walker(self._compacted, self._compact_miss, strict=False)
        self.link_header = link_header  # the Link header for responses; None for the core
        self.body_context = body_context  # the "@context" member for application/ld+json bodies

    # --- single names -------------------------------------------------------------------------

    def expand_term(self, term: str) -> str:
        """The IRI of an attribute (or sub-attribute) name."""
        iri = self._expanded.get(term)
        return self._expand_miss(term) if iri is None else iri

    def expand_type(self, term: str) -> str:
        """The IRI of an entity type name: same mappings as attributes, @vocab included."""
        return self.expand_term(term)

    def compact_iri(self, iri: str) -> str:
        """The shortest name that expands back to ``iri`` under this context."""
        name = self._compacted.get(iri)
        return self._compact_miss(iri) if name is None else name

    def _expand_miss(self, term: str) -> str:
        if len(self._expanded) >= MAX_MEMO:
            self._expanded.clear()
        iri = self._expanded[term] = self._expand(term)
        return iri

    def _compact_miss(self, iri: str) -> str:
        if len(self._compacted) >= MAX_MEMO:
            self._compacted.clear()
        name = self._compacted[iri] = self._compact(iri)
        return name

    def _expand(self, term: str) -> str:
        iri = self._terms.get(term)
        if iri is not None:
            return iri
        if term.startswith("@"):
            return term
        colon = term.find(":")
        if colon > 0:
            prefix, suffix = term[:colon], term[colon + 1 :]
            if prefix == "_" or suffix.startswith("//"):
                return term
            base = self._prefixes.get(prefix)
            if base is not None:
                return base + suffix
            if is_absolute_iri(term):
                return term
        return term if self._vocab is None else self._vocab + term

    def _compact(self, iri: str) -> str:
        term = self._inverse.get(iri)
        if term is not None:
            return term
        vocab = self._vocab
        if vocab is not None and len(iri) > len(vocab) and iri.startswith(vocab):
            suffix = iri[len(vocab) :]
            if self._expand(suffix) == iri:
                return suffix
        best: str | None = None
        for prefix, base in self._prefix_iris:
            if len(iri) > len(base) and iri.startswith(base):
                candidate = f"{prefix}:{iri[len(base) :]}"
                if (
                    best is None or (len(candidate), candidate) < (len(best), best)
                ) and self._expand(candidate) == iri:
                    best = candidate
        return iri if best is None else best

    # --- whole entities -----------------------------------------------------------------------

    def expand_entity_keys(
        self, entity: dict[str, Any], *, key_values: bool = False
    ) -> dict[str, Any]:
        """The entity with its type(s), attribute and sub-attribute names expanded.

        Works on normalized, concise and keyValues input alike; values are shared, not copied.
        With ``key_values`` every attribute value is opaque (only top-level names change).
        Raises BadRequestData when two names expand to the same IRI.
        """
        return self._expander(entity, key_values)

    def compact_entity_keys(
        self, entity: dict[str, Any], *, key_values: bool = False
    ) -> dict[str, Any]:
        """The inverse of ``expand_entity_keys``, for output."""
        return self._compactor(entity, key_values)


def is_attribute_object(obj: dict[str, Any]) -> bool:
    """True for an NGSI-LD attribute (normalized or concise), false for a JSON value or geometry."""
    return obj.get("type") in ATTRIBUTE_TYPES or not _VALUE_MEMBERS.isdisjoint(obj)


def _entity_walker(memo: dict[str, str], miss: Rename, *, strict: bool) -> EntityWalker:
    """A function renaming the names of an entity through ``memo`` (``miss`` fills it).

    A closure so that the per-name cost is a dict hit on local variables: this runs for every
    attribute of every entity the hub reads or writes.
    """
    memo_get = memo.get
    member_kind = _MEMBER_KIND.get
    attribute_types = ATTRIBUTE_TYPES
    value_members = _VALUE_MEMBERS

    def names(value: Any) -> Any:
        if isinstance(value, str):
            return memo_get(value) or miss(value)
        if isinstance(value, list):
            return [(memo_get(v) or miss(v)) if isinstance(v, str) else v for v in value]
        return value  # invalid; the validators say so with a better message

    def walk_object(obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in obj.items():
            kind = member_kind(key)
            if kind is not None:
                out[key] = names(value) if kind else value
            elif key[:1] == "@":
                out[key] = value
            else:
                name = memo_get(key) or miss(key)
                if strict and name in out:
                    raise BadRequestData(f"sub-attribute {key!r} is given twice (as {name})")
                out[name] = walk_value(value)
        return out

    def walk_value(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("type") in attribute_types or not value_members.isdisjoint(value):
                return walk_object(value)
            return value  # a JSON value or a geometry: opaque
        if isinstance(value, list):  # several instances (datasetId), or a temporal series
            return [
                walk_object(item)
                if isinstance(item, dict)
                and (item.get("type") in attribute_types or not value_members.isdisjoint(item))
                else item
                for item in value
            ]
        return value

    def walk_entity(entity: dict[str, Any], key_values: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in entity.items():
            if key == "type":
                out[key] = names(value)
            elif key in ENTITY_MEMBERS:
                out[key] = value
            else:
                name = memo_get(key) or miss(key)
                if strict and name in out:
                    raise BadRequestData(f"attribute {key!r} is given twice (as {name})")
                out[name] = value if key_values else walk_value(value)
        return out

    return walk_entity

"""Stored (expanded) names of the Alert entity's attributes, computed once from the core context.

The Alert follows Smart Data Models (``category``, ``subCategory``, ``severity``, ``alertSource``,
``dateIssued``, ``validFrom``, ``validTo``), adds the OASIS CAP fields (``capCategory``, …) and the
lifecycle (``status``, ``acknowledged``, ``count``, ``firstSeen``, ``lastSeen``, …). ``title`` and
``description`` are LanguageProperties (``{"vi": …, "en": …}``).
"""

from __future__ import annotations

from typing import Final

from cityioc.hub.context import core_context

_core = core_context()
ALERT: Final = _core.expand_type("Alert")
ALERT_RULE: Final = _core.expand_type("AlertRule")
ALERT_PREFIX: Final = "urn:ngsi-ld:Alert:"
RULE_PREFIX: Final = "urn:ngsi-ld:AlertRule:"

TERMS: Final = (
    "name",
    "title",
    "description",
    "category",
    "subCategory",
    "severity",
    "alertSource",
    "dateIssued",
    "validFrom",
    "validTo",
    "location",
    "areaServed",
    "capCategory",
    "capSeverity",
    "capUrgency",
    "capCertainty",
    "status",
    "acknowledged",
    "acknowledgedBy",
    "acknowledgedAt",
    "assignee",
    "count",
    "firstSeen",
    "lastSeen",
    "clearedAt",
    "clearedBy",
    "refRule",
    "refIncident",
    "incidentPolicy",
    "comments",
    "affectedEntities",
    "affectedCount",
    "airQualityIndex",
    "airQualityLevel",
    "healthAdvice",
    "healthAdviceSensitive",
    "capIdentifier",
    "capSender",
    "capInstruction",
    "ruleDefinition",
    "enabled",
    "alternateName",
)
N: Final = {term: _core.expand_term(term) for term in TERMS}
SHORT: Final = {iri: term for term, iri in N.items()}
LANGUAGE: Final = frozenset(
    N[t]
    for t in ("title", "description", "healthAdvice", "healthAdviceSensitive", "capInstruction")
)
RELATIONSHIPS: Final = frozenset(N[t] for t in ("refRule", "refIncident"))

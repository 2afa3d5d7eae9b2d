"""A rule's signal → the alert's content: titles filled in, severity, location and area."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from babel.numbers import format_decimal

from cityioc.alerts.models import AlertContent
from cityioc.alerts.rules.compiled import Signal, entity_facts
from cityioc.alerts.rules.conditions import current_value, expand
from cityioc.alerts.rules.model import Text
from cityioc.hub.models import StoredEntity

LOCATION = expand("location")
AREA_SERVED = expand("areaServed")
# ``severity: auto`` (AQI rules): the VN_AQI category decides, for Smart Data Models and CAP.
AUTO_SEVERITY = {
    "tot": ("informational", "Minor"),
    "trung-binh": ("low", "Minor"),
    "kem": ("medium", "Moderate"),
    "xau": ("high", "Severe"),
    "rat-xau": ("critical", "Extreme"),
    "nguy-hai": ("critical", "Extreme"),
}


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays visible instead of failing


LOCALES = {"vi": "vi_VN", "en": "en_GB"}


def fill(template: str, facts: Mapping[str, Any], language: str = "en") -> str:
    """``template`` with its ``{placeholders}`` filled; numbers written as the language writes
    them (``1,55 m`` in Vietnamese, ``1.55 m`` in English)."""
    locale = LOCALES.get(language, "en_GB")
    shown = {k: _number(v, locale) for k, v in facts.items()}
    try:
        return string.Formatter().vformat(template, (), _Facts(shown))
    except (ValueError, IndexError, KeyError, AttributeError):
        return template  # a malformed placeholder: the text as written is better than nothing


def _number(value: Any, locale: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_decimal(value, locale=locale)


def fill_text(text: Text, facts: Mapping[str, Any]) -> dict[str, str]:
    return {"vi": fill(text.vi, facts, "vi"), "en": fill(text.en, facts, "en")}


def content_of(signal: Signal, source: StoredEntity | None) -> AlertContent:
    """The alert content for a signal; ``source`` is the source entity when the signal has none."""
    rule = signal.rule
    template = rule.rule.alert
    entity = signal.entity or source
    facts: dict[str, Any] = {}
    if signal.entity is None and source is not None:
        facts.update(entity_facts(source, rule.mentions or rule.reads))
    facts.update(signal.facts)
    facts.setdefault("name", signal.source.rsplit(":", 1)[-1])
    severity: str = template.severity
    cap_severity: str = template.cap.severity
    if severity == "auto":
        code = signal.extra.get("airQualityLevel")
        severity, cap_severity = AUTO_SEVERITY.get(str(code), ("medium", "Moderate"))
    location = current_value(entity.doc, LOCATION) if entity is not None else None
    area = facts.get("areaServed") or (
        current_value(entity.doc, AREA_SERVED) if entity is not None else None
    )
    return AlertContent(
        source=signal.source,
        category=template.category,
        sub_category=template.sub_category,
        severity=severity,
        cap_category=template.cap.category,
        cap_severity=cap_severity,
        cap_urgency=template.cap.urgency,
        cap_certainty=template.cap.certainty,
        title=fill_text(template.title, facts),
        description=fill_text(template.description, facts) if template.description else None,
        location=location if isinstance(location, dict) else None,
        area_served=area if isinstance(area, str) and area else None,
        rule=rule.urn,
        incident_policy=template.incident_policy,
        extra=dict(signal.extra),
    )

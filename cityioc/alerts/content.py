"""A rule's signal → the alert's content: titles filled in, severity, location and area."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
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


class _Facts(Mapping[str, Any]):
    """The facts as a language writes them, each formatted only if the template asks for it."""

    def __init__(self, facts: Mapping[str, Any], locale: Locale, pattern: str, zone: ZoneInfo):
        self.facts, self.locale, self.pattern, self.zone = facts, locale, pattern, zone

    def __getitem__(self, key: str) -> Any:
        if key not in self.facts:
            return "{" + key + "}"  # an unknown placeholder stays visible instead of failing
        return _shown(self.facts[key], self.locale, self.pattern, self.zone)

    def __iter__(self) -> Iterator[str]:
        return iter(self.facts)

    def __len__(self) -> int:
        return len(self.facts)


# Parsed once: Babel parses a locale given by name on every call (the most of a fill's time).
LOCALES = {"vi": Locale.parse("vi_VN"), "en": Locale.parse("en_GB")}
# Date-times as the UI writes them (docs/ui.md): 25/11/2026 17:05, 25 Nov 2026 17:05.
DATETIME_PATTERNS = {"vi": "dd/MM/y HH:mm", "en": "d MMM y HH:mm"}
# A fact that is an ISO 8601 date-time with its zone (``lastSeen``: 2026-03-10T00:39:27.000Z).
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


@dataclass(slots=True)
class _LocalTime:
    zone: ZoneInfo


LOCAL_TIME = _LocalTime(ZoneInfo("UTC"))  # until the app sets the city's


def set_local_timezone(name: str) -> None:
    """The city's time zone (an IANA name), in which alert texts write date-times; set at start."""
    LOCAL_TIME.zone = ZoneInfo(name)


def fill(
    template: str, facts: Mapping[str, Any], language: str = "en", zone: ZoneInfo | None = None
) -> str:
    """``template`` with its ``{placeholders}`` filled; numbers written as the language writes
    them (``1,55 m`` in Vietnamese, ``1.55 m`` in English), date-times in the city's local time
    (``zone``, else the one set by :func:`set_local_timezone`)."""
    locale = LOCALES.get(language, LOCALES["en"])
    pattern = DATETIME_PATTERNS.get(language, DATETIME_PATTERNS["en"])
    shown = _Facts(facts, locale, pattern, zone or LOCAL_TIME.zone)
    try:
        return string.Formatter().vformat(template, (), shown)
    except (ValueError, IndexError, KeyError, AttributeError):
        return template  # a malformed placeholder: the text as written is better than nothing


def _shown(value: Any, locale: Locale, pattern: str, zone: ZoneInfo) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return format_decimal(value, locale=locale)
    if isinstance(value, dict) and value.get("@type") == "DateTime":  # an NGSI-LD DateTime
        value = value.get("@value")
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:  # e.g. month 13: shown as written
            return value
        return format_datetime(when, pattern, tzinfo=zone, locale=locale)
    return value


def fill_text(text: Text, facts: Mapping[str, Any], zone: ZoneInfo | None = None) -> dict[str, str]:
    return {"vi": fill(text.vi, facts, "vi", zone), "en": fill(text.en, facts, "en", zone)}


def content_of(
    signal: Signal, source: StoredEntity | None, zone: ZoneInfo | None = None
) -> AlertContent:
    """The alert content for a signal; ``source`` is the source entity when the signal has none;
    date-times in its texts are written in ``zone`` (default: the city's, see above)."""
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
        title=fill_text(template.title, facts, zone),
        description=fill_text(template.description, facts, zone) if template.description else None,
        location=location if isinstance(location, dict) else None,
        area_served=area if isinstance(area, str) and area else None,
        rule=rule.urn,
        incident_policy=template.incident_policy,
        extra=dict(signal.extra),
    )

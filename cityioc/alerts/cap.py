"""OASIS CAP 1.2 messages: parsed with defusedxml (no DTDs, no entity expansion) and validated.

Every problem is reported with where it is (``info[2].urgency``) and why; a document that is not
XML, not CAP 1.2 or unsafe raises ``BadRequestData`` — never anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from cityioc.core.clock import parse_datetime_ms
from cityioc.core.errors import BadRequestData

NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
STATUS: Final = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE: Final = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE: Final = ("Public", "Restricted", "Private")
CATEGORY: Final = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCY: Final = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY: Final = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
# CAP date-times carry an explicit offset ("2026-11-25T17:05:00+07:00"); seconds, no fraction.
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$")
MAX_BYTES: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class CapArea:
    description: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # [(lon, lat)…]
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lon, lat, km
    geocodes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CapInfo:
    language: str
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    effective: int | None = None
    onset: int | None = None
    expires: int | None = None
    sender_name: str | None = None
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    areas: list[CapArea] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CapMessage:
    identifier: str
    sender: str
    sent: int
    status: str
    msg_type: str
    scope: str
    references: list[tuple[str, str, str]] = field(default_factory=list)  # sender, id, sent
    infos: list[CapInfo] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}" if where else what)


def parse_cap(raw: bytes | str) -> CapMessage:
    """One CAP 1.2 ``alert`` document; raises BadRequestData listing every problem."""
    if len(raw) > MAX_BYTES:
        raise BadRequestData(f"a CAP message is at most {MAX_BYTES} bytes")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise BadRequestData(f"CAP: unsafe XML refused ({type(err).__name__})") from err
    except (ParseError, ValueError) as err:
        raise BadRequestData(f"CAP: not well-formed XML ({err})") from err
    return parse_alert_element(root)


def parse_alert_element(root: Element) -> CapMessage:
    if root.tag != f"{{{NS}}}alert":
        raise BadRequestData(f"CAP: the root element must be <alert> in the namespace {NS}")
    problems = _Problems()
    text = _Reader(root, "", problems)
    message = CapMessage(
        identifier=text.required("identifier"),
        sender=text.required("sender"),
        sent=text.time("sent", required=True) or 0,
        status=text.choice("status", STATUS),
        msg_type=text.choice("msgType", MSG_TYPE),
        scope=text.choice("scope", SCOPE),
        references=_references(text.optional("references"), problems),
        infos=[_info(e, f"info[{i + 1}]", problems) for i, e in enumerate(_all(root, "info"))],
    )
    for name in ("identifier", "sender"):
        value = getattr(message, name)
        if value and (any(c in value for c in " ,<&") or not value.isprintable()):
            problems.add(name, "must not contain spaces, commas or restricted characters")
    if message.msg_type in ("Update", "Cancel") and not message.references:
        problems.add("references", f"a {message.msg_type} must reference the message it changes")
    if problems.items:
        raise BadRequestData("CAP: " + "; ".join(problems.items))
    return message


def _info(element: Element, where: str, problems: _Problems) -> CapInfo:
    text = _Reader(element, where, problems)
    categories = [c.text.strip() if c.text else "" for c in _all(element, "category")]
    if not categories:
        problems.add(f"{where}.category", "at least one is required")
    for category in categories:
        if category not in CATEGORY:
            problems.add(f"{where}.category", f"{category!r} is not one of {', '.join(CATEGORY)}")
    codes = [_pair(e) for e in _all(element, "eventCode")]
    return CapInfo(
        language=text.optional("language") or "en-US",
        categories=categories,
        event=text.required("event"),
        urgency=text.choice("urgency", URGENCY),
        severity=text.choice("severity", SEVERITY),
        certainty=text.choice("certainty", CERTAINTY),
        headline=text.optional("headline"),
        description=text.optional("description"),
        instruction=text.optional("instruction"),
        effective=text.time("effective"),
        onset=text.time("onset"),
        expires=text.time("expires"),
        sender_name=text.optional("senderName"),
        event_codes=[c for c in codes if c is not None],
        areas=[
            _area(e, f"{where}.area[{i + 1}]", problems)
            for i, e in enumerate(_all(element, "area"))
        ],
    )


def _area(element: Element, where: str, problems: _Problems) -> CapArea:
    text = _Reader(element, where, problems)
    polygons = []
    for i, node in enumerate(_all(element, "polygon")):
        points = _points((node.text or "").split(), f"{where}.polygon[{i + 1}]", problems)
        if len(points) < 4 or points[0] != points[-1]:
            problems.add(
                f"{where}.polygon[{i + 1}]", "needs 4 or more points, the last = the first"
            )
        else:
            polygons.append(points)
    circles = []
    for i, node in enumerate(_all(element, "circle")):
        centre, _, radius = (node.text or "").strip().partition(" ")
        found = _points([centre], f"{where}.circle[{i + 1}]", problems)
        try:
            km = float(radius)
        except ValueError:
            km = -1
        if not found or km < 0:
            problems.add(f"{where}.circle[{i + 1}]", "must be 'lat,lon radius-km'")
        else:
            circles.append((found[0][0], found[0][1], km))
    geocodes = [c for c in (_pair(e) for e in _all(element, "geocode")) if c is not None]
    return CapArea(text.required("areaDesc"), polygons, circles, geocodes)


def _points(pairs: list[str], where: str, problems: _Problems) -> list[tuple[float, float]]:
    """CAP writes "lat,lon" (WGS 84); GeoJSON wants (lon, lat)."""
    out = []
    for pair in pairs:
        lat_text, _, lon_text = pair.partition(",")
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            problems.add(where, f"{pair!r} is not 'lat,lon'")
            return []
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.add(where, f"{pair!r} is outside WGS 84 bounds")
            return []
        out.append((lon, lat))
    return out


def _references(value: str | None, problems: _Problems) -> list[tuple[str, str, str]]:
    out = []
    for item in (value or "").split():
        parts = item.split(",")
        if len(parts) != 3:
            problems.add("references", f"{item!r} is not 'sender,identifier,sent'")
            continue
        out.append((parts[0], parts[1], parts[2]))
    return out


def _pair(element: Element) -> tuple[str, str] | None:
    name = element.find(f"{{{NS}}}valueName")
    value = element.find(f"{{{NS}}}value")
    if name is None or value is None or not name.text or not value.text:
        return None
    return name.text.strip(), value.text.strip()


def _all(element: Element, name: str) -> list[Element]:
    return element.findall(f"{{{NS}}}{name}")


class _Reader:
    """Child element texts of one element, reporting problems under ``where``."""

    def __init__(self, element: Element, where: str, problems: _Problems) -> None:
        self.element, self.where, self.problems = element, where, problems

    def _at(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def optional(self, name: str) -> str | None:
        found = self.element.find(f"{{{NS}}}{name}")
        if found is None or found.text is None or not found.text.strip():
            return None
        return found.text.strip()

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            self.problems.add(self._at(name), "is required")
            return ""
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.required(name)
        if value and value not in allowed:
            self.problems.add(self._at(name), f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def time(self, name: str, *, required: bool = False) -> int | None:
        value = self.required(name) if required else self.optional(name)
        if not value:
            return None
        if not _DATETIME.match(value):
            self.problems.add(self._at(name), f"{value!r} is not a CAP date-time (with an offset)")
            return None
        try:
            return parse_datetime_ms(value)
        except ValueError:
            self.problems.add(self._at(name), f"{value!r} is not a valid date-time")
            return None

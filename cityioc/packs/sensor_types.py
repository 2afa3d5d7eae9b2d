"""Sensor types a pack may declare, with the static attributes each needs (Smart Data Models).

``initial`` attributes are a sensor's starting state (a streetlight is ``ok`` and ``off``): a load
writes them when the entity has none, and never resets what a device or the simulator changed.
A module adds a type with ``register_sensor_type``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Attrs = Mapping[str, dict[str, Any]]  # name → NGSI-LD attribute object
Check = Callable[[Attrs], list[str]]

# Attributes every sensor gets from its row or line; a type-specific column may not redefine them.
COMMON = frozenset(
    {
        "id", "type", "name", "location", "areaServed", "refArea", "simulationTags",
        "dataProvider", "illustrative",
    }
)  # fmt: skip
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
STREETLIGHT_STATUS = ("ok", "defectiveLamp", "columnIssue", "brokenLantern")
POWER_STATES = ("on", "off", "low", "bootingUp")
LANE_DIRECTIONS = ("forward", "backward")


# How often a sensor of a type is expected to report (the simulator sends every minute, lamps
# every four; devices of the field usually every few minutes): online while its last update is
# within this × a tolerance (cityioc/packs/sensor_status.py).
REPORT_EVERY_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class SensorType:
    required: frozenset[str] = frozenset()
    initial: Mapping[str, Any] = field(default_factory=dict)
    check: Check | None = None
    report_every_ms: int = REPORT_EVERY_MS


def _value(attrs: Attrs, name: str) -> Any:
    attr = attrs.get(name)
    if attr is None:
        return None
    return attr.get("object") if attr.get("type") == "Relationship" else attr.get("value")


def _flood(attrs: Attrs) -> list[str]:
    errors = []
    levels = {}
    for name in ("referenceLevel", "alertLevel", "dangerLevel"):
        value = _value(attrs, name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{name} must be a number (metres)")
            continue
        if attrs[name].get("unitCode") != "MTR":
            errors.append(f"{name} must be in metres: write the column as {name}[MTR]")
        levels[name] = value
    if len(levels) == 3 and not (
        levels["referenceLevel"] <= levels["alertLevel"] <= levels["dangerLevel"]
    ):
        errors.append("levels must rise: referenceLevel ≤ alertLevel ≤ dangerLevel")
    return errors


def _traffic(attrs: Attrs) -> list[str]:
    errors = _relationship(attrs, "refRoadSegment")
    if _value(attrs, "laneDirection") not in LANE_DIRECTIONS:
        errors.append(f"laneDirection must be one of {', '.join(LANE_DIRECTIONS)}")
    return errors


def _streetlight(attrs: Attrs) -> list[str]:
    errors = _relationship(attrs, "refStreetlightGroup")
    status = _value(attrs, "status")
    if status is not None and status not in STREETLIGHT_STATUS:
        errors.append(f"status must be one of {', '.join(STREETLIGHT_STATUS)}")
    power = _value(attrs, "powerState")
    if power is not None and power not in POWER_STATES:
        errors.append(f"powerState must be one of {', '.join(POWER_STATES)}")
    return errors


def _parking(attrs: Attrs) -> list[str]:
    total = _value(attrs, "totalSpotNumber")
    if not isinstance(total, int) or isinstance(total, bool) or total < 1:
        return ["totalSpotNumber must be a whole number above 0"]
    return []


def _relationship(attrs: Attrs, name: str) -> list[str]:
    attr = attrs.get(name)
    if attr is not None and attr.get("type") != "Relationship":
        return [f"{name} must be a relationship"]
    return []


SENSOR_TYPES: dict[str, SensorType] = {
    "AirQualityObserved": SensorType(),
    "WeatherObserved": SensorType(),
    "FloodMonitoring": SensorType(
        required=frozenset({"referenceLevel", "alertLevel", "dangerLevel"}), check=_flood
    ),
    "WaterObserved": SensorType(),
    "WaterQualityObserved": SensorType(),
    "TrafficFlowObserved": SensorType(
        required=frozenset({"refRoadSegment", "laneDirection"}), check=_traffic
    ),
    "Streetlight": SensorType(
        required=frozenset({"refStreetlightGroup"}),
        initial={"status": "ok", "powerState": "off"},
        check=_streetlight,
    ),
    "OffStreetParking": SensorType(required=frozenset({"totalSpotNumber"}), check=_parking),
    "NoiseLevelObserved": SensorType(),
    "Device": SensorType(),
}


def register_sensor_type(name: str, spec: SensorType) -> None:
    SENSOR_TYPES[name] = spec


def type_problems(type_name: str, attrs: Attrs) -> list[str]:
    """What is wrong with a sensor's static attributes for its type (empty when nothing)."""
    spec = SENSOR_TYPES.get(type_name)
    if spec is None:
        return [f"unknown sensor type {type_name!r} (known: {', '.join(sorted(SENSOR_TYPES))})"]
    errors = [f"{type_name} needs {name}" for name in sorted(spec.required - set(attrs))]
    if not errors and spec.check is not None:
        errors += spec.check(attrs)
    return errors


def encode_attribute(name: str, raw: Any, unit: str | None = None) -> dict[str, Any]:
    """A pack value as an NGSI-LD attribute; ``ref<Thing>`` names become relationships.

    A relationship's value is a URN or a local id of ``<Thing>`` (``refRoadSegment: mptv-01`` is
    ``urn:ngsi-ld:RoadSegment:mptv-01``). A mapping gives ``value`` and ``unitCode`` explicitly.
    Raises ValueError with a message meant for the pack's author.
    """
    if not ATTRIBUTE_NAME.match(name):
        raise ValueError(f"{name!r} is not a usable attribute name")
    if name in COMMON:
        raise ValueError(f"{name} is set by the pack itself and cannot be given as an attribute")
    if isinstance(raw, dict):
        if set(raw) - {"value", "unitCode"} or "value" not in raw:
            raise ValueError(f"{name}: a mapping takes 'value' and optionally 'unitCode'")
        unit = raw.get("unitCode", unit)
        raw = raw["value"]
    if raw is None or raw == "":
        raise ValueError(f"{name} has no value")
    if name.startswith("ref") and name[3:4].isupper():
        if not isinstance(raw, str):
            raise ValueError(f"{name} must name an entity (a URN or a local id)")
        target = raw if raw.startswith("urn:") else f"urn:ngsi-ld:{name[3:]}:{raw}"
        return {"type": "Relationship", "object": target}
    attr: dict[str, Any] = {"type": "Property", "value": raw}
    if unit is not None:
        attr["unitCode"] = str(unit)
    return attr


def cell_value(text: str) -> Any:
    """A CSV cell as a JSON value: whole numbers, decimals, true/false, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text

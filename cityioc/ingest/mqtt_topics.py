"""MQTT topic and payload → readings, the items ``Hub.ingest_readings`` takes. Pure: no I/O.

Topics (``<root>`` is ``cityioc`` unless configured):

- ``<root>/<tenant>/<EntityType>/<entity id>/attrs`` — one entity; the payload is a JSON object of
  attributes in keyValues form (``{"pm25": 12.3, "observedAt": "…"}``) or normalized form
  (``{"pm25": {"type": "Property", "value": 12.3, "unitCode": "GQ", "observedAt": "…"}}``), or
  both mixed. The entity id is the full URN or its local part (``tdm-01`` →
  ``urn:ngsi-ld:<EntityType>:tdm-01``).
- ``<root>/<tenant>/batch`` — many entities from a gateway: a JSON array (or ``{"entities": […]}``)
  of entity objects with ``id``, ``type`` and attributes as above, or of readings
  (``{"entity", "attribute", "value", "observedAt"}``) as ``POST /api/v1/readings`` takes them.

The tenant ``default`` is the default tenant. A reading without ``observedAt`` is stamped with the
time the message was received (for a replay: when it was first received). A message is accepted
or rejected whole here; what the hub then rejects is reported per reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import orjson

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.errors import CityError, ResourceNotFound
from cityioc.core.settings import Settings

EARLIEST_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z: older clocks have been reset
RESERVED: Final = frozenset({"id", "type", "observedAt", "@context"})
_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TYPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,255}$")
_NON_PROPERTY = frozenset(
    {
        "Relationship",
        "GeoProperty",
        "LanguageProperty",
        "VocabProperty",
        "ListProperty",
        "ListRelationship",
        "JsonProperty",
    }
)


class Reason(StrEnum):
    """Why a message went to the dead letters (stable codes: metrics and filters use them)."""

    invalid_topic = "invalid_topic"
    too_large = "too_large"
    malformed_json = "malformed_json"
    invalid_payload = "invalid_payload"
    invalid_time = "invalid_time"
    time_out_of_range = "time_out_of_range"
    unknown_entity = "unknown_entity"
    rejected = "rejected"  # the hub or the database refused a reading


def reason_of(error: CityError) -> Reason:
    """The dead-letter reason for a reading the hub refused."""
    return Reason.unknown_entity if isinstance(error, ResourceNotFound) else Reason.rejected


class BadMessage(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class MessageRules:
    root: str = "cityioc"
    max_payload_bytes: int = 256 * 1024
    max_clock_skew_ms: int = 86_400_000

    @staticmethod
    def from_settings(settings: Settings) -> MessageRules:
        return MessageRules(
            settings.mqtt_topic_root.strip("/"),
            settings.mqtt_max_payload_bytes,
            settings.mqtt_max_clock_skew_s * 1000,
        )

    def filters(self) -> list[str]:
        """The topic filters a consumer subscribes to (before any ``$share/<group>/``)."""
        return [f"{self.root}/+/+/+/attrs", f"{self.root}/+/batch"]


@dataclass(frozen=True, slots=True)
class Route:
    tenant: str
    entity_type: str | None = None  # None: the batch topic
    entity_id: str | None = None


def parse_topic(topic: str, root: str) -> Route:
    prefix = root + "/"
    if not topic.startswith(prefix):
        raise BadMessage(Reason.invalid_topic, f"the topic does not start with {prefix!r}")
    levels = topic[len(prefix) :].split("/")
    if not _TENANT.match(levels[0]):
        raise BadMessage(Reason.invalid_topic, "the tenant must be 1–64 letters, digits, _ or -")
    if len(levels) == 2 and levels[1] == "batch":
        return Route(levels[0])
    if len(levels) != 4 or levels[3] != "attrs":
        raise BadMessage(
            Reason.invalid_topic,
            f"use {root}/<tenant>/<EntityType>/<entity id>/attrs or {root}/<tenant>/batch",
        )
    tenant, etype, local = levels[0], levels[1], levels[2]
    if not _TYPE.match(etype):
        raise BadMessage(Reason.invalid_topic, f"{etype!r} is not an entity type name")
    if not local:
        raise BadMessage(Reason.invalid_topic, "the entity id is empty")
    eid = local if ":" in local else f"urn:ngsi-ld:{etype}:{local}"
    return Route(tenant, etype, eid)


class _Times:
    """Checks observedAt values, memoised: a batch repeats few distinct times."""

    def __init__(self, now: int, rules: MessageRules) -> None:
        self.now = now
        self.latest = now + rules.max_clock_skew_ms
        self.seen: dict[str, None] = {}

    def check(self, observed: Any) -> str:
        if observed is None:
            return iso_ms(self.now)
        if type(observed) is not str:
            raise BadMessage(Reason.invalid_time, "'observedAt' must be an ISO 8601 string")
        if observed in self.seen:
            return observed
        try:
            t = parse_datetime_ms(observed)
        except ValueError as err:
            raise BadMessage(
                Reason.invalid_time, f"'observedAt' {observed!r} is not an ISO 8601 date-time"
            ) from err
        if not EARLIEST_MS <= t <= self.latest:
            raise BadMessage(
                Reason.time_out_of_range,
                f"'observedAt' {observed} is before 2000 or too far in the future",
            )
        self.seen[observed] = None
        return observed


def decode(payload: bytes, rules: MessageRules) -> Any:
    if len(payload) > rules.max_payload_bytes:
        raise BadMessage(
            Reason.too_large,
            f"the payload has {len(payload):,} bytes; the limit is {rules.max_payload_bytes:,}",
        )
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise BadMessage(Reason.malformed_json, f"the payload is not JSON: {err}") from err


def readings_of(
    topic: str, payload: bytes, rules: MessageRules, now: int
) -> tuple[str, list[dict[str, Any]]]:
    """The tenant and the readings of one message; raises ``BadMessage``. ``now``: receipt time."""
    route = parse_topic(topic, rules.root)
    body = decode(payload, rules)
    times = _Times(now, rules)
    if route.entity_id is None:
        return route.tenant, _batch(body, times)
    assert route.entity_type is not None
    return route.tenant, _entity(body, route.entity_id, route.entity_type, times)


def _entity(body: Any, eid: str, etype: str, times: _Times) -> list[dict[str, Any]]:
    if type(body) is not dict:
        raise BadMessage(Reason.invalid_payload, "the payload must be a JSON object of attributes")
    observed = times.check(body.get("observedAt"))
    out = []
    for name, value in body.items():
        if name in RESERVED:
            continue
        out.append(_reading(eid, etype, name, value, observed, times))
    if not out:
        raise BadMessage(Reason.invalid_payload, "the payload has no attributes")
    return out


def _reading(
    eid: str, etype: str, name: str, value: Any, observed: str, times: _Times
) -> dict[str, Any]:
    if value is None:
        raise BadMessage(Reason.invalid_payload, f"attribute {name!r} is null")
    if type(value) is not dict or "type" not in value:
        return {
            "entity": eid,
            "attribute": name,
            "value": value,
            "observedAt": observed,
            "type": etype,
        }
    kind = value["type"]
    if kind in _NON_PROPERTY:
        raise BadMessage(
            Reason.invalid_payload, f"attribute {name!r}: only Property values are readings"
        )
    if kind != "Property":
        # A structured keyValues value that happens to have a "type" member (e.g. GeoJSON).
        return {
            "entity": eid,
            "attribute": name,
            "value": value,
            "observedAt": observed,
            "type": etype,
        }
    if value.get("value") is None:
        raise BadMessage(Reason.invalid_payload, f"attribute {name!r} has no value")
    item = {
        "entity": eid,
        "attribute": name,
        "value": value["value"],
        "observedAt": times.check(value["observedAt"]) if "observedAt" in value else observed,
        "type": etype,
    }
    for member in ("unitCode", "datasetId"):
        given = value.get(member)
        if given is not None:
            if type(given) is not str:
                raise BadMessage(Reason.invalid_payload, f"{name}.{member} must be a string")
            item[member] = given
    return item


def _batch(body: Any, times: _Times) -> list[dict[str, Any]]:
    if type(body) is dict and type(body.get("entities")) is list:
        body = body["entities"]
    if type(body) is not list:
        raise BadMessage(
            Reason.invalid_payload, "a batch is a JSON array of entities or of readings"
        )
    out: list[dict[str, Any]] = []
    for index, item in enumerate(body):
        if type(item) is not dict:
            raise BadMessage(Reason.invalid_payload, f"batch item {index} is not an object")
        if "entity" in item and "attribute" in item:
            reading = dict(item)
            reading["observedAt"] = times.check(item.get("observedAt"))
            out.append(reading)
            continue
        eid, etype = item.get("id"), item.get("type")
        if type(eid) is not str or ":" not in eid or type(etype) is not str:
            raise BadMessage(
                Reason.invalid_payload, f"batch item {index} needs an 'id' (a URN) and a 'type'"
            )
        try:
            out += _entity(item, eid, etype, times)
        except BadMessage as bad:
            raise BadMessage(bad.reason, f"batch item {index}: {bad.detail}") from None
    return out

"""OpenAPI descriptions of request bodies that the NGSI-LD routes read themselves (they accept
``application/json`` and ``application/ld+json`` and resolve @context before validating)."""

from __future__ import annotations

from typing import Any

_ENTITY_EXAMPLE = {
    "id": "urn:ngsi-ld:AirQualityObserved:tdm-01",
    "type": "AirQualityObserved",
    "pm25": {
        "type": "Property",
        "value": 35.5,
        "unitCode": "GQ",
        "observedAt": "2026-11-25T10:00:00Z",
    },
    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [106.65, 10.98]}},
}
_ATTRS_EXAMPLE = {"pm25": {"type": "Property", "value": 41.2, "observedAt": "2026-11-25T10:05:00Z"}}
_READINGS_EXAMPLE = [
    {
        "entity": "urn:ngsi-ld:AirQualityObserved:tdm-01",
        "attribute": "pm25",
        "value": 41.2,
        "observedAt": "2026-11-25T10:05:00Z",
    }
]
_QUERY_EXAMPLE = {
    "type": "Query",
    "entities": [{"type": "AirQualityObserved"}],
    "q": "pm25>50",
    "geoQ": {
        "geometry": "Point",
        "coordinates": [106.65, 10.98],
        "georel": "near;maxDistance==2000",
    },
}


def _body(description: str, example: Any, schema: dict[str, Any]) -> dict[str, Any]:
    content = {"schema": schema, "example": example}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": content, "application/ld+json": content},
        }
    }


_OBJECT = {"type": "object", "additionalProperties": True}
_ARRAY = {"type": "array", "items": {}}

ENTITY = _body("An NGSI-LD entity (normalized or concise form).", _ENTITY_EXAMPLE, _OBJECT)
FRAGMENT = _body("Attributes of an entity, by name.", _ATTRS_EXAMPLE, _OBJECT)
ATTRIBUTE = _body("One attribute (or the members to change).", {"value": 41.2}, _OBJECT)
BATCH = _body("A list of entities (or of entity ids for delete).", [_ENTITY_EXAMPLE], _ARRAY)
QUERY = _body("An NGSI-LD Query object.", _QUERY_EXAMPLE, _OBJECT)
_SUBSCRIPTION_EXAMPLE = {
    "type": "Subscription",
    "subscriptionName": "PM2.5 above 50 in Thủ Dầu Một",
    "entities": [{"type": "AirQualityObserved"}],
    "watchedAttributes": ["pm25"],
    "q": "pm25>50",
    "notification": {
        "format": "keyValues",
        "attributes": ["pm25", "location"],
        "endpoint": {"uri": "https://partner.example/notify", "accept": "application/json"},
    },
    "throttling": 60,
}
SUBSCRIPTION = _body(
    "An NGSI-LD Subscription (for PATCH: only the members to change).",
    _SUBSCRIPTION_EXAMPLE,
    _OBJECT,
)
READINGS = {
    "requestBody": {
        "required": True,
        "description": "Readings as a JSON array, or one JSON object per line (NDJSON).",
        "content": {
            "application/json": {"schema": _ARRAY, "example": _READINGS_EXAMPLE},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}

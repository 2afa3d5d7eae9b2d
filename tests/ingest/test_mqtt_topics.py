"""Topic and payload → readings: keyValues, normalized, batch, local ids, and every rejection."""

from __future__ import annotations

import orjson
import pytest

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.ingest.mqtt_topics import (
    BadMessage,
    MessageRules,
    Reason,
    parse_topic,
    readings_of,
    reason_of,
)

RULES = MessageRules(root="cityioc", max_payload_bytes=1024, max_clock_skew_ms=60_000)
NOW = parse_datetime_ms("2026-11-25T10:00:00Z")
AT = "2026-11-25T09:59:00Z"
X = "cityioc/default/T/x/attrs"


def read(topic: str, body: object) -> tuple[str, list[dict[str, object]]]:
    return readings_of(topic, orjson.dumps(body), RULES, NOW)


def rejected(topic: str, payload: bytes) -> BadMessage:
    with pytest.raises(BadMessage) as caught:
        readings_of(topic, payload, RULES, NOW)
    return caught.value


def test_key_values_with_a_local_id_become_readings_of_a_typed_urn() -> None:
    tenant, items = read(
        "cityioc/default/AirQualityObserved/tdm-01/attrs",
        {"pm25": 12.3, "pm10": 30.1, "observedAt": AT},
    )
    assert tenant == "default"
    eid = "urn:ngsi-ld:AirQualityObserved:tdm-01"
    assert items == [
        {"entity": eid, "attribute": "pm25", "value": 12.3, "observedAt": AT,
         "type": "AirQualityObserved"},
        {"entity": eid, "attribute": "pm10", "value": 30.1, "observedAt": AT,
         "type": "AirQualityObserved"},
    ]  # fmt: skip


def test_a_full_urn_in_the_topic_is_kept() -> None:
    _, items = read(
        "cityioc/binhduong/WeatherObserved/urn:ngsi-ld:WeatherObserved:x/attrs", {"temperature": 31}
    )
    assert items[0]["entity"] == "urn:ngsi-ld:WeatherObserved:x"


def test_normalized_attributes_carry_their_own_time_unit_and_dataset() -> None:
    _, items = read(
        "cityioc/default/AirQualityObserved/tdm-02/attrs",
        {
            "pm25": {"type": "Property", "value": 40, "unitCode": "GQ", "observedAt": AT},
            "no2": {"type": "Property", "value": 7, "datasetId": "urn:ngsi-ld:Dataset:a"},
            "observedAt": "2026-11-25T09:58:00Z",
        },
    )
    assert items[0]["observedAt"] == AT and items[0]["unitCode"] == "GQ"
    assert items[1]["observedAt"] == "2026-11-25T09:58:00Z"
    assert items[1]["datasetId"] == "urn:ngsi-ld:Dataset:a"


def test_a_structured_value_with_a_type_member_is_a_key_value() -> None:
    point = {"type": "Point", "coordinates": [106.6, 10.9]}
    _, items = read("cityioc/default/Vehicle/bus-1/attrs", {"position": point})
    assert items[0]["value"] == point


def test_without_observed_at_the_receipt_time_is_used() -> None:
    _, items = read("cityioc/default/FloodMonitoring/f1/attrs", {"currentLevel": 1.5})
    assert items[0]["observedAt"] == iso_ms(NOW)


def test_the_batch_topic_takes_entities_and_readings() -> None:
    tenant, items = read(
        "cityioc/t1/batch",
        [
            {"id": "urn:ngsi-ld:WeatherObserved:a", "type": "WeatherObserved",
             "temperature": 30, "observedAt": AT},
            {"id": "urn:ngsi-ld:AirQualityObserved:b", "type": "AirQualityObserved",
             "pm25": {"type": "Property", "value": 3}},
            {"entity": "urn:ngsi-ld:FloodMonitoring:c", "attribute": "currentLevel",
             "value": 0.4, "observedAt": AT},
        ],
    )  # fmt: skip
    assert tenant == "t1"
    assert [(i["entity"], i["attribute"]) for i in items] == [
        ("urn:ngsi-ld:WeatherObserved:a", "temperature"),
        ("urn:ngsi-ld:AirQualityObserved:b", "pm25"),
        ("urn:ngsi-ld:FloodMonitoring:c", "currentLevel"),
    ]
    assert items[1]["type"] == "AirQualityObserved" and items[1]["observedAt"] == iso_ms(NOW)
    _, wrapped = read("cityioc/t1/batch", {"entities": [{"id": "urn:a:b", "type": "T", "x": 1}]})
    assert wrapped[0]["attribute"] == "x"


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("other/default/T/x/attrs", b"{}", Reason.invalid_topic),
        ("cityioc/default/T/x", b"{}", Reason.invalid_topic),
        ("cityioc/bad tenant/T/x/attrs", b"{}", Reason.invalid_topic),
        ("cityioc/default/1Type/x/attrs", b"{}", Reason.invalid_topic),
        ("cityioc/default/T//attrs", b"{}", Reason.invalid_topic),
        (X, b"{not json", Reason.malformed_json),
        (X, b"x" * 1025, Reason.too_large),
        (X, b"[1, 2]", Reason.invalid_payload),
        (X, b"{}", Reason.invalid_payload),
        (X, b'{"observedAt": "2026-11-25T09:00:00Z"}', Reason.invalid_payload),
        (X, b'{"pm25": null}', Reason.invalid_payload),
        (X, b'{"pm25": {"type": "Property"}}', Reason.invalid_payload),
        (X, b'{"owner": {"type": "Relationship", "object": "urn:a:b"}}',
         Reason.invalid_payload),
        (X, b'{"pm25": {"type": "Property", "value": 1, "unitCode": 5}}',
         Reason.invalid_payload),
        (X, b'{"pm25": 1, "observedAt": "yesterday"}', Reason.invalid_time),
        (X, b'{"pm25": 1, "observedAt": 1764064800}', Reason.invalid_time),
        (X, b'{"pm25": 1, "observedAt": "1970-01-01T00:00:00Z"}',
         Reason.time_out_of_range),
        (X, b'{"pm25": 1, "observedAt": "2026-11-25T10:02:00Z"}',
         Reason.time_out_of_range),
        ("cityioc/default/batch", b'{"id": "urn:a:b"}', Reason.invalid_payload),
        ("cityioc/default/batch", b'[{"id": "x", "type": "T", "a": 1}]', Reason.invalid_payload),
        ("cityioc/default/batch", b'[{"id": "urn:a:b", "type": "T", "a": null}]',
         Reason.invalid_payload),
        ("cityioc/default/batch", b"[5]", Reason.invalid_payload),
    ],
)  # fmt: skip
def test_bad_messages_are_rejected_whole_with_a_reason(
    topic: str, payload: bytes, reason: Reason
) -> None:
    bad = rejected(topic, payload)
    assert bad.reason is reason
    assert bad.detail


def test_a_time_within_the_allowed_clock_skew_is_accepted() -> None:
    _, items = read(X, {"a": 1, "observedAt": "2026-11-25T10:00:59Z"})
    assert items[0]["observedAt"] == "2026-11-25T10:00:59Z"


def test_a_root_with_levels_and_the_subscription_filters() -> None:
    rules = MessageRules(root="vn/binhduong/cityioc")
    assert parse_topic("vn/binhduong/cityioc/default/T/x/attrs", rules.root).entity_id == (
        "urn:ngsi-ld:T:x"
    )
    assert rules.filters() == [
        "vn/binhduong/cityioc/+/+/+/attrs",
        "vn/binhduong/cityioc/+/batch",
    ]


def test_hub_errors_map_to_reasons() -> None:
    assert reason_of(ResourceNotFound("gone")) is Reason.unknown_entity
    assert reason_of(BadRequestData("bad")) is Reason.rejected

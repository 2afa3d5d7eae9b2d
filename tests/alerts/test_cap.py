"""CAP 1.2: parsing good and bad documents, mapping to alerts, updates, cancels, expiry, and a
feed polled from a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cityioc.alerts.cap import parse_cap
from cityioc.alerts.cap_feed import CapFeed
from cityioc.alerts.cap_intake import CapIntake
from cityioc.core.clock import FakeClock, parse_datetime_ms
from cityioc.core.errors import BadRequestData
from cityioc.store.port import Store
from tests.alerts.conftest import make_rig

NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap(
    identifier: str = "KTTV-2026-0815",
    msg_type: str = "Alert",
    references: str = "",
    status: str = "Actual",
    expires: str = "2026-08-21T06:00:00+07:00",
    headline_vi: str = "Cảnh báo mưa lớn khu vực Thuận An, Dĩ An",
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{NS}">
  <identifier>{identifier}</identifier>
  <sender>kttv.nchmf.gov.vn</sender>
  <sent>2026-08-20T16:30:00+07:00</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  {refs}
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Mưa lớn</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>SDM</valueName><value>heavyRain</value></eventCode>
    <effective>2026-08-20T17:00:00+07:00</effective>
    <expires>{expires}</expires>
    <senderName>Trung tâm Dự báo KTTV quốc gia</senderName>
    <headline>{headline_vi}</headline>
    <description>Mưa 50-100 mm trong 3 giờ.</description>
    <instruction>Không đi qua các hầm chui.</instruction>
    <area>
      <areaDesc>Thuận An; Dĩ An</areaDesc>
      <polygon>10.88,106.68 10.88,106.80 10.96,106.80 10.96,106.68 10.88,106.68</polygon>
    </area>
  </info>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Heavy rain</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <headline>Heavy rain warning for Thuan An and Di An</headline>
    <area><areaDesc>Thuận An; Dĩ An</areaDesc><circle>10.92,106.74 5</circle></area>
  </info>
</alert>""".encode()


CAP_ALERT = cap()


def test_a_good_document_is_read_in_full() -> None:
    message = parse_cap(CAP_ALERT)
    assert (message.identifier, message.msg_type, message.status) == (
        "KTTV-2026-0815",
        "Alert",
        "Actual",
    )
    vi, en = message.infos
    assert vi.language == "vi-VN" and vi.categories == ["Met"] and vi.severity == "Severe"
    assert vi.areas[0].polygons[0][0] == (106.68, 10.88)  # lat,lon → (lon, lat)
    assert en.areas[0].circles == [(106.74, 10.92, 5.0)]
    assert vi.expires == parse_datetime_ms("2026-08-20T23:00:00Z")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"not xml", "not well-formed XML"),
        (b"<alert/>", "root element must be <alert>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><alert>&x;</alert>',
            "unsafe XML refused",
        ),
        (
            CAP_ALERT.replace(b"<urgency>Expected</urgency>", b"<urgency>Soon</urgency>", 1),
            "info[1].urgency: 'Soon' is not one of Immediate",
        ),
        (CAP_ALERT.replace(b"<category>Met</category>", b"", 1), "info[1].category: at least one"),
        (
            CAP_ALERT.replace(b"<sent>2026-08-20T16:30:00+07:00</sent>", b"<sent>yesterday</sent>"),
            "sent: 'yesterday' is not a CAP date-time",
        ),
        (
            CAP_ALERT.replace(b"<identifier>KTTV-2026-0815</identifier>", b""),
            "identifier: is required",
        ),
        (cap(msg_type="Update"), "references: a Update must reference"),
        (
            CAP_ALERT.replace(b"10.88,106.68 10.88,106.80", b"10.88,106.68 abc"),
            "polygon[1]: 'abc' is not 'lat,lon'",
        ),
    ],
)
def test_bad_documents_are_refused_with_the_reason(document: bytes, expected: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        parse_cap(document)
    assert expected in caught.value.detail


async def test_messages_raise_update_and_cancel_one_alert(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [])
    intake = CapIntake(rig.alerts, fake_clock)
    first = await intake.receive("default", CAP_ALERT, "test")
    [entry] = first.alerts
    assert entry["what"] == "raised"
    alert = await rig.alerts.get("default", entry["id"])
    assert alert.title == {
        "vi": "Cảnh báo mưa lớn khu vực Thuận An, Dĩ An",
        "en": "Heavy rain warning for Thuan An and Di An",
    }
    assert alert.get("subCategory") == "heavyRain" and alert.get("category") == "weather"
    assert alert.severity == "high" and alert.get("capCertainty") == "Likely"
    assert alert.get("location")["type"] == "Polygon"  # the Vietnamese info's area
    assert alert.get("capInstruction") == {"vi": "Không đi qua các hầm chui."}
    assert alert.source == "Trung tâm Dự báo KTTV quốc gia"
    assert (await intake.receive("default", CAP_ALERT, "test")).ignored
    update = cap(
        "KTTV-2026-0816",
        "Update",
        "kttv.nchmf.gov.vn,KTTV-2026-0815,2026-08-20T16:30:00+07:00",
        headline_vi="Mưa lớn tiếp diễn",
    )
    assert (await intake.receive("default", update, "test")).alerts == [
        {"id": entry["id"], "what": "repeated"}
    ]
    alert = await rig.alerts.get("default", entry["id"])
    assert alert.count == 2 and alert.title["vi"] == "Mưa lớn tiếp diễn"
    test = await intake.receive("default", cap("T-1", status="Exercise"), "test")
    assert test.ignored and "Exercise" in test.ignored
    cancel = cap(
        "KTTV-2026-0817",
        "Cancel",
        "kttv.nchmf.gov.vn,KTTV-2026-0816,2026-08-20T17:30:00+07:00",
    )
    assert (await intake.receive("default", cancel, "test")).alerts[0]["what"] == "cleared"
    assert not (await rig.alerts.get("default", entry["id"])).active
    assert len(await rig.alerts_list()) == 1


async def test_alerts_expire(engine_store: Store, fake_clock: FakeClock) -> None:
    rig = await make_rig(engine_store, fake_clock, [])
    intake = CapIntake(rig.alerts, fake_clock)
    fake_clock._now = parse_datetime_ms("2026-08-20T17:00:00+07:00")
    [entry] = (await intake.receive("default", CAP_ALERT, "test")).alerts
    assert await intake.expire("default") == 0
    fake_clock._now = parse_datetime_ms("2026-08-21T06:00:01+07:00")
    assert await intake.expire("default") == 1
    alert = await rig.alerts.get("default", entry["id"])
    assert alert.status == "cleared" and alert.get("clearedBy") == "cap:expired"


class _Feed(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.documents.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def feed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_polled_atom_feed_raises_each_message_once(
    engine_store: Store, fake_clock: FakeClock, feed_server: str
) -> None:
    rig = await make_rig(engine_store, fake_clock, [])
    fake_clock._now = parse_datetime_ms("2026-08-20T17:00:00+07:00")
    atom = f"""<feed xmlns="http://www.w3.org/2005/Atom"><title>KTTV</title>
      <entry><id>1</id><link href="{feed_server}/cap/1.xml" type="application/cap+xml"/></entry>
      <entry><id>2</id><content type="application/xml">{cap("E-2").decode().split("?>", 1)[1]}
      </content></entry></feed>""".encode()
    _Feed.documents = {"/feed.xml": atom, "/cap/1.xml": CAP_ALERT}
    feed = CapFeed(f"{feed_server}/feed.xml", CapIntake(rig.alerts, fake_clock))
    try:
        assert await feed.poll_once() == 2
        assert await feed.poll_once() == 0  # polling again changes nothing
        assert len(await rig.alerts_list()) == 2
        _Feed.documents = {}
        assert await feed.poll_once() == 0  # a failing feed is logged, not raised
        bad = CapFeed(f"{feed_server}/nothing", CapIntake(rig.alerts, fake_clock))
        assert await bad.poll_once() == 0
        await bad.aclose()
    finally:
        await feed.aclose()

"""One MQTT 5 connection driven by the asyncio event loop: paho-mqtt for the protocol, the loop
for the socket (paho's external-loop callbacks, as aiomqtt does), so no thread hands messages over.

paho-mqtt (≥ 2.1) because it acknowledges QoS 1 messages only when told (``manual_ack``): a
message is acknowledged after its readings are committed, so a crash means redelivery, never loss.
The session is persistent (``clean_start=False`` and a session expiry), under a stable client id:
after a crash the broker resends what was not acknowledged. Reconnects back off exponentially;
a failing broker is logged once, and once again on recovery.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
READS_PER_WAKEUP = 256  # packets read per readiness event (paho reads one per call)

RECV_BYTES = 1 << 16
# (topic, payload, mid, qos, generation): what the connection hands over per message.
OnMessage = Callable[[str, bytes, int, int, int], None]


class _BufferedClient(paho.Client):
    """paho tuned for one consumer (paho-mqtt 2.x private methods, hence the version bound).

    paho reads a packet a byte or two per ``recv`` call (header, length, body): here a call takes
    what is buffered and the socket is read 64 KiB at a time. It was the largest single cost of
    the consumer (18 % of its time in the MQTT benchmark); paho handles short reads."""

    _rx = b""
    _rx_pos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        data, pos = self._rx, self._rx_pos
        if pos >= len(data):
            data = super()._sock_recv(RECV_BYTES)  # BlockingIOError when there is nothing
            if not data:
                return data  # the connection was closed
            self._rx, pos = data, 0
        self._rx_pos = pos + bufsize
        return data[pos : pos + bufsize]

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        # One handler for every topic: skip paho's per-topic callback matcher (~5 % of the time).
        handler = self.on_message
        if handler is not None:
            handler(self, self._userdata, message)

    def buffered(self) -> bool:
        return self._rx_pos < len(self._rx)

    def forget_buffer(self) -> None:
        self._rx, self._rx_pos = b"", 0


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @staticmethod
    def parse(url: str) -> Endpoint:
        """``mqtt://[user[:password]@]host[:port]``."""
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError(f"an MQTT URL looks like mqtt://host:1883, not {url!r}")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return Endpoint(parts.hostname, parts.port or 1883, user, password)

    def __str__(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


class MqttConnection:
    def __init__(
        self,
        endpoint: Endpoint,
        client_id: str,
        subscriptions: list[str],
        on_message: OnMessage,
        *,
        receive_maximum: int,
        session_expiry_s: int,
    ) -> None:
        self.endpoint = endpoint
        self.client_id = client_id
        self.subscriptions = subscriptions
        self.generation = 0  # counts successful connections: acks go only to the one that received
        self.connected = False
        self._on_message = on_message
        self._receive_maximum = receive_maximum
        self._session_expiry_s = session_expiry_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost = asyncio.Event()
        self._up = asyncio.Event()
        self._received = 0
        self._client = self._make_client()

    def _make_client(self) -> _BufferedClient:
        client = _BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if self.endpoint.username is not None:
            client.username_pw_set(self.endpoint.username, self.endpoint.password)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_socket_open = self._socket_open
        client.on_socket_close = self._socket_close
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._done_writing
        return client

    # --- the run loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and stay connected until cancelled."""
        self._loop = asyncio.get_running_loop()
        failures, delay = 0, BACKOFF_FIRST_S
        misc = asyncio.create_task(self._misc_forever())
        try:
            while True:
                self._lost.clear()
                self._up.clear()
                problem = await self._connect_once()
                if problem is None:
                    if failures:
                        log.info(
                            "MQTT broker %s reachable again after %d failed attempts",
                            self.endpoint,
                            failures,
                        )
                    failures, delay = 0, BACKOFF_FIRST_S
                    await self._lost.wait()
                    self.connected = False
                    problem = "the connection was lost"
                    if self._up.is_set():
                        log.warning("MQTT connection to %s lost; reconnecting", self.endpoint)
                        failures = 1
                        continue
                if failures == 0:
                    log.warning(
                        "MQTT broker %s unavailable (%s); retrying with backoff up to %.0f s",
                        self.endpoint,
                        problem,
                        BACKOFF_MAX_S,
                    )
                failures += 1
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, BACKOFF_MAX_S)
        finally:
            misc.cancel()
            self.connected = False

    async def _connect_once(self) -> str | None:
        """Open the session; None when it is up, else what went wrong."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._session_expiry_s
        props.ReceiveMaximum = self._receive_maximum
        assert self._loop is not None
        try:
            # paho's connect blocks on the TCP handshake: keep it off the event loop.
            await self._loop.run_in_executor(
                None,
                lambda: self._client.connect(
                    self.endpoint.host,
                    self.endpoint.port,
                    keepalive=KEEPALIVE_S,
                    clean_start=False,
                    properties=props,
                ),
            )
        except OSError as err:  # TimeoutError included
            return str(err) or type(err).__name__
        up = asyncio.ensure_future(self._up.wait())
        lost = asyncio.ensure_future(self._lost.wait())
        done, pending = await asyncio.wait(
            {up, lost}, timeout=KEEPALIVE_S, return_when="FIRST_COMPLETED"
        )
        for task in pending:
            task.cancel()
        if up in done:
            return None
        self._client.disconnect()
        return "the broker refused the connection" if lost in done else "no answer to CONNECT"

    async def _misc_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self._client.socket() is not None:
                self._client.loop_misc()  # keep-alive pings, timeouts

    async def close(self) -> None:
        """Disconnect cleanly; the session (and what it holds unacknowledged) stays."""
        if self._client.socket() is not None:
            self._client.disconnect()
            self._client.loop_write()
        self.connected = False

    def drop(self) -> None:
        """End this connection (the session stays): the broker resends what is unacknowledged."""
        if self._client.socket() is not None:
            self._client.disconnect()

    def ack(self, mid: int, qos: int, generation: int) -> None:
        """Acknowledge a message received on this connection; one received before a reconnect
        is not acknowledged: the broker sends it again, and its repeat is stored once."""
        if qos and generation == self.generation and self.connected:
            self._client.ack(mid, qos)

    # --- paho callbacks ------------------------------------------------------------------------

    def _connected(
        self, client: paho.Client, _: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            log.debug("MQTT CONNECT refused: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.subscriptions])
        self.generation += 1
        self.connected = True
        self._up.set()

    def _disconnected(
        self, client: paho.Client, _: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        self.connected = False
        self._lost.set()

    def _message(self, client: paho.Client, _: Any, message: paho.MQTTMessage) -> None:
        self._received += 1
        self._on_message(
            message._topic.decode("utf-8", "replace"),  # the property would decode it again
            bytes(message.payload),
            message.mid,
            message.qos,
            self.generation,
        )

    def _socket_open(self, client: paho.Client, _: Any, sock: Any) -> None:
        self._client.forget_buffer()  # bytes of an earlier connection
        self._call(self._attach, sock)

    def _attach(self, sock: Any) -> None:
        assert self._loop is not None
        self._loop.add_reader(sock, self._readable)

    def _readable(self) -> None:
        client = self._client
        if client.socket() is None:
            client.forget_buffer()
            return
        for _ in range(READS_PER_WAKEUP):
            before = self._received
            client.loop_read()
            if self._received == before and not client.buffered():
                return  # nothing more waiting
        if client.buffered() and self._loop is not None:
            self._loop.call_soon(self._readable)  # the socket may be drained: don't wait on it

    def _socket_close(self, client: paho.Client, _: Any, sock: Any) -> None:
        def detach() -> None:
            assert self._loop is not None
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)

        self._call(detach)

    def _want_write(self, client: paho.Client, _: Any, sock: Any) -> None:
        self._call(lambda: self._loop.add_writer(sock, client.loop_write) if self._loop else None)

    def _done_writing(self, client: paho.Client, _: Any, sock: Any) -> None:
        def stop_watching() -> None:
            if self._loop is not None:
                self._loop.remove_writer(sock)

        self._call(stop_watching)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        """Run on the event loop: paho calls back from the connect thread too."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

"""A real HTTP receiver of NGSI-LD notifications for tests: records what it gets, and can be told
to fail (answer 500) or to go away (stop listening) and come back on the same port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from tests.e2e.server import free_port


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.failing = False
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if receiver.failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(orjson.loads(body))
                    receiver.headers.append(dict(self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def entities(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e for n in self.received for e in n["data"]]

    def wait_until(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """The entities notified so far, once ``done`` says they are what was expected."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.entities()
            if done(got):
                return got
            time.sleep(0.02)
        raise AssertionError(f"the notifications never matched: {self.entities()}")

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The entities notified so far, once there are at least ``count``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.entities()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} notified entities, got {len(self.entities())}")

"""The real ``cityioc serve`` process for a benchmark, and a plain keep-alive HTTP client.

Every request goes to 127.0.0.1. The client is ``http.client``: no pooling or retries of its own, so
what is timed is one request on one open connection.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

HOST = "127.0.0.1"
ADMIN_KEY = "bench-admin-key-not-a-secret"  # the throwaway servers' only key; never a real one


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def auth_headers(content_type: str | None = "application/json") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


class Http:
    """One keep-alive connection; reconnects once if the server closed it between requests."""

    def __init__(self, port: int, timeout: float = 300.0) -> None:
        self.port = port
        self.timeout = timeout
        self._conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        hdrs = headers if headers is not None else auth_headers()
        for attempt in range(2):
            try:
                self._conn.request(method, path, body=body, headers=hdrs)
                response = self._conn.getresponse()
                data = response.read()
                return response.status, dict(response.getheaders()), data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._conn.close()
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, payload: Any = None, ok: tuple[int, ...] = ()) -> Any:
        """JSON in, JSON out; raises unless the status is 2xx (or in ``ok``)."""
        body = orjson.dumps(payload) if payload is not None else None
        status, _, data = self.request(method, path, body)
        if not (200 <= status < 300 or status in ok):
            raise RuntimeError(f"{method} {path} answered {status}: {data[:500]!r}")
        return orjson.loads(data) if data else None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Server:
    """``python -m cityioc.cli serve`` on a free port, ready when ``/readyz`` answers 200."""

    def __init__(self, database_url: str, workdir: Path, label: str) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / f"server-{label}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        # A clean environment: no stray CITYIOC_* setting or cityioc.toml changes what is measured.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITYIOC_")}
        env["CITYIOC_ADMIN_KEY"] = ADMIN_KEY
        command = [sys.executable, "-m", "cityioc.cli", "serve", "--port", str(self.port)]
        command += ["--host", HOST, "--database-url", self.database_url]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            if self._ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout:.0f} s: {self.log_tail()}")

    def _ready(self) -> bool:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", "/readyz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def client(self) -> Http:
        return Http(self.port)


def metric(http: Http, name: str) -> float | None:
    """One unlabelled value from the server's Prometheus ``/metrics``."""
    status, _, data = http.request("GET", "/metrics", None, {})
    if status != 200:
        return None
    for line in data.decode().splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return float(value)
    return None

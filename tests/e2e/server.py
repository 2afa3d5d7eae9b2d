"""Start the real ``cityioc serve`` process for end-to-end tests, and kill it like a crash would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(
        self,
        database_url: str,
        admin_key: str,
        workdir: Path,
        env: dict[str, str] | None = None,  # further CITYIOC_* settings, e.g. CITYIOC_MQTT_URL
    ) -> None:
        self.database_url = database_url
        self.admin_key = admin_key
        self.workdir = workdir
        self.env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "CITYIOC_ADMIN_KEY": self.admin_key,
            "CITYIOC_DATABASE_URL": self.database_url,
            "CITYIOC_PORT": str(self.port),
            "CITYIOC_ENVIRONMENT": "test",
            **self.env,
        }
        log_path = self.workdir / f"server-{self.port}.log"
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cityioc.cli", "serve"],
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log_path}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — what a crash or the OOM killer does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

"""The stage of the scenario tests (docs: /work/shared/SCENARIOS.md): the real app (FastAPI
TestClient) on a ``FakeClock``, with the demo's simulator runtime loading the Bình Dương pack; the
simulator is stepped by hand (no real-time loop), and after each step the rule engine is let catch
up and tick — deterministic and fast."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock, iso_ms, to_ms
from cityioc.core.settings import Settings
from cityioc.sim.publishers import InProcessPublisher
from cityioc.sim.runtime import DemoOptions, SimulationRuntime
from cityioc.sim.simulator import Simulator
from cityioc.web.app import create_app
from cityioc.web.state import City

LOCAL = timezone(timedelta(hours=7))
RULE = "urn:ngsi-ld:AlertRule:"
DAY = 24 * 3_600_000


def local_ms(text: str) -> int:
    """``2026-08-20 17:05`` in Bình Dương (UTC+7) → epoch ms."""
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=LOCAL))


@dataclass(slots=True)
class SteppedRuntime(SimulationRuntime):
    """The demo's runtime (it loads the pack the same way) without its real-time loop: the test
    steps the simulator itself, so each simulated interval is published exactly once."""

    interval_ms: int = 60_000  # how often each sensor reports

    async def _run(self, city: City) -> None:
        self.simulator = await Simulator.from_hub(
            city.hub,
            self.options.tenant,
            seed=self.options.seed,
            interval_ms=self.interval_ms,
            max_lag_ms=DAY,  # a long step publishes all it covers: never "fell behind"
        )
        self.phase = "live"


@dataclass(slots=True)
class Story:
    client: TestClient
    city: City
    clock: FakeClock
    runtime: SteppedRuntime
    keys: dict[str, str]
    # jobs the server would run on its own timers (the AQI job …), run after each step
    jobs: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def call(self, fn: Any, *args: Any) -> Any:
        return self.client.portal.call(fn, *args)  # type: ignore[union-attr]

    def key(self, role: str, name: str, agency: str | None = None) -> str:
        async def make() -> str:
            _, secret = await self.city.keys.create(role, name, "test", agency=agency)
            return secret

        self.keys[name] = self.call(make)
        return self.keys[name]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def start_scenario(self, name: str, start: str, **options: Any) -> dict[str, Any]:
        """The operator starts a simulator scenario at ``start`` (local time); the run."""
        made = self.client.post(
            f"/api/v1/sim/scenarios/{name}",
            headers=self.as_("operator"),
            json={"start": iso_ms(local_ms(start)), **options},
        )
        assert made.status_code == 201, made.text
        run: dict[str, Any] = made.json()
        return run

    def run_until(self, until_ms: int, step_minutes: int = 1) -> None:
        """Simulated steps up to ``until_ms``: publish, evaluate, run the jobs, tick the engine's
        timers."""
        engine = self.client.app.state.alerts.engine  # type: ignore[attr-defined]
        sim = self.runtime.require()
        publisher = InProcessPublisher(self.city.hub, actor="simulator")

        async def step() -> None:
            self.clock.advance(minutes=min(step_minutes, (until_ms - self.clock.now_ms()) / 60_000))
            await sim.step(publisher)
            await engine.idle()
            for job in self.jobs:
                await job()
                await engine.idle()
            await engine.tick()
            await engine.idle()

        while self.clock.now_ms() < until_ms:
            self.call(step)

    def minutes(self, n: int) -> None:
        """People take time: the city keeps reporting meanwhile."""
        self.run_until(self.clock.now_ms() + n * 60_000)

    def anonymous(self, path: str, **params: str) -> Any:
        """A GET as the public: no key at all (the client sends the admin's by default)."""
        saved = self.client.headers.pop("Authorization")
        try:
            return self.client.get(path, params=params)
        finally:
            self.client.headers["Authorization"] = saved

    def actor(self, who: str) -> str:
        """The audit's name for a key: ``key:`` and its public id (``cio_<id>_<secret>``)."""
        return "key:" + self.keys[who].split("_")[1]

    def alerts_of(self, rule: str) -> list[dict[str, Any]]:
        """The alerts of one rule of the pack (its short id), as the operator lists them."""
        got = self.client.get(
            "/api/v1/alerts", params={"limit": "100"}, headers=self.as_("operator")
        )
        assert got.status_code == 200, got.text
        items: list[dict[str, Any]] = got.json()["items"]
        return [a for a in items if a.get("refRule") == RULE + rule.removeprefix(RULE)]


@contextmanager
def open_story(
    database_url: str,
    tmp_path: Path,
    start: str,
    admin_key: str,
    *,
    interval_ms: int = 60_000,
) -> Iterator[Story]:
    """The app on a fake clock at local time ``start``, the pack loaded, an ``operator`` key."""
    clock = FakeClock(local_ms(start))
    settings = Settings(
        database_url=database_url,
        admin_key=admin_key,
        environment="test",
        media_dir=str(tmp_path / "media"),
        aqi_interval_s=0,  # the AQI job would run on the real clock: a story runs it by hand
    )
    runtime = SteppedRuntime(DemoOptions(pack="binh-duong", seed=7), interval_ms=interval_ms)
    app = create_app(settings, clock=clock, simulation=runtime)
    with TestClient(app, headers={"Authorization": f"Bearer {admin_key}"}) as client:
        city: City = app.state.city
        s = Story(client, city, clock, runtime, {})
        s.call(_wait_for(runtime))
        s.key("operator", "operator")
        yield s


def _wait_for(runtime: SteppedRuntime) -> Any:
    async def ready() -> None:
        assert runtime._task is not None
        await runtime._task  # from_hub read the pack's sensors

    return ready

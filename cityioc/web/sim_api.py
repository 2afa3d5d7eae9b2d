"""``/api/v1/sim``: the demo's simulator — its state, its scenarios, and triggering one
(HTTP mapping only; present when the server runs a simulator, as ``cityioc demo`` does)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from cityioc.core.clock import parse_datetime_ms
from cityioc.core.errors import BadRequestData
from cityioc.sim.runtime import SimulationRuntime
from cityioc.sim.simulator import Simulator
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import principal_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1/sim", tags=["demo simulator"])


class Trigger(BaseModel):
    start: str | None = Field(
        None,
        description="ISO 8601 time; default: now. In the past: the touched sensors' readings"
        " since then are published again with the scenario (history shows the episode from its"
        " start; a demo can start mid-episode)",
    )
    durationMinutes: float | None = Field(None, gt=0, le=7 * 24 * 60)  # noqa: N815 (JSON name)
    intensity: float = Field(1.0, gt=0, le=5)
    area: str | None = Field(None, description="limit to sensors of this area (name)")
    target: str | None = Field(None, description="one sensor or segment id")


def _runtime(request: Request) -> SimulationRuntime:
    found: SimulationRuntime = request.app.state.simulation
    return found


@router.get("", summary="The simulator: phase, history written, scenarios and their runs")
async def status(request: Request) -> dict[str, Any]:
    runtime = _runtime(request)
    now = city(request).clock.now_ms()
    sim = runtime.simulator
    history = runtime.history
    return {
        "phase": runtime.phase,
        "sensors": len(sim.fleet) if sim else None,
        "stats": sim.stats.to_dict() if sim else None,
        "history": None
        if history is None
        else {"readings": history.accepted, "seconds": round(history.seconds, 1)},
        "scenarios": [asdict(info) for info in Simulator.catalogue()],
        "runs": [run.to_dict(now) for run in sim.runs()] if sim else [],
    }


@router.post(
    "/scenarios/{name}", status_code=201, summary="Start a scenario (heavy_rain, traffic_jam …)"
)
async def trigger(request: Request, name: str, body: Trigger | None = None) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.operator)
    sim = _runtime(request).require()
    options = body or Trigger()
    try:
        start = parse_datetime_ms(options.start) if options.start else None
    except ValueError as err:
        raise BadRequestData(f"start: {err}") from err
    duration = (
        timedelta(minutes=options.durationMinutes) if options.durationMinutes is not None else None
    )
    run = sim.trigger(
        name,
        start=start,
        duration=duration,
        intensity=options.intensity,
        area=options.area,
        target=options.target,
    )
    return run.to_dict(city(request).clock.now_ms())


@router.delete("/scenarios/{run_id}", summary="Stop a scenario run")
async def cancel(request: Request, run_id: str) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.operator)
    run = _runtime(request).require().cancel(run_id)
    return run.to_dict(city(request).clock.now_ms())

"""Operational endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from cityioc import __version__
from cityioc.web.state import city

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="Readiness: the database answers")
async def readyz(request: Request) -> Response:
    c = city(request)
    checks: dict[str, str] = {}
    try:
        await c.store.ping()
        checks["database"] = "ok"
    except Exception as err:  # readiness reports any failure of the dependency
        log.warning("readiness: database check failed: %s", err)
        checks["database"] = "unavailable"
    mqtt = getattr(request.app.state, "mqtt", None)  # an MqttConsumer when mqtt_url is set
    if mqtt is not None:
        checks["mqtt"] = "ok" if mqtt.connected else "unavailable"
    bus = getattr(request.app.state, "bus", None)
    if bus is not None and bus.name != "memory":
        checks["bus"] = "ok" if bus.connected else "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    c = city(request)
    stats = c.store.pool_stats()
    for state, value in stats.items():
        c.metrics.db_pool.labels(state).set(value)
    c.metrics.db_commits.set(c.store.commit_count())
    c.metrics.live_subscribers.set(c.feed.subscriber_count)
    mqtt = getattr(request.app.state, "mqtt", None)
    if mqtt is not None:
        c.metrics.mqtt_connected.set(1 if mqtt.connected else 0)
    c.metrics.outbox_backlog.set(await c.store.subscriptions.backlog())
    alerts = request.app.state.alerts
    c.metrics.rules_leading.set(1 if alerts.evaluating else 0)
    c.metrics.rules_evaluated.set(alerts.engine.evaluated)
    c.metrics.rules_dropped.set(alerts.engine.dropped)
    return Response(generate_latest(c.metrics.registry), media_type=CONTENT_TYPE_LATEST)

"""Prometheus metrics: request rates and latencies per route, ingest rates, database health.

A pure ASGI middleware (not BaseHTTPMiddleware) keeps the per-request cost to a few microseconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cityioc_http_requests_total",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "cityioc_http_request_seconds",
            "HTTP request latency by route",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.readings_ingested = Counter(
            "cityioc_readings_ingested_total",
            "Readings stored through the bulk endpoint",
            registry=self.registry,
        )
        self.entity_writes = Counter(
            "cityioc_entity_writes_total",
            "Entities written (created or changed)",
            registry=self.registry,
        )
        self.samples_written = Counter(
            "cityioc_samples_written_total", "Time-series samples written", registry=self.registry
        )
        self.db_commits = Gauge(
            "cityioc_db_commits",
            "Write transactions committed by this process",
            registry=self.registry,
        )
        self.db_pool = Gauge(
            "cityioc_db_pool_connections",
            "Database pool connections by state",
            ["state"],
            registry=self.registry,
        )
        self.live_subscribers = Gauge(
            "cityioc_live_subscribers", "Open live (SSE) streams", registry=self.registry
        )
        self.notifications = Counter(
            "cityioc_notifications_total",
            "Subscription notifications (entities) by outcome: sent or failed",
            ["outcome"],
            registry=self.registry,
        )
        self.notification_lag = Histogram(
            "cityioc_notification_lag_seconds",
            "From the committed change to the receiver's answer",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300),
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "cityioc_outbox_backlog",
            "Notifications committed and not yet delivered",
            registry=self.registry,
        )

        self.mqtt_messages = Counter(
            "cityioc_mqtt_messages_total",
            "MQTT messages handled (stored or dead-lettered) and acknowledged",
            registry=self.registry,
        )
        self.mqtt_readings = Counter(
            "cityioc_mqtt_readings_total", "Readings stored from MQTT", registry=self.registry
        )
        self.dead_letters = Counter(
            "cityioc_dead_letters_total",
            "Messages or rows sent to the dead letters, by source kind and reason",
            ["source", "reason"],
            registry=self.registry,
        )
        self.mqtt_connected = Gauge(
            "cityioc_mqtt_connected",
            "1 while the MQTT consumer is connected to the broker",
            registry=self.registry,
        )
        self.rules_leading = Gauge(
            "cityioc_rule_engine_leading",
            "1 while this process's rule engine evaluates (for every process, with several)",
            registry=self.registry,
        )
        self.rules_evaluated = Gauge(
            "cityioc_rule_engine_evaluated",
            "Entity changes the rule engine of this process evaluated since it started",
            registry=self.registry,
        )
        self.rules_dropped = Gauge(
            "cityioc_rule_engine_dropped",
            "Entity changes the rule engine dropped, being too far behind, since it started",
            registry=self.registry,
        )

    def count_mqtt(self, messages: int, readings: int, dead_letters: Mapping[str, int]) -> None:
        self.mqtt_messages.inc(messages)
        self.mqtt_readings.inc(readings)
        for reason, count in dead_letters.items():
            self.dead_letters.labels("mqtt", reason).inc(count)

    def observe_notification(self, outcome: str, count: int, lag_s: float) -> None:
        self.notifications.labels(outcome).inc(count)
        if outcome == "sent":
            self.notification_lag.observe(lag_s)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    @staticmethod
    def _route_of(scope: Scope) -> str:
        """The route template (``/ngsi-ld/v1/entities/{entity_id}``), set by the router."""
        return str(getattr(scope.get("route"), "path", "unmatched"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = self._route_of(scope)
            method = scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - start)

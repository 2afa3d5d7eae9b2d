"""ASGI application assembly: settings → store → hub → routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cityioc import __version__
from cityioc.accounts.service import Accounts
from cityioc.alerts.module import AlertsModule
from cityioc.bus.events import ChangeEvent
from cityioc.bus.factory import make_bus
from cityioc.core.clock import Clock, SystemClock
from cityioc.core.gc_policy import settle_for_server
from cityioc.core.settings import Settings
from cityioc.hub.context import ContextResolver, core_context
from cityioc.hub.models import Mutation
from cityioc.hub.render import View, render
from cityioc.hub.retention import retention_loop
from cityioc.hub.service import Hub
from cityioc.hub.visibility import Visibility
from cityioc.incidents.access import entity_readable as incident_readable
from cityioc.incidents.models import INCIDENT_TYPE
from cityioc.incidents.setup import build as build_incidents
from cityioc.ingest.mqtt import ConsumerConfig, MqttConsumer
from cityioc.sim.runtime import SimulationRuntime
from cityioc.store.factory import make_store
from cityioc.store.port import Store
from cityioc.subscriptions.matcher import SubscriptionIndex
from cityioc.subscriptions.notifier import Notifier
from cityioc.subscriptions.periodic import PeriodicNotifications
from cityioc.subscriptions.service import Subscriptions
from cityioc.web import (
    admin_api,
    alerts_api,
    catalogue_api,
    dead_letters_api,
    direct_routes,
    errors,
    import_api,
    incidents_api,
    live_api,
    ngsi_batch,
    ngsi_discovery,
    ngsi_entities,
    ngsi_subscriptions,
    ngsi_temporal,
    ops_api,
    readings,
    sensors_api,
    session_api,
    sim_api,
    ui,
    users_api,
)
from cityioc.web.auth import KeyRing
from cityioc.web.live import ChangeFeed
from cityioc.web.metrics import Metrics, MetricsMiddleware
from cityioc.web.state import City

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    simulation: SimulationRuntime | None = None,
) -> FastAPI:
    """The application; ``simulation`` makes it the living demo (``cityioc demo``)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    store = store or make_store(settings.database_url, clock)
    metrics = Metrics()
    contexts = ContextResolver(fetch_timeout_s=settings.context_fetch_timeout_s)
    hub = Hub(store, clock)
    core = core_context()
    feed = ChangeFeed(lambda e: core.compact_entity_keys(render(e, View(form="normalized"))))
    keys = KeyRing(store, clock)
    visibility = Visibility()  # per-type read rules the modules register (agency isolation …)
    index = SubscriptionIndex(visibility)
    hub.set_outbox_policy(index.match)
    subscriptions = Subscriptions(store, clock, contexts, index)
    notifier = Notifier(
        store, clock, contexts, subscriptions.get, observe=metrics.observe_notification
    )
    periodic = PeriodicNotifications(store, clock, contexts, index, notifier.wake)
    accounts = Accounts.from_settings(store, clock, settings)
    city = City(
        settings,
        clock,
        store,
        hub,
        keys,
        contexts,
        feed,
        metrics,
        subscriptions,
        accounts,
        visibility=visibility,
    )

    alerts = AlertsModule.build(hub, clock, settings)  # rules, engine, CAP, AQI (docs/alerts.md)
    incidents = build_incidents(hub, settings)
    visibility.restrict(core_context().expand_type(INCIDENT_TYPE), incident_readable)
    incidents.connect_alerts(alerts.alerts)  # incidentPolicy auto; refIncident via link_incident

    def count_writes(tenant: str, actor: str, mutation: Mutation) -> None:
        metrics.entity_writes.inc(len(mutation.upserts))
        metrics.samples_written.inc(len(mutation.samples))

    mqtt = None
    if settings.mqtt_url:
        mqtt = MqttConsumer(
            ConsumerConfig.from_settings(settings, "serve"),
            hub,
            store,
            clock,
            lambda r: metrics.count_mqtt(r.messages, r.readings, r.dead_letters),
        )

    # Committed changes go to the bus; this process's live streams and notifier (and, with
    # NATS, those of the other processes) take them from there.
    bus = make_bus(settings)
    # Marked evaluated when this process's engine saw it, so that the leading one elsewhere skips
    # it (and takes it otherwise).
    hub.on_change(
        lambda tenant, actor, m: bus.publish(
            ChangeEvent.of(tenant, actor, m, evaluated=alerts.evaluating)
        )
    )
    hub.on_change(count_writes)
    bus.subscribe(lambda e: feed.publish(e.tenant, e.actor, e.as_mutation()))
    bus.subscribe(lambda e: notifier.wake() if e.notifications else None)
    # Subscriptions made through another process reach this one's index through the bus.
    subscriptions.on_changed(
        lambda tenant, actor: bus.publish(ChangeEvent(tenant, actor, subscriptions_changed=True))
    )
    refreshes: set[asyncio.Task[None]] = set()

    def refresh_subscriptions(event: ChangeEvent) -> None:
        if event.subscriptions_changed:
            task = asyncio.get_running_loop().create_task(subscriptions.refresh(event.tenant))
            refreshes.add(task)
            task.add_done_callback(refreshes.discard)

    bus.subscribe(refresh_subscriptions)
    if settings.alerts_engine:  # it only enqueues: this process's changes and unevaluated ones
        bus.subscribe(alerts.engine.handle)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        await subscriptions.refresh()
        await bus.start()
        notifier.start()
        periodic.start()
        if settings.admin_key:
            await keys.create("admin", "CITYIOC_ADMIN_KEY", "system", key=settings.admin_key)
        await alerts.start()
        tasks = [asyncio.create_task(subscriptions.keep_fresh())]
        tasks.append(asyncio.create_task(incidents.monitor.run()))  # the SLA tick
        if settings.raw_retention_days:
            tasks.append(
                asyncio.create_task(retention_loop(store, clock, settings.raw_retention_days))
            )
        if mqtt is not None:
            await mqtt.start()
        settle_for_server()  # start-up objects out of the GC's way (core/gc_policy.py)
        if simulation is not None:
            await simulation.start(city)
        log.info("cityioc %s ready on %s", __version__, store.backend)
        try:
            yield
        finally:
            if simulation is not None:
                await simulation.stop()
            if mqtt is not None:
                await mqtt.stop()  # the batch in hand is committed and acknowledged first
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await alerts.stop()  # rule state persisted
            await incidents.notifier.drain()
            await periodic.stop()
            await notifier.stop()
            await bus.stop()
            await contexts.aclose()
            await store.close()

    app = FastAPI(
        title="cityioc",
        version=__version__,
        description="Intelligent Operations Centre: NGSI-LD data hub, time series, live stream.",
        lifespan=lifespan,
    )
    app.state.city = city
    app.state.bus = bus
    app.state.mqtt = mqtt
    app.state.incidents = incidents
    app.state.alerts = alerts
    errors.install(app)
    session_api.install(app)
    for module in (
        admin_api,
        ngsi_entities,
        ngsi_batch,
        ngsi_temporal,
        ngsi_discovery,
        ngsi_subscriptions,
        readings,
        import_api,
        dead_letters_api,
        live_api,
        ops_api,
        incidents_api,
        session_api,
        users_api,
        alerts_api,
        catalogue_api,
        sensors_api,
    ):
        app.include_router(module.router)
    if simulation is not None:
        app.state.simulation = simulation
        app.include_router(sim_api.router)
    app.include_router(ui.router)
    ui.mount(app)  # last: the web UI's pages never shadow an API route
    direct_routes.install(app)  # the hottest writes skip FastAPI's router walk (first in line)
    ui.compress(app)  # gzip for the UI's script and the entity lists (never the SSE stream)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app

"""The rule engine: committed changes in, alerts out.

``handle`` is a bus handler and only enqueues: the latest state of each changed entity waits in an
ordered map (a newer change of the same entity replaces the waiting one), so the write path never
blocks and the queue is bounded by the number of distinct entities. One worker evaluates the queue
in order — a source's changes are evaluated one after the other, never concurrently — and turns the
evaluators' signals into alert steps. Each change is evaluated once per deployment: by the leading
engine (the only one, or with several processes the lease holder: engine_lease.py), which takes
its process's changes and those published as not evaluated; rule changes are taken from every
process. Time-based kinds advance on
``tick`` (every ``tick_s`` of the injected clock's time; tests call it after moving a FakeClock).
Repeats are written at most every ``repeat_ms`` per alert, and the engine's state is persisted every
``persist_ms`` and at stop (engine_state.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial

from cityioc.alerts.content import content_of
from cityioc.alerts.engine_state import EngineMemory
from cityioc.alerts.external import Adopter
from cityioc.alerts.names import ALERT, ALERT_RULE, RULE_PREFIX, N
from cityioc.alerts.rates import change_rates
from cityioc.alerts.rule_context import CurrentChange, EngineContext
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.rulebook import RuleBook
from cityioc.alerts.rules.compiled import CompiledRule, Signal
from cityioc.alerts.rules.model import MissingRule
from cityioc.alerts.service import Alerts
from cityioc.alerts.write_queue import OrderedWrites
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import Clock
from cityioc.hub.models import StoredEntity
from cityioc.store.port import EntityQuery

log = logging.getLogger(__name__)
ACTOR = "alerts:engine"
MAX_PENDING = 500_000  # distinct entities waiting; beyond this, changes are dropped and counted
YIELD_EVERY = 500  # entities evaluated between two turns of the event loop
SCAN_PAGE = 500
CONCURRENT_WRITES = 256  # alert writes in flight at once (they commit together: hub/grouped.py)
MAX_WRITING = 10_000  # alerts with writes queued; beyond this, evaluation waits for the database


@dataclass(slots=True)
class Repeats:
    """Repeats and refreshes of one alert, waiting to be written together."""

    count: int = 0
    last_seen: int = 0
    signal: Signal | None = None
    refresh: bool = False  # the content changed (AQI category, group members)
    written_at: int = 0


class Engine:
    def __init__(
        self,
        alerts: Alerts,
        rules: RuleStore,
        clock: Clock,
        *,
        tick_s: float = 1.0,
        repeat_ms: int = 60_000,
        update_ms: int = 5_000,
        persist_ms: int = 5_000,
    ) -> None:
        self.alerts, self.rule_store, self.clock = alerts, rules, clock
        self.store = alerts.hub.store
        self.book = RuleBook()
        self.memory = EngineMemory(self.store)
        self.adopter = Adopter(alerts, clock)
        self.tick_s, self.repeat_ms, self.update_ms = tick_s, repeat_ms, update_ms
        self.persist_ms = persist_ms
        self.dropped = 0
        self.evaluated = 0
        # Whether this engine evaluates: with several processes, the one holding the lease does
        # (engine_lease.py); alone, always.
        self.leading = True
        # (tenant, entity id) → its latest state (None: deleted), the attributes changed
        self._pending: dict[tuple[str, str], tuple[StoredEntity | None, set[str] | None]] = {}
        self._reload: set[str] = set()
        self._known: set[str] = set()
        self._signals: list[Signal] = []
        self._current = CurrentChange()  # what the evaluators see of the change at hand
        # (tenant, entity id) → the screened rules pending or firing for it (rule_index.py)
        self._active: dict[tuple[str, str], set[str]] = {}
        self._repeats: dict[tuple[str, str, str], Repeats] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._persisted_at = 0
        # Alert writes per (tenant, rule, source): one alert's steps in order, different alerts
        # side by side and while evaluation goes on.
        self._writes = OrderedWrites(CONCURRENT_WRITES)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, *, background: bool = True) -> None:
        """Load every known tenant's rules and memory; then run (``background``: the worker and
        the ticker as tasks; without, the caller drives ``process`` and ``tick``)."""
        self._known = set(await self.memory.known_tenants())
        for tenant in sorted(self._known):
            await self._load_tenant(tenant, restore=True)
        self._persisted_at = self.clock.now_ms()
        if background:
            self._tasks = [asyncio.create_task(self._work()), asyncio.create_task(self._ticker())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        async with self._lock:
            await self._flush_repeats(force=True)
            await self._writes.drain()
            if self.leading:  # a follower's memory is a stale copy: never written back
                await self._persist()

    async def take_over(self) -> None:
        """Start evaluating (this process now holds the lease): the memory as the engine before
        this one left it in the database, for every tenant any process has seen."""
        async with self._lock:
            self._pending.clear()
            self._repeats.clear()
            self._known |= set(await self.memory.known_tenants())
            for tenant in sorted(self._known):
                await self._load_tenant(tenant, restore=True)
            self._persisted_at = self.clock.now_ms()
            self.leading = True

    async def step_down(self) -> None:
        """Stop evaluating (another process holds the lease now, or it could not be renewed)."""
        async with self._lock:
            self.leading = False
            self._pending.clear()
        self._idle.set()

    # --- intake (the bus handler: never blocks) -----------------------------------------------

    def handle(self, event: ChangeEvent) -> None:
        tenant = event.tenant
        if any(ALERT_RULE in e.types for e in event.upserts) or any(
            d.startswith(RULE_PREFIX) for d in event.deletes
        ):
            self._reload.add(tenant)
        # Each change once in a deployment: by the leading engine, here or where it was made.
        if self.leading and (event.local or not event.evaluated):
            if tenant not in self._known:
                self._reload.add(tenant)
            changed = None
            for entity in event.upserts:
                if ALERT in entity.types and N["status"] not in entity.doc:
                    self.adopter.enqueue(tenant, entity)
                if self.book.watches(tenant, entity.types):
                    if changed is None and event.partial:
                        changed = event.changed_attrs() or {}
                    attrs = None if changed is None else changed.get(entity.id, set())
                    self._enqueue(tenant, entity.id, entity, attrs)
            for eid in event.deletes:
                self._enqueue(tenant, eid, None, None)
        if self._pending or self._reload or self.adopter.waiting:
            self._idle.clear()
            self._wake.set()

    def _enqueue(
        self, tenant: str, eid: str, entity: StoredEntity | None, changed: set[str] | None
    ) -> None:
        """``changed``: the attributes the change touched (None: unknown, so possibly any). A
        newer change of a waiting entity replaces it, with the attributes of both."""
        key = (tenant, eid)
        waiting = self._pending.get(key)
        if waiting is None:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1
                if self.dropped == 1:
                    log.warning("the rule engine is behind: dropping changes (counted in dropped)")
                return
        elif changed is not None:
            changed = None if waiting[1] is None else waiting[1] | changed
        self._pending[key] = (entity, changed)

    async def idle(self) -> None:
        """Wait until everything handed over so far is evaluated and its alerts written."""
        while True:
            while self._pending or self._reload or self.adopter.waiting or not self._idle.is_set():
                if self._tasks:
                    await self._idle.wait()
                    await asyncio.sleep(0)
                else:
                    await self.process()
            if not self._writes:
                return
            await self._writes.drain()

    # --- the worker --------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.process()
            except Exception:  # keep evaluating: one bad batch must not stop alerting
                log.exception("rule evaluation failed")
                self._idle.set()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                await self.tick()
            except Exception:
                log.exception("rule engine tick failed")

    async def process(self) -> None:
        """Evaluate what is waiting (the worker does this by itself)."""
        async with self._lock:
            while self._reload or self._pending or self.adopter.waiting:
                for tenant in sorted(self._reload):
                    self._reload.discard(tenant)
                    await self._load_tenant(tenant, restore=tenant not in self._known)
                await self.adopter.run()
                batch, self._pending = self._pending, {}
                now = self.clock.now_ms()
                contexts: dict[tuple[str, str], EngineContext] = {}
                for n, ((tenant, eid), (entity, changed)) in enumerate(batch.items()):
                    if entity is None:
                        self._forget_entity(tenant, eid)
                    else:
                        self._evaluate(tenant, entity, changed, now, contexts)
                    if n % YIELD_EVERY == YIELD_EVERY - 1:
                        await asyncio.sleep(0)  # let the event loop serve requests
                self.evaluated += len(batch)
                await self._dispatch()
            self._idle.set()

    def _evaluate(
        self,
        tenant: str,
        entity: StoredEntity,
        changed: set[str] | None,
        now: int,
        contexts: dict[tuple[str, str], EngineContext],
    ) -> None:
        """One change through the rules that can concern it (the book's index, less the rules
        that only other attributes can move), keeping the index's record of the screened rules
        pending or firing for this entity."""
        key = (tenant, entity.id)
        active = self._active.get(key)
        screened = self.book.screened(tenant)
        # The rate rules' screen; the readings before this one go where the rules see them.
        previous = self._current.previous
        previous.clear()
        attrs = self.book.rate_attrs(tenant, entity.types)
        rates = None
        if attrs:
            rates = change_rates(attrs, self.memory.of(tenant), previous, entity, changed, now)
        self._current.begin(changed)
        for rule in self.book.candidates(tenant, entity, active, rates):
            if not rule.moved_by(changed):
                continue
            # The index chose it by type: only an area or id scope is left to check.
            if (rule.areas or rule.ids) and not rule.in_scope(entity):
                continue
            context = contexts.get((tenant, rule.id))
            if context is None:
                context = contexts[(tenant, rule.id)] = self._context(rule)
            rule.evaluator.on_entity(context, entity, now)
            if rule.id in screened:
                st = context.states().get(entity.id)
                if st is not None and st.get("p", "i") != "i":
                    self._active.setdefault(key, set()).add(rule.id)
                elif active is not None:
                    active.discard(rule.id)
        if active is not None and not active:
            self._active.pop(key, None)

    def _restore_active(self, tenant: str) -> None:
        """The screened rules pending or firing per entity, from the memory (after a load)."""
        for key in [k for k in self._active if k[0] == tenant]:
            del self._active[key]
        screened = self.book.screened(tenant)
        for rule_id, states in self.memory.of(tenant).states.items():
            if rule_id in screened:
                for source, st in states.items():
                    if st.get("p", "i") != "i":
                        self._active.setdefault((tenant, source), set()).add(rule_id)

    async def tick(self) -> None:
        """Advance the time-based kinds to the clock's now; write due repeats; persist state
        (what changed is collected under the lock, and written after it, so that evaluation goes
        on meanwhile)."""
        if not self.leading:
            return  # the leading engine's memory decides what is missing, not this stale one
        collected = None
        async with self._lock:
            now = self.clock.now_ms()
            for tenant in self.book.tenants():
                for rule in self.book.rules(tenant):
                    rule.evaluator.on_tick(self._context(rule), now)
            await self._dispatch()
            await self._flush_repeats(force=False)
            if now - self._persisted_at >= self.persist_ms:
                self._persisted_at = now
                collected = self.memory.collect(self._versions())
        await self._writes.drain()  # what this tick raised or cleared is written when it returns
        if collected:
            await self.memory.write(collected, now)

    def _context(self, rule: CompiledRule) -> EngineContext:
        return EngineContext(rule, self.memory.of(rule.tenant), self._current, self._emit)

    def _emit(self, signal: Signal) -> None:
        self._signals.append(signal)  # the list is swapped at each dispatch: looked up per call

    # --- rules and memory ------------------------------------------------------------------------

    async def _load_tenant(self, tenant: str, *, restore: bool) -> None:
        if tenant not in self._known:
            self._known.add(tenant)
            await self.memory.remember_tenant(tenant, self.clock.now_ms())
        before = {r.id: r.version for r in self.book.rules(tenant)}
        rules = self.book.set_tenant(tenant, await self.rule_store.list(tenant))
        if restore:
            await self.memory.load(tenant, rules)
        else:
            self.memory.forget_rules(tenant, rules)
            for rule in rules:
                if before.get(rule.id) not in (None, rule.version):
                    self.memory.drop_rule_states(tenant, rule.id)
        self._restore_active(tenant)
        for rule in rules:
            if isinstance(rule.rule, MissingRule):
                await self._scan(rule)

    async def _scan(self, rule: CompiledRule) -> None:
        """Missing-data rules must know the silent entities too: read the scope once."""
        offset = 0
        context = self._context(rule)
        self._current.begin(None)  # a read, not a change: every attribute counts
        self._current.previous.clear()
        now = self.clock.now_ms()
        while True:
            query = EntityQuery(types=tuple(rule.types), limit=SCAN_PAGE, offset=offset)
            page, _ = await self.store.query_entities(rule.tenant, query)
            for entity in page:
                if rule.in_scope(entity):
                    rule.evaluator.on_entity(context, entity, now)
            if len(page) < SCAN_PAGE:
                return
            offset += SCAN_PAGE

    def _forget_entity(self, tenant: str, eid: str) -> None:
        self._active.pop((tenant, eid), None)
        memory = self.memory.of(tenant)
        for rule_id, states in memory.states.items():
            if states.pop(eid, None) is not None:
                memory.touch(rule_id, eid)

    def _versions(self) -> dict[str, dict[str, str]]:
        return {
            tenant: {r.id: r.version for r in self.book.rules(tenant)}
            for tenant in self.book.tenants()
        }

    async def _persist(self) -> None:
        self._persisted_at = self.clock.now_ms()
        await self.memory.persist(self._persisted_at, self._versions())

    # --- signals → alerts --------------------------------------------------------------------

    async def _dispatch(self) -> None:
        rounds = 0
        while self._signals and rounds < 4:  # combinations of combinations, a few levels deep
            rounds += 1
            signals, self._signals = self._signals, []
            now = self.clock.now_ms()
            await self._apply_all(signals)
            for signal in signals:
                for combo in self.book.combinations(signal.rule.tenant):
                    if combo.id != signal.rule.id:
                        combo.evaluator.on_signal(self._context(combo), signal, now)
        self._signals.clear()

    async def _apply_all(self, signals: list[Signal]) -> None:
        """Queue the writes of these signals: each (rule, source)'s in order after what is
        already queued for it; wait only when too many are in flight."""
        chains: dict[tuple[str, str, str], list[Signal]] = {}
        for signal in signals:
            chains.setdefault((signal.rule.tenant, signal.rule.id, signal.source), []).append(
                signal
            )
        for key, chain in chains.items():
            self._writes.submit(key, partial(self._apply_chain, chain))
        await self._writes.wait_below(MAX_WRITING)  # back-pressure: the database is behind

    async def _apply_chain(self, chain: list[Signal]) -> None:
        for signal in chain:
            await self._apply(signal)

    async def _apply(self, signal: Signal) -> None:
        rule = signal.rule
        key = (rule.tenant, rule.id, signal.source)
        refs = self.memory.of(rule.tenant).alerts
        ref = refs.get((rule.id, signal.source))
        if signal.what == "fire" or (signal.what != "clear" and not (ref and ref[1])):
            source = await self._source_entity(signal)
            outcome = await self.alerts.raise_or_repeat(
                rule.tenant,
                rule.id,
                content_of(signal, source),
                at=signal.at,
                actor=ACTOR,
                start=ref[0] if ref else None,
            )
            self.memory.of(rule.tenant).set_alert(rule.id, signal.source, [outcome.alert_id, True])
            self._repeats.pop(key, None)
        elif signal.what == "clear":
            self._repeats.pop(key, None)
            if ref and ref[1]:
                await self.alerts.clear_alert(rule.tenant, ref[0], actor=ACTOR, at=signal.at)
                self.memory.of(rule.tenant).set_alert(rule.id, signal.source, [ref[0], False])
        else:
            waiting = self._repeats.setdefault(key, Repeats(written_at=self.clock.now_ms()))
            waiting.count += signal.what == "repeat"
            waiting.last_seen = max(waiting.last_seen, signal.at)
            waiting.signal = signal
            waiting.refresh = waiting.refresh or signal.what == "update"

    async def _flush_repeats(self, *, force: bool) -> None:
        now = self.clock.now_ms()
        due: list[tuple[tuple[str, str, str], Repeats]] = []
        for key, waiting in list(self._repeats.items()):
            age = now - waiting.written_at
            ripe = age >= (self.update_ms if waiting.refresh else self.repeat_ms)
            if (force or ripe) and waiting.signal is not None:
                del self._repeats[key]
                due.append((key, waiting))
        for key, waiting in due:
            self._writes.submit(key, partial(self._write_repeats, key, waiting))

    async def _write_repeats(self, key: tuple[str, str, str], waiting: Repeats) -> None:
        tenant, rule_id, source = key
        ref = self.memory.of(tenant).alerts.get((rule_id, source))
        signal = waiting.signal
        if ref is None or not ref[1] or signal is None:
            return
        content = content_of(signal, await self._source_entity(signal))
        outcome = await self.alerts.update(
            tenant,
            ref[0],
            actor=ACTOR,
            content=content,
            count=waiting.count,
            last_seen=waiting.last_seen,
        )
        if outcome is None:  # cleared by hand meanwhile: the condition still holds, so anew
            raised = await self.alerts.raise_or_repeat(
                tenant, rule_id, content, at=waiting.last_seen, actor=ACTOR, start=ref[0]
            )
            self.memory.of(tenant).set_alert(rule_id, source, [raised.alert_id, True])

    async def _source_entity(self, signal: Signal) -> StoredEntity | None:
        if signal.entity is not None or not signal.source.startswith("urn:"):
            return None
        found = await self.store.get_entities(signal.rule.tenant, [signal.source])
        return found.get(signal.source)

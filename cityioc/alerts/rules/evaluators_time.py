"""Evaluators driven by time and by other rules: missing data (per entity or per fleet), count of
events near each other within a window, and combinations of rules within a window."""

from __future__ import annotations

import math
from typing import Any

from cityioc.alerts.rules import machine
from cityioc.alerts.rules.compiled import RuleContext, Signal
from cityioc.alerts.rules.conditions import Predicate, current_value, expand
from cityioc.alerts.rules.model import CombinationRule, CountRule, MissingRule
from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.geo import haversine_m, to_shape
from cityioc.hub.attributes import instances
from cityioc.hub.models import StoredEntity

LOCATION = expand("location")
FLEET = "*fleet"  # the state key of a fleet rule's own phase


def last_observed(
    entity: StoredEntity, attrs: tuple[str, ...], changed: set[str] | None = None
) -> int:
    """The latest observedAt among ``attrs`` (all attributes when empty), else the write time.
    With ``changed`` known, only those attributes are looked at: the others were seen before."""
    latest: str | None = None
    doc = entity.doc
    names = doc if changed is None else [n for n in changed if n in doc]
    for name in names:
        if attrs and name not in attrs:
            continue
        attr = doc[name]
        for inst in instances(attr):
            at = inst.get("observedAt")
            if isinstance(at, str) and (latest is None or at > latest):
                latest = at
    if latest is None:
        return entity.modified_at
    try:
        return parse_datetime_ms(latest)
    except ValueError:
        return entity.modified_at


class Missing:
    """No data for ``after``: an alert per silent entity, or one for the fleet when enough are."""

    def __init__(self, rule: MissingRule) -> None:
        self.rule = rule
        self.attrs = tuple(expand(a) for a in rule.attributes)

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        seen = ctx.last_observed(entity, self.attrs)
        ctx.observe(self.attrs, entity.id, seen)  # once for all the rules watching these attrs
        st = ctx.states().get(entity.id)
        if st is not None and st.get("p") != "f":
            return  # known and not silent: the shared time is all the tick needs
        st = ctx.state(entity.id)
        if seen <= st.get("s", -math.inf):
            return  # nothing newer: e.g. the start-up scan, or a write of other attributes
        st["s"] = seen
        if st.get("p") == "f":
            st["p"] = "i"
            if self.rule.fleet is None:
                ctx.emit(ctx.rule.signal("clear", entity.id, seen, entity))
            else:
                self._fleet(ctx, now)

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        changed = False
        for source, st in list(ctx.states().items()):
            if source == FLEET or st.get("p") == "f":
                continue
            known = (st.get("s"), ctx.seen(self.attrs, source))  # its own (older states), shared
            last = max((t for t in known if t is not None), default=None)
            if last is None or now - last < self.rule.after:
                continue
            st["p"], st["s"] = "f", last  # "s": what a new reading must pass to clear it
            ctx.touch(source)
            changed = True
            if self.rule.fleet is None:
                facts = {"lastSeen": iso_ms(st["s"]), "silentMinutes": (now - st["s"]) // 60_000}
                ctx.emit(ctx.rule.signal("fire", source, now, None, facts))
        if changed and self.rule.fleet is not None:
            self._fleet(ctx, now)

    def _fleet(self, ctx: RuleContext, now: int) -> None:
        fleet = self.rule.fleet
        assert fleet is not None
        members = {k: v for k, v in ctx.states().items() if k != FLEET}
        silent = sorted(k for k, v in members.items() if v.get("p") == "f")
        needed = fleet.at_least or math.ceil((fleet.fraction or 1) * max(len(members), 1))
        st = ctx.state(FLEET)
        source = "fleet:" + ",".join(sorted(self.rule.scope.types))
        facts = {"count": len(silent), "total": len(members), "name": source}
        extra = {"affectedEntities": silent, "affectedCount": len(silent)}
        was = st.get("p") == "f"
        if len(silent) >= needed and not was:
            st["p"] = "f"
            ctx.emit(ctx.rule.signal("fire", source, now, None, facts, extra))
        elif len(silent) < needed and was:
            st["p"] = "i"
            ctx.emit(ctx.rule.signal("clear", source, now, None, facts, extra))
        elif was:
            ctx.emit(ctx.rule.signal("update", source, now, None, facts, extra))

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        return None


def point_of(entity: StoredEntity) -> tuple[float, float] | None:
    geometry = current_value(entity.doc, LOCATION)
    if not isinstance(geometry, dict):
        return None
    shape = to_shape(geometry)
    centre = shape if shape.geom_type == "Point" else shape.centroid
    return (centre.x, centre.y) if not centre.is_empty else None


class Count:
    """At least ``at_least`` distinct entities matching ``when`` within ``within_m`` of each other
    in ``window``: one alert per cluster (source ``cluster:<lon>,<lat>``)."""

    def __init__(self, rule: CountRule, when: Predicate | None) -> None:
        self.rule, self.when = rule, when

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        if self.when is not None and not self.when(entity.doc):
            return
        where = point_of(entity)
        if where is None:
            return
        t = ctx.rule.reading_time(entity, now)
        st = ctx.state("*")
        events: dict[str, list[float]] = st.setdefault("e", {})
        events[entity.id] = [t, where[0], where[1]]
        self._prune(events, max(now, t))
        near = self._near(events, where)
        if len(near) < self.rule.at_least:
            return
        clusters: dict[str, list[float]] = st.setdefault("cl", {})
        facts = {"count": len(near)}
        extra = {"affectedEntities": sorted(near), "affectedCount": len(near)}
        for source, (lon, lat) in clusters.items():
            if haversine_m(lon, lat, *where) <= self.rule.within_m:
                ctx.emit(ctx.rule.signal("repeat", source, t, entity, facts, extra))
                return
        source = f"cluster:{where[0]:.5f},{where[1]:.5f}"
        clusters[source] = [where[0], where[1]]
        ctx.emit(ctx.rule.signal("fire", source, t, entity, facts, extra))

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        st = ctx.state("*")
        events: dict[str, list[float]] = st.setdefault("e", {})
        self._prune(events, now)
        clusters: dict[str, list[float]] = st.setdefault("cl", {})
        for source, (lon, lat) in list(clusters.items()):
            near = self._near(events, (lon, lat))
            if len(near) < self.rule.at_least:
                del clusters[source]
                ctx.emit(ctx.rule.signal("clear", source, now, None, {"count": len(near)}))

    def _prune(self, events: dict[str, list[float]], now: int) -> None:
        for eid in [e for e, (t, _, _) in events.items() if now - t > self.rule.window]:
            del events[eid]

    def _near(self, events: dict[str, list[float]], where: tuple[float, float]) -> list[str]:
        return [
            eid
            for eid, (_, lon, lat) in events.items()
            if haversine_m(lon, lat, *where) <= self.rule.within_m
        ]

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        return None


class Combination:
    """Every listed rule has fired (or is still firing) within ``window`` for the same source,
    area or anywhere (``match``)."""

    def __init__(self, rule: CombinationRule) -> None:
        self.rule = rule

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        return None

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        if signal.rule.id not in self.rule.rules or signal.rule.tenant != ctx.rule.tenant:
            return
        key = self._key(signal)
        if key is None:
            return
        st = ctx.state(key)
        seen: dict[str, list[Any]] = st.setdefault("r", {})
        active = signal.what != "clear"
        previous = seen.get(signal.rule.id, [signal.at, False])
        seen[signal.rule.id] = [signal.at if active else previous[0], active]
        self._decide(ctx, key, st, now, signal)

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        for key, st in list(ctx.states().items()):
            if machine.firing(st):
                ctx.touch(key)
                self._decide(ctx, key, st, now, None)

    def _decide(
        self, ctx: RuleContext, key: str, st: machine.State, now: int, cause: Signal | None
    ) -> None:
        seen: dict[str, list[Any]] = st.get("r", {})
        alive = [
            r
            for r in self.rule.rules
            if r in seen and (seen[r][1] or now - seen[r][0] <= self.rule.window)
        ]
        trigger = len(alive) == len(self.rule.rules)
        st["t"] = max(st.get("t", now), now)
        facts = {"rules": ", ".join(self.rule.rules), "name": key}
        if cause is not None and cause.entity is not None:
            facts |= {k: v for k, v in cause.facts.items() if k in ("name", "areaServed")}
        for event in machine.step(st, trigger, not trigger, st["t"], 0, 0):
            if event != "repeat":
                ctx.emit(ctx.rule.signal(event, key, now, None, facts))

    def _key(self, signal: Signal) -> str | None:
        if self.rule.match == "source":
            return signal.source
        if self.rule.match == "area":
            area = signal.facts.get("areaServed")
            return f"area:{area}" if isinstance(area, str) and area else None
        return "*"

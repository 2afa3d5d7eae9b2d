"""Evaluators of the kinds that look at each change of an entity: threshold (and its grouped
form), rate of change, AQI category and geofence. Each keeps its state per source in the dicts the
engine hands it (persisted as they are) and emits signals; none does I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shapely import Point
from shapely.prepared import prep

from cityioc.alerts.aqi.categories import VN_BY_CODE, vn_category
from cityioc.alerts.rules import machine
from cityioc.alerts.rules.compiled import RuleContext, Signal, SignalKind
from cityioc.alerts.rules.conditions import Predicate, compare, current_value, expand
from cityioc.alerts.rules.model import (
    AqiRule,
    Circle,
    GeofenceRule,
    GroupBy,
    RateRule,
)
from cityioc.core.geo import haversine_m, to_shape
from cityioc.hub.models import StoredEntity

LOCATION = expand("location")
AQI = expand("airQualityIndex")


class NoSignals:
    """Mixin: kinds that ignore ticks or other rules' signals."""

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        return None

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        return None


class Threshold:
    """``when`` holds ``for`` long: fire; ``clear`` (default: not ``when``) ``clear_for``: clear."""

    def __init__(self, when: Predicate, clear: Predicate | None, for_ms: int, clear_ms: int):
        self.when, self.clear, self.for_ms, self.clear_ms = when, clear, for_ms, clear_ms

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        t = ctx.rule.reading_time(entity, now)
        st = ctx.state(entity.id)
        if machine.is_stale(st, t):
            return
        trigger = self.when(entity.doc)
        clear = self.clear(entity.doc) if self.clear else (None if trigger is None else not trigger)
        for event in machine.step(st, trigger, clear, t, self.for_ms, self.clear_ms):
            ctx.emit(ctx.rule.signal(event, entity.id, t, entity))

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        for source, st in list(ctx.states().items()):
            for event in machine.tick(st, now, self.for_ms, self.clear_ms):
                ctx.emit(ctx.rule.signal(event, source, now))

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        return None


class Grouped(Threshold):
    """Members that match ``when`` are counted per related entity (``group.by``); the group fires
    at ``at_least`` members and clears below ``clear_below`` — one alert per group."""

    def __init__(
        self, when: Predicate, group: GroupBy, for_ms: int, clear_ms: int, by: str
    ) -> None:
        super().__init__(when, None, for_ms, clear_ms)
        self.group, self.by = group, by

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        target = group_of(entity, self.by)
        if target is None:
            return
        t = ctx.rule.reading_time(entity, now)
        st = ctx.state(target)
        matching: list[str] = st.setdefault("m", [])
        before = len(matching)
        verdict = self.when(entity.doc)
        if verdict and entity.id not in matching:
            matching.append(entity.id)
            matching.sort()
        elif verdict is False and entity.id in matching:
            matching.remove(entity.id)
        count = len(matching)
        trigger = count >= self.group.at_least
        clear = count < (self.group.clear_below or self.group.at_least)
        events = machine.step(st, trigger, clear, max(t, st.get("t", t)), self.for_ms, 0)
        facts = {"count": count, "group": target}
        extra = {"affectedEntities": list(matching), "affectedCount": count}
        for event in events:
            if event != "repeat":
                ctx.emit(ctx.rule.signal(event, target, t, None, facts, extra))
        if not {"fire", "clear"} & set(events) and machine.firing(st) and count != before:
            ctx.emit(ctx.rule.signal("update", target, t, None, facts, extra))


def group_of(entity: StoredEntity, by: str) -> str | None:
    value = current_value(entity.doc, by)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


class Rate(NoSignals):
    """The change between two readings, per ``per``, compared with ``value``. The reading before
    is the engine's (one per series, shared by the rules of the attribute), so that a rule is
    evaluated only when its rate may hold or while it is pending or firing (rule_index.py)."""

    def __init__(self, rule: RateRule) -> None:
        self.rule, self.attr = rule, expand(rule.attribute)

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        value = current_value(entity.doc, self.attr)
        last = ctx.previous(self.attr)
        if last is None or not isinstance(value, int | float) or isinstance(value, bool):
            return
        t = ctx.rule.reading_time(entity, now)
        if t <= last[0]:
            return
        st = ctx.state(entity.id)
        if machine.is_stale(st, t):
            return
        rate = (value - last[1]) / (t - last[0]) * self.rule.per
        trigger = compare(rate, self.rule.op, self.rule.value)
        if self.rule.clear_value is None:
            clear = None if trigger is None else not trigger
        else:
            crossed = compare(rate, self.rule.op, self.rule.clear_value)
            clear = None if crossed is None else not crossed
        facts = {"rate": round(rate, 3)}
        for event in machine.step(st, trigger, clear, t, self.rule.for_, self.rule.clear_for):
            ctx.emit(ctx.rule.signal(event, entity.id, t, entity, facts))


class AqiCategory:
    """``airQualityIndex`` in category ``at_least`` or worse for ``for``: fire; below
    ``clear_below`` (default ``at_least``) for ``clear_for``: clear — the threshold kind's state
    machine, ticks included. Updated when the category moves while firing. The state keeps the
    alert's category (``cat``) and the last index (``v``), for a fire that comes with a tick."""

    def __init__(self, rule: AqiRule) -> None:
        self.rule = rule
        self.low = VN_BY_CODE[rule.at_least].low
        self.clear_low = VN_BY_CODE[rule.clear_below or rule.at_least].low

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        value = current_value(entity.doc, AQI)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return
        t = ctx.rule.reading_time(entity, now)
        st = ctx.state(entity.id)
        if machine.is_stale(st, t):
            return
        aqi = round(value)
        st["v"] = aqi
        trigger, clear = value >= self.low, value < self.clear_low
        for event in machine.step(st, trigger, clear, t, self.rule.for_, self.rule.clear_for):
            self._signal(ctx, event, entity.id, t, entity, st, aqi)

    def on_tick(self, ctx: RuleContext, now: int) -> None:
        for source, st in list(ctx.states().items()):
            aqi = st.get("v")
            if not isinstance(aqi, int):
                continue  # state kept before the index was: the next reading moves it
            for event in machine.tick(st, now, self.rule.for_, self.rule.clear_for):
                self._signal(ctx, event, source, now, None, st, aqi)

    def on_signal(self, ctx: RuleContext, signal: Signal, now: int) -> None:
        return None

    def _signal(
        self,
        ctx: RuleContext,
        event: machine.Event,
        source: str,
        t: int,
        entity: StoredEntity | None,
        st: machine.State,
        aqi: int,
    ) -> None:
        if event == "clear":
            st.pop("cat", None)
            ctx.emit(ctx.rule.signal("clear", source, t, entity))
            return
        code = vn_category(aqi).code
        what: SignalKind = event
        if event == "repeat" and st.get("cat") not in (None, code):
            what = "update"  # the category moved while firing
        st["cat"] = code
        facts, extra = aqi_facts(aqi, code)
        ctx.emit(ctx.rule.signal(what, source, t, entity, facts, extra))


def aqi_facts(aqi: int, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    category = VN_BY_CODE[code]
    facts = {
        "aqi": aqi,
        "category_vi": category.name_vi,
        "category_en": category.name_en,
        "advice_vi": category.advice_vi,
        "advice_en": category.advice_en,
    }
    extra = {
        "airQualityIndex": aqi,
        "airQualityLevel": category.code,
        "healthAdvice": {"vi": category.advice_vi, "en": category.advice_en},
        "healthAdviceSensitive": {"vi": category.sensitive_vi, "en": category.sensitive_en},
    }
    return facts, extra


class Geofence(NoSignals):
    """The entity's location enters (or leaves) the area."""

    def __init__(self, rule: GeofenceRule) -> None:
        self.rule = rule
        area = rule.area
        self.contains: Callable[[float, float], bool]
        if isinstance(area, Circle):
            (lon0, lat0), radius = area.center, area.radius_m
            self.contains = lambda lon, lat: haversine_m(lon0, lat0, lon, lat) <= radius
        else:
            prepared = prep(to_shape(area))
            self.contains = lambda lon, lat: bool(prepared.covers(Point(lon, lat)))

    def on_entity(self, ctx: RuleContext, entity: StoredEntity, now: int) -> None:
        geometry = current_value(entity.doc, LOCATION)
        if not isinstance(geometry, dict):
            return
        t = ctx.rule.reading_time(entity, now)
        st = ctx.state(entity.id)
        if machine.is_stale(st, t):
            return
        point = to_shape(geometry)
        if point.geom_type != "Point":
            point = point.centroid
        inside = self.contains(point.x, point.y)
        if self.rule.trigger == "enter":
            trigger, clear = inside, not inside
        else:
            trigger, clear = (not inside) and bool(st.get("w")), inside
        st["w"] = bool(st.get("w")) or inside
        for event in machine.step(st, trigger, clear, t, 0, 0):
            if event != "repeat":
                ctx.emit(ctx.rule.signal(event, entity.id, t, entity, {"inside": inside}))

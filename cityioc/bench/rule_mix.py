"""A thousand generated alert rules over a fleet: what a province's rule book might grow to.

Thresholds are placed from a sample of the fleet's own readings, so that almost every rule stays
quiet (as alert rules do) and a few fire now and then. The mix, per 1,000 rules: 680 one-condition
thresholds (some with ``for``/``clear_for`` and a separate clear condition), 120 two-condition
thresholds (``all``/``any``), 100 rates of change, 50 geofences, 30 missing-data rules and 20
thresholds at the top percent of the observed range held for five minutes (those raise an alert
now and then). A third are also scoped to an area; every rule is scoped to one entity type.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cityioc.sim.example import AREAS

ALERT: dict[str, Any] = {
    "category": "environment",
    "sub_category": "benchmark",
    "severity": "low",
    "cap": {"category": "Other", "severity": "Minor"},
    "title": {"vi": "Quy tắc thử {name}", "en": "Generated rule at {name}"},
}
KINDS = (  # (share of the rules, kind)
    (0.68, "threshold"),
    (0.12, "compound"),
    (0.10, "rate"),
    (0.05, "geofence"),
    (0.03, "missing"),
    (0.02, "firing"),
)


@dataclass(frozen=True, slots=True)
class Span:
    """The values of one attribute of one type in a sample of readings."""

    low: float
    high: float
    p99: float


def spans(readings: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Span]]:
    """type → numeric attribute → the span of its values (from readings with URN entity ids)."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in readings:
        value = r["value"]
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[(str(r["entity"]).split(":")[2], str(r["attribute"]))].append(float(value))
    out: dict[str, dict[str, Span]] = defaultdict(dict)
    for (etype, attr), found in values.items():
        found.sort()
        out[etype][attr] = Span(found[0], found[-1], found[int(0.99 * (len(found) - 1))])
    return dict(out)


def generated_rules(
    count: int, fleet: Mapping[str, Mapping[str, Span]], seed: int = 1
) -> list[dict[str, Any]]:
    """``count`` rule documents over the types and attributes of ``fleet`` (see ``spans``)."""
    rnd = random.Random(seed)
    types = sorted(fleet)
    kinds = [kind for share, kind in KINDS for _ in range(round(share * count))]
    kinds = (kinds + ["threshold"] * count)[:count]
    rnd.shuffle(kinds)
    out = []
    for n, kind in enumerate(kinds):
        etype = types[n % len(types)]
        attrs = fleet[etype]
        scope: dict[str, Any] = {"types": [etype]}
        if rnd.random() < 1 / 3:
            scope["areas"] = [rnd.choice(AREAS)[0]]
        rule: dict[str, Any] = {
            "id": f"bench-{n:04d}-{kind}",
            "kind": kind,
            "name": {"vi": f"Quy tắc thử {n}", "en": f"Generated rule {n}"},
            "scope": scope,
            "alert": ALERT,
        }
        attr = rnd.choice(sorted(attrs))
        span = attrs[attr]
        if kind == "threshold":
            rule["when"] = _quiet(attr, span, rnd)
            if rnd.random() < 0.5:
                rule["for"] = rnd.choice(["5m", "10m", "15m"])
                rule["clear_for"] = rnd.choice(["0s", "2m"])
            if rnd.random() < 0.3:
                rule["clear"] = _quiet(attr, span, rnd)
        elif kind == "compound":
            other = rnd.choice(sorted(attrs))
            parts = [_quiet(attr, span, rnd), _quiet(other, attrs[other], rnd)]
            rule["kind"] = "threshold"
            rule["when"] = {rnd.choice(["all", "any"]): parts}
            rule["for"] = "10m"
        elif kind == "firing":
            rule["kind"] = "threshold"
            rule["when"] = {"attribute": attr, "op": ">=", "value": span.p99}
            rule["for"] = "5m"  # the top percent of readings, held for five minutes: now and then
        elif kind == "rate":
            # Quiet at any cadence down to 0.1 s between readings (the live benchmark's load
            # reports each series about every second): the whole span within a tenth of a second.
            rule.update(attribute=attr, op=">", value=(span.high - span.low + 1) * 10, per="1s")
        elif kind == "geofence":  # static sensors never leave the province
            rule.update(trigger="leave", area={"center": [106.7, 11.1], "radius_m": 150_000})
        elif kind == "missing":
            rule["after"] = "30m"
        out.append(rule)
    return out


def _quiet(attr: str, span: Span, rnd: random.Random) -> dict[str, Any]:
    """A condition on ``attr`` that the sample never meets (above its highest, below its lowest)."""
    width = max(span.high - span.low, 1.0)
    if rnd.random() < 0.7:
        return {"attribute": attr, "op": rnd.choice([">", ">="]), "value": span.high + width}
    return {"attribute": attr, "op": rnd.choice(["<", "<="]), "value": span.low - width}

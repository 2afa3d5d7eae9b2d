"""The engine's rule index: screened thresholds are met only when their condition holds or while
they are pending or firing — the same alerts as evaluating every rule, across a restart too."""

from __future__ import annotations

import random
from typing import Any

from cityioc.alerts.rule_index import Thresholds, TypeIndex, screenable
from cityioc.alerts.rulebook import RuleBook
from cityioc.alerts.rules.compile import compile_rule
from cityioc.alerts.rules.compiled import CompiledRule
from cityioc.alerts.rules.conditions import compare, expand
from cityioc.alerts.rules.model import parse_rule
from cityioc.core.clock import FakeClock
from cityioc.store.port import Store
from tests.alerts.conftest import ALERT_TEMPLATE, FLOOD_RULE, flood_station, make_rig


def rule(rid: str, when: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "kind": "threshold",
        "name": {"vi": rid, "en": rid},
        "scope": {"types": ["FloodMonitoring"]},
        "when": when,
        "alert": ALERT_TEMPLATE,
        **extra,
    }


def compiled(document: dict[str, Any]) -> CompiledRule:
    return compile_rule("default", parse_rule(document))


def test_the_screen_finds_exactly_the_rules_whose_condition_holds() -> None:
    rnd = random.Random(5)
    rules = []
    for n in range(200):
        op = rnd.choice([">", ">=", "<", "<="])
        value = rnd.choice([0, 1, 2, 2.5, 3, -1, 10])
        rules.append(
            compiled(rule(f"r{n}", {"attribute": "currentLevel", "op": op, "value": value}))
        )
    screen = Thresholds()
    for r in rules:
        [(_, op, value)] = screenable(r) or []
        screen.add(op, value, r)
    for value in (-2, -1, 0, 0.5, 1, 2, 2.5, 3, 9.99, 10, 11):
        out: list[CompiledRule] = []
        screen.holding(value, out)
        want = {
            r.id
            for r in rules
            if compare(value, r.rule.when.op, r.rule.when.value)  # type: ignore[attr-defined]
        }
        assert sorted(x.id for x in out) == sorted(want), value


def test_only_plain_numeric_thresholds_are_screened() -> None:
    assert screenable(compiled(rule("a", {"attribute": "x", "op": ">", "value": 1})))
    assert screenable(compiled(FLOOD_RULE)) is None  # threshold from the entity
    assert screenable(compiled(rule("b", {"attribute": "x", "op": "==", "value": 1}))) is None
    assert screenable(compiled(rule("c", {"attribute": "x", "op": ">", "value": "a"}))) is None
    both = {
        "all": [
            {"attribute": "x", "op": ">", "value": 1},
            {"attribute": "y", "op": ">", "value": 1},
        ]
    }
    assert screenable(compiled(rule("d", both))) == [(expand("x"), ">", 1.0)]  # one is enough
    either = {"any": [both["all"][0], {"attribute": "y", "op": "<", "value": 0}]}
    assert [leaf[1:] for leaf in screenable(compiled(rule("f", either))) or []] == [
        (">", 1.0),
        ("<", 0.0),
    ]
    unknown = {"any": [both["all"][0], {"attribute": "y", "op": "==", "value": 0}]}
    assert screenable(compiled(rule("g", unknown))) is None
    area = compiled(
        rule(
            "e",
            {"attribute": "x", "op": "==", "value": 1},
            scope={"types": ["T"], "areas": ["Dĩ An"]},
        )
    )
    index = TypeIndex.of([area])
    assert index.by_area == {"di an": [area]} and not index.always


async def test_screened_rules_fire_clear_and_survive_a_restart(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rules = [
        rule("high", {"attribute": "currentLevel", "op": ">", "value": 1.0}, **{"for": "5m"}),
        rule("quiet", {"attribute": "currentLevel", "op": ">", "value": 100}),
        rule(
            "low",
            {"attribute": "currentLevel", "op": "<=", "value": 0.1},
            clear={"attribute": "currentLevel", "op": ">", "value": 0.3},
        ),
    ]
    rig = await make_rig(engine_store, fake_clock, rules)
    station = await flood_station(rig.hub, "an-phu")
    await rig.reading(station, "currentLevel", 0.5)
    book: RuleBook = rig.engine.book
    assert rig.engine.memory.of("default").states.get("quiet", {}) == {}  # never touched
    for _ in range(5):
        await rig.advance(1)
        await rig.reading(station, "currentLevel", 1.5)
    assert await rig.alerts_list() == []  # four minutes above: pending
    await rig.advance(1)  # five: the tick fires it
    [alert] = await rig.alerts_list()
    assert alert.rule == "urn:ngsi-ld:AlertRule:high" and alert.active
    assert book.screened("default") == {"high", "quiet", "low"}

    # After a restart the firing rule is still met, though its condition no longer holds: it
    # clears (the clear is "not when", immediately).
    await rig.restart()
    await rig.reading(station, "currentLevel", 0.2)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared"

    # A separate clear condition: below 0.1 fires at once; 0.2 neither fires nor clears it
    # (the rule stays met while firing), above 0.3 clears it.
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.05)
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.2)
    low = [a for a in await rig.alerts_list() if a.rule == "urn:ngsi-ld:AlertRule:low"]
    assert [a.active for a in low] == [True]
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.4)
    low = [a for a in await rig.alerts_list() if a.rule == "urn:ngsi-ld:AlertRule:low"]
    assert [a.status for a in low] == ["cleared"]


async def test_compound_conditions_screened_by_their_parts(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    level_high = {"attribute": "currentLevel", "op": ">", "value": 1.0}
    flow_high = {"attribute": "flow", "op": ">=", "value": 50}
    rules = [
        rule("either", {"any": [level_high, flow_high]}),
        rule("both", {"all": [level_high, flow_high]}),
    ]
    rig = await make_rig(engine_store, fake_clock, rules)
    station = await flood_station(rig.hub, "lai-thieu", flow=10)

    async def states() -> dict[str, str]:
        return {a.rule.rsplit(":", 1)[1]: a.status for a in await rig.alerts_list() if a.rule}

    await rig.reading(station, "currentLevel", 1.5)  # one part: "either" fires, "both" not
    assert await states() == {"either": "active"}
    await rig.advance(1)
    await rig.reading(station, "flow", 60)  # both parts: "both" fires too
    assert await states() == {"either": "active", "both": "active"}
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.5)  # one part left: "both" clears
    assert await states() == {"either": "active", "both": "cleared"}
    await rig.advance(1)
    await rig.reading(station, "flow", 5)  # none left: "either" clears (met while firing)
    assert await states() == {"either": "cleared", "both": "cleared"}

"""Procedures run step by step: done with a record, skipped with a reason, late by the clock,
and each step sees what the earlier ones recorded."""

from __future__ import annotations

import pytest

from cityioc.core.clock import FakeClock
from cityioc.core.errors import BadRequestData, Conflict
from cityioc.incidents import sop
from cityioc.incidents.sop import SopTemplate
from cityioc.packs import Pack
from tests.incidents.conftest import sops_of

MIN = 60_000


def flood(pack: Pack) -> SopTemplate:
    return next(t for t in sops_of(pack) if t.id == "flood")


def test_the_flood_procedure_of_the_pack(pack: Pack) -> None:
    template = flood(pack)
    assert [s.key for s in template.steps] == [
        "warn-residents",
        "close-underpass",
        "send-pump-team",
        "report-back",
    ]
    assert [s.role for s in template.steps] == ["operator", "agency", "agency", "agency"]
    assert [s.expected for s in template.steps] == [15, 30, 60, 240]
    ids = {t.id for t in sops_of(pack)}
    assert ids == {"flood", "air-pollution", "sensor-outage", "streetlight-fault", "traffic-jam"}
    jam = sop.choose(sops_of(pack), alert_sub_category="trafficJam")
    light = sop.choose(sops_of(pack), category="den-duong-hong")
    assert (jam and jam.id, light and light.id) == ("traffic-jam", "streetlight-fault")
    assert sop.choose(sops_of(pack), category="mat-dien") is None
    with pytest.raises(BadRequestData, match="unknown procedure 'nope'"):
        sop.choose(sops_of(pack), code="nope")


def test_a_run_done_skipped_late_and_data_flowing_on(pack: Pack) -> None:
    clock = FakeClock()
    t0 = clock.now_ms()
    run = sop.start(flood(pack), t0)
    assert [a.status for a in run] == ["pending"] * 4
    assert run[0].due_at == t0 + 15 * MIN and run[1].due_at is None

    # the current step only, with its required record
    with pytest.raises(Conflict, match="steps run in order: step 1"):
        sop.complete(run, 2, {"closedRoads": "x"}, "op", t0)
    with pytest.raises(BadRequestData, match="must record: channels"):
        sop.complete(run, 1, {"message": "hi"}, "op", t0)

    clock.advance(minutes=10)
    done = sop.complete(
        run, 1, {"channels": ["loa phường", "Zalo"], "message": "Ngập"}, "op", clock.now_ms()
    )
    assert (done.status, done.late, done.by) == ("done", False, "op")
    assert run[1].started_at == clock.now_ms() and run[1].due_at == clock.now_ms() + 30 * MIN
    assert sop.inputs(run, 2) == {"channels": ["loa phường", "Zalo"], "message": "Ngập"}

    # step 2 goes past its due time: the tick flags it late, once
    clock.advance(minutes=31)
    assert sop.state(run[1], clock.now_ms()) == "late"
    assert [a.n for a in sop.mark_late(run, clock.now_ms())] == [2]
    assert sop.mark_late(run, clock.now_ms()) == []
    sop.complete(
        run,
        2,
        {"closedRoads": "Hầm chui Sóng Thần", "channels": ["radio"]},
        "agency",
        clock.now_ms(),
    )
    assert run[1].late is True and run[1].status == "done"

    # skipping needs a reason; a skipped step hands nothing on
    with pytest.raises(BadRequestData, match="needs a reason"):
        sop.skip(run, 3, "  ", "agency", clock.now_ms())
    sop.skip(run, 3, "Nước đã rút, không cần bơm", "agency", clock.now_ms())
    assert run[2].status == "skipped" and run[2].reason == "Nước đã rút, không cần bơm"
    assert sop.inputs(run, 4) == {
        "channels": ["radio"],  # the later step's value wins
        "message": "Ngập",
        "closedRoads": "Hầm chui Sóng Thần",
    }
    with pytest.raises(Conflict, match="already skipped"):
        sop.skip(run, 3, "again", "agency", clock.now_ms())
    sop.complete(run, 4, {"outcome": "Đã thông xe"}, "agency", clock.now_ms())
    assert sop.current(run) is None and sop.pending_steps(run) == []
    assert sop.next_due(run) is None
    with pytest.raises(BadRequestData, match="steps 1 to 4, not 5"):
        sop.complete(run, 5, {}, "op", clock.now_ms())

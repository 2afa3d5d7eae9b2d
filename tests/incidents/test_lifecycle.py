"""The lifecycle table, walked exhaustively: every status × action × role."""

from __future__ import annotations

import pytest

from cityioc.core.errors import Conflict, Forbidden
from cityioc.incidents import lifecycle
from cityioc.incidents.lifecycle import Action
from cityioc.incidents.models import Status

S = Status
# (action, from, to) — the allowed moves, written out independently of the module's table.
ALLOWED = {
    (Action.acknowledge, S.new): S.acknowledged,
    (Action.dispatch, S.acknowledged): S.dispatched,
    (Action.start, S.acknowledged): S.in_progress,
    (Action.start, S.dispatched): S.in_progress,
    (Action.resolve, S.in_progress): S.resolved,
    (Action.close, S.resolved): S.closed,
    (Action.reopen, S.resolved): S.in_progress,
    (Action.cancel, S.new): S.cancelled,
    (Action.cancel, S.acknowledged): S.cancelled,
    (Action.cancel, S.dispatched): S.cancelled,
    (Action.cancel, S.in_progress): S.cancelled,
}
WHO = {
    Action.acknowledge: {"admin", "operator", "agency"},
    Action.dispatch: {"admin", "operator"},
    Action.start: {"admin", "operator", "agency"},
    Action.resolve: {"admin", "operator", "agency"},
    Action.close: {"admin", "operator"},
    Action.reopen: {"admin", "operator"},
    Action.cancel: {"admin", "operator"},
}
CASES = [(s, a, r) for s in Status for a in Action for r in lifecycle.ROLES]


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_every_transition_by_every_role(status: Status, action: Action, role: str) -> None:
    target = ALLOWED.get((action, status))
    if role not in WHO[action]:
        with pytest.raises(Forbidden, match=f"role {role} may not {action.value}"):
            lifecycle.decide(status, action, role)
    elif target is None:
        with pytest.raises(Conflict, match=f"cannot {action.value} an incident that is"):
            lifecycle.decide(status, action, role)
    else:
        assert lifecycle.decide(status, action, role).target is target


def test_final_states_allow_nothing_and_stamps_name_the_kpi_times() -> None:
    for final in (S.closed, S.cancelled):
        assert lifecycle.actions_from(final, "admin") == []
    assert lifecycle.actions_from(S.new, "agency") == [Action.acknowledge]
    assert lifecycle.actions_from(S.resolved, "operator") == [Action.close, Action.reopen]
    stamps = {a: t.stamp for a, t in lifecycle.TRANSITIONS.items()}
    assert stamps[Action.acknowledge] == "acknowledged"  # → acknowledgedAt (time to acknowledge)
    assert stamps[Action.resolve] == "resolved"  # → resolvedAt (time to resolve)
    assert stamps[Action.start] == "started"


def test_a_refused_transition_reads_as_a_clear_problem() -> None:
    with pytest.raises(Conflict) as err:
        lifecycle.decide(S.closed, Action.resolve, "operator")
    assert err.value.title == "Invalid transition"
    assert err.value.detail == "cannot resolve an incident that is closed (only from: inProgress)"

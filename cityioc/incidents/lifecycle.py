"""The incident lifecycle as data: which action moves which status where, and who may take it.

    new → acknowledged → dispatched → inProgress → resolved → closed
    (new, acknowledged, dispatched, inProgress) → cancelled;  resolved → inProgress (reopen)

Admins may take every action; ``decide`` is pure and ``TRANSITIONS`` is the whole truth (tests
walk every status × action × role). Who an agency caller may act for is checked elsewhere
(``access``): here ``agency`` means "staff of the incident's responsible agency".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cityioc.core.errors import Conflict, Forbidden
from cityioc.incidents.models import Status

ADMIN = "admin"
OPERATOR = "operator"
AGENCY = "agency"
ROLES = (ADMIN, OPERATOR, AGENCY, "viewer", "ingest")


class Action(StrEnum):
    acknowledge = "acknowledge"
    dispatch = "dispatch"
    start = "start"
    resolve = "resolve"
    close = "close"
    cancel = "cancel"
    reopen = "reopen"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status
    roles: frozenset[str]  # besides admin
    stamp: str  # the entity records <stamp>At and <stamp>By: acknowledgedAt, resolvedBy …


def _t(action: Action, sources: tuple[Status, ...], target: Status, *roles: str) -> Transition:
    stamp = {Action.start: "started", Action.reopen: "reopened"}.get(action, target.value)
    return Transition(action, frozenset(sources), target, frozenset(roles), stamp)


S = Status
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.acknowledge, (S.new,), S.acknowledged, OPERATOR, AGENCY),
        _t(Action.dispatch, (S.acknowledged,), S.dispatched, OPERATOR),
        _t(Action.start, (S.acknowledged, S.dispatched), S.in_progress, OPERATOR, AGENCY),
        _t(Action.resolve, (S.in_progress,), S.resolved, OPERATOR, AGENCY),
        _t(Action.close, (S.resolved,), S.closed, OPERATOR),
        _t(Action.reopen, (S.resolved,), S.in_progress, OPERATOR),
        _t(
            Action.cancel,
            (S.new, S.acknowledged, S.dispatched, S.in_progress),
            S.cancelled,
            OPERATOR,
        ),
    )
}


def may(role: str, action: Action) -> bool:
    return role == ADMIN or role in TRANSITIONS[action].roles


def decide(status: Status, action: Action, role: str) -> Transition:
    """The transition ``action`` makes from ``status`` for ``role``.

    Raises Forbidden when the role may never take the action, Conflict when the incident's status
    does not allow it (ProblemDetails 403 and 409).
    """
    transition = TRANSITIONS[action]
    if not may(role, action):
        allowed = ", ".join(sorted({ADMIN, *transition.roles}))
        raise Forbidden(f"role {role} may not {action.value} an incident (allowed: {allowed})")
    if status not in transition.sources:
        sources = ", ".join(sorted(s.value for s in transition.sources))
        raise Conflict(
            f"cannot {action.value} an incident that is {status.value} (only from: {sources})",
            title="Invalid transition",
        )
    return transition


def actions_from(status: Status, role: str) -> list[Action]:
    """What ``role`` may do next from ``status`` (for the UI's buttons)."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources and may(role, a)]

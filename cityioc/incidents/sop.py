"""Standard operating procedures: templates (from the pack) and the activities an incident runs.

A template is an ordered list of steps, each with a responsible role (``operator`` — the
operations centre — or ``agency`` — the incident's responsible agency), an expected duration and
the fields it records. An incident runs its template as activities, one at a time in order: the
current step is *pending* until it is *done* (with its record) or *skipped* (with a reason); it is
*late* when it passes its due time. What a step records is handed to the steps after it
(``inputs``), as IBM IOC passes data from one activity to the next. Everything here is pure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cityioc.core.errors import BadRequestData, Conflict
from cityioc.incidents.durations import Minutes
from cityioc.incidents.models import Activity

StepRole = Literal["operator", "agency"]
PENDING, DONE, SKIPPED = "pending", "done", "skipped"
MAX_RECORD_BYTES = 8 * 1024  # a step's record is a few fields, not a document


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Item):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class RecordField(_Item):
    key: str = Field(pattern=r"^[a-z][A-Za-z0-9]*$", max_length=60)
    label: Text
    required: bool = False


class SopStep(_Item):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    title: Text
    description: Text | None = None
    role: StepRole
    expected: Minutes  # the step's expected duration: 15m, 2h, 1d …
    record: list[RecordField] = []


class SopTemplate(_Item):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    name: Text
    description: Text | None = None
    categories: list[str] = []  # incident categories it applies to
    alert_sub_categories: list[str] = []  # alert subCategory values it applies to
    category: str | None = None  # the incident category implied when an alert starts it
    steps: list[SopStep] = Field(min_length=1)
    line: int = Field(default=0, exclude=True)

    @field_validator("steps")
    @classmethod
    def _unique_keys(cls, steps: list[SopStep]) -> list[SopStep]:
        keys = [s.key for s in steps]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"step keys must be unique: {', '.join(doubled)}")
        return steps


def choose(
    templates: list[SopTemplate],
    *,
    code: str | None = None,
    category: str | None = None,
    alert_sub_category: str | None = None,
) -> SopTemplate | None:
    """The template named ``code``; else the first for the alert's subCategory, then category."""
    if code is not None:
        found = next((t for t in templates if t.id == code), None)
        if found is None:
            raise BadRequestData(f"unknown procedure {code!r}")
        return found
    if alert_sub_category:
        found = next((t for t in templates if alert_sub_category in t.alert_sub_categories), None)
        if found is not None:
            return found
    if category:
        return next((t for t in templates if category in t.categories), None)
    return None


def start(template: SopTemplate, now: int) -> list[Activity]:
    """The activities of a fresh run: the first step is current from ``now``."""
    activities = [
        Activity(
            n=i,
            key=step.key,
            title={"vi": step.title.vi, "en": step.title.en},
            role=step.role,
            expected_minutes=step.expected,
            record_fields=[f.model_dump() for f in step.record],
        )
        for i, step in enumerate(template.steps, start=1)
    ]
    _begin(activities[0], now)
    return activities


def current(activities: list[Activity]) -> Activity | None:
    return next((a for a in activities if a.status == PENDING), None)


def state(activity: Activity, now: int) -> str:
    """pending, done, skipped or late (pending past its due time)."""
    if activity.status == PENDING and activity.due_at is not None and now > activity.due_at:
        return "late"
    return activity.status


def complete(
    activities: list[Activity], n: int, record: dict[str, Any], actor: str, now: int
) -> Activity:
    """Mark step ``n`` done with what it recorded; the next step becomes current."""
    activity = _current_is(activities, n)
    missing = [
        f["key"]
        for f in activity.record_fields
        if f.get("required") and record.get(f["key"]) in (None, "", [], {})
    ]
    if missing:
        raise BadRequestData(f"step {n} ({activity.key}) must record: {', '.join(missing)}")
    if len(repr(record)) > MAX_RECORD_BYTES:
        raise BadRequestData(f"a step's record must stay under {MAX_RECORD_BYTES} bytes")
    activity.status, activity.record = DONE, dict(record)
    _finish(activities, activity, actor, now)
    return activity


def skip(activities: list[Activity], n: int, reason: str, actor: str, now: int) -> Activity:
    """Skip step ``n``; a reason is required (it stays in the record of the incident)."""
    if not reason or not reason.strip():
        raise BadRequestData("skipping a step needs a reason")
    activity = _current_is(activities, n)
    activity.status, activity.reason = SKIPPED, reason.strip()
    _finish(activities, activity, actor, now)
    return activity


def mark_late(activities: list[Activity], now: int) -> list[Activity]:
    """Flag the current step late once it is past due; returns the newly late ones."""
    active = current(activities)
    if active is None or active.late or active.due_at is None or now <= active.due_at:
        return []
    active.late = True
    return [active]


def inputs(activities: list[Activity], n: int) -> dict[str, Any]:
    """What the steps before ``n`` recorded, later steps winning: the data handed to step ``n``."""
    merged: dict[str, Any] = {}
    for activity in activities:
        if activity.n >= n:
            break
        if activity.status == DONE:
            merged.update(activity.record)
    return merged


def pending_steps(activities: list[Activity]) -> list[Activity]:
    return [a for a in activities if a.status == PENDING]


def next_due(activities: list[Activity]) -> int | None:
    """The due time of the current step while it is not yet flagged late (for the SLA tick)."""
    active = current(activities)
    if active is None or active.late:
        return None
    return active.due_at


def _current_is(activities: list[Activity], n: int) -> Activity:
    if not 1 <= n <= len(activities):
        raise BadRequestData(f"the procedure has steps 1 to {len(activities)}, not {n}")
    activity = activities[n - 1]
    if activity.status != PENDING:
        raise Conflict(f"step {n} ({activity.key}) is already {activity.status}")
    active = current(activities)
    if active is not None and active.n != n:
        raise Conflict(
            f"steps run in order: step {active.n} ({active.key}) comes before step {n}",
            title="Step out of order",
        )
    return activity


def _begin(activity: Activity, now: int) -> None:
    activity.started_at = now
    activity.due_at = now + activity.expected_minutes * 60_000


def _finish(activities: list[Activity], activity: Activity, actor: str, now: int) -> None:
    activity.completed_at, activity.by = now, actor
    if activity.due_at is not None and now > activity.due_at:
        activity.late = True
    following = current(activities)
    if following is not None:
        _begin(following, now)

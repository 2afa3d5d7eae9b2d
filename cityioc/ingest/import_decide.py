"""One write decision for a whole file: upsert its entities and add its readings, or nothing.

Runs inside ``Store.mutate`` (one transaction). Entities are upserted with append semantics (the
file's attributes replace those of the same name; others are kept); an entity whose attributes and
types already match is left alone, so importing a file twice changes nothing the second time.
Readings reuse the hub's readings decision (``hub.readings.decide_readings``): a sample each, and
the entity's current value follows the latest ``observedAt``. A reading the hub refuses (its entity
does not exist and may not be created) rejects the whole file by raising ``ImportRejected``.

The dry run calls the same decision on the current state read outside a transaction and writes
nothing, so what it reports is what the real run would do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import orjson

from cityioc.core.errors import BadRequestData
from cityioc.hub import operations as ops
from cityioc.hub.models import AttributeObject, AttributeValue, Mutation, Sample, StoredEntity
from cityioc.hub.readings import ReadingsResult, decide_readings
from cityioc.ingest.import_problems import Problem
from cityioc.ingest.import_rows import ParsedRows


class ImportRejected(BadRequestData):
    """The file cannot be imported; ``problems`` says why, row by row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the file was rejected: {len(problems)} problem(s); nothing was written")
        self.problems = problems


@dataclass(slots=True)
class Outcome:
    """What the decision did to each entity (filled afresh on every run of the decision)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    samples: int = 0

    def clear(self) -> None:
        self.created.clear()
        self.updated.clear()
        self.unchanged.clear()
        self.samples = 0


def decide_import(
    parsed: ParsedRows,
    file: str,
    now: int,
    actor: str,
    outcome: Outcome,
    *,
    create_missing: bool,
    features: bool = False,
) -> Callable[[Mapping[str, StoredEntity]], Mutation]:
    readings = list(enumerate(parsed.readings))

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        # The store may run a decision more than once (a retried transaction): start afresh.
        outcome.clear()
        state = dict(current)
        upserts: dict[str, StoredEntity] = {}
        samples: list[Sample] = []
        for draft in parsed.entities.values():
            old = state.get(draft.id)
            if old is None:
                entity = StoredEntity(
                    draft.id, list(draft.types), dict(draft.attrs), now, now, actor, actor
                )
                samples += ops.samples_for(draft.id, draft.attrs, now)
                outcome.created.append(draft.id)
            else:
                changed = _changed(old.doc, draft.attrs)
                new_types = [t for t in draft.types if t not in old.types]
                if not changed and not new_types:
                    outcome.unchanged.append(draft.id)
                    continue
                ops.merge_types(old, new_types)
                ops.append_attrs(old, changed, no_overwrite=False)
                entity = ops.touched(old, now, actor)
                samples += ops.samples_for(draft.id, changed, now)
                outcome.updated.append(draft.id)
            upserts[draft.id] = state[draft.id] = entity
        if readings:
            add_readings(state, upserts, samples, current)
        outcome.samples = len(samples)
        return Mutation(upserts=list(upserts.values()), samples=samples)

    def add_readings(
        state: dict[str, StoredEntity],
        upserts: dict[str, StoredEntity],
        samples: list[Sample],
        current: Mapping[str, StoredEntity],
    ) -> None:
        result = ReadingsResult()
        before = {
            r.entity_id: orjson.dumps(state[r.entity_id].doc)
            for _, r in readings
            if r.entity_id in state and r.entity_id not in upserts
        }
        mutation = decide_readings(readings, result, now, actor, auto_create=create_missing)(state)
        if result.errors:
            found = result.errors
            raise ImportRejected([_problem(file, parsed, i, e.detail, features) for i, e in found])
        samples += mutation.samples
        unchanged, moved = set(outcome.unchanged), set()
        for entity in mutation.upserts:
            if entity.id in upserts:
                continue  # created or updated by its own row: counted already
            if entity.id not in current:
                outcome.created.append(entity.id)
            elif orjson.dumps(entity.doc) != before.get(entity.id):
                moved.add(entity.id)
                outcome.updated.append(entity.id)
            else:
                # Only readings older than the current values: the history grows, the entity
                # stays as it is (and is not rewritten).
                if entity.id not in unchanged:
                    unchanged.add(entity.id)
                    outcome.unchanged.append(entity.id)
                continue
            upserts[entity.id] = entity
        if moved:
            outcome.unchanged[:] = [eid for eid in outcome.unchanged if eid not in moved]

    return decide


def _changed(
    old: Mapping[str, AttributeValue], new: Mapping[str, AttributeObject]
) -> dict[str, AttributeValue]:
    """The attributes whose value (or unit, or target) differs from what is stored."""
    out: dict[str, AttributeValue] = {}
    for name, attr in new.items():
        stored = old.get(name)
        if not isinstance(stored, dict) or any(stored.get(k) != v for k, v in attr.items()):
            out[name] = attr
    return out


def _problem(file: str, parsed: ParsedRows, index: int, reason: str, features: bool) -> Problem:
    number, column = parsed.origins[index]
    return Problem.at(file, number, reason, features=features, code="unknown_entity", column=column)

"""A pack's sensor fleet once expanded: every sensor, segment and road it will write."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cityioc.packs.models import Road


@dataclass(frozen=True, slots=True)
class SensorSpec:
    local_id: str
    type: str
    name: str
    lon: float
    lat: float
    area: str  # area code, valid on the pack's as_of date
    tags: tuple[str, ...]
    attributes: dict[str, dict[str, Any]]  # static: reconciled at every load
    initial: dict[str, dict[str, Any]]  # starting state: written only when absent
    illustrative: bool
    origin: str  # "sensors.csv:12" or "sensor-lines.yaml:30"

    @property
    def id(self) -> str:
        return f"urn:ngsi-ld:{self.type}:{self.local_id}"


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A street segment that consecutive sensors of a line share (StreetlightGroup, RoadSegment)."""

    local_id: str
    type: str
    name: str
    coordinates: list[tuple[float, float]]
    area: str
    road: str
    tags: tuple[str, ...]
    illustrative: bool
    members: int

    @property
    def id(self) -> str:
        return f"urn:ngsi-ld:{self.type}:{self.local_id}"


@dataclass(slots=True)
class Fleet:
    sensors: list[SensorSpec] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)
    roads: list[Road] = field(default_factory=list)

    def count_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(s.type for s in self.sensors).items()))

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {t}" for t, n in self.count_by_type().items())
        return (
            f"{len(self.sensors)} sensors ({kinds}), {len(self.groups)} segments,"
            f" {len(self.roads)} roads"
        )

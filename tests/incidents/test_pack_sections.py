"""The ``sops`` and ``sla`` pack sections: checked with file:line problems, loaded idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityioc.hub.service import Hub
from cityioc.packs import PackError, load_pack, validate_pack
from cityioc.packs.load import LOADED
from tests.incidents.conftest import sops_of
from tests.incidents.helpers import attr
from tests.packs.minimal import write_pack

SOPS = """\
- id: flood
  name: {vi: "Ngập", en: "Flood"}
  categories: [flood]
  steps:
    - {key: warn, title: {vi: "Cảnh báo", en: "Warn"}, role: operator, expected: 15m}
- id: flood
  name: {vi: "Lặp", en: "Twice"}
  steps: [{key: a, title: {vi: "A", en: "A"}, role: operator, expected: 5}]
- id: bad
  name: {vi: "Sai", en: "Bad"}
  categories: [nothing]
  steps:
    - {key: a, title: {vi: "A", en: "A"}, role: mayor, expected: 15x}
- id: empty
  name: {vi: "Rỗng", en: "Empty"}
  steps: []
"""
SLA = """\
- id: default
  deadlines:
    Extreme: {acknowledge: 10m, resolve: 2h}
    Severe: {acknowledge: 15m, resolve: 4h}
    Moderate: {acknowledge: 1h, resolve: 1d}
    Minor: {acknowledge: 2h, resolve: 2d}
    Unknown: {acknowledge: 2h, resolve: 2d}
- id: flood
  category: flood
  deadlines:
    Severe: {acknowledge: 1h, resolve: 30m}
    Awful: {acknowledge: 1h, resolve: 2h}
- id: ghost
  category: ghost
  deadlines: {Minor: {acknowledge: 1h, resolve: 2h}}
"""


def problems_of(root: Path) -> list[str]:
    with pytest.raises(PackError) as err:
        validate_pack(root)
    return [str(p) for p in err.value.problems]


def test_problems_point_at_their_file_and_line(tmp_path: Path) -> None:
    found = problems_of(write_pack(tmp_path / "p", sops_yaml=SOPS, sla_yaml=SLA))
    assert found == [
        "sla.yaml:11: deadlines.Severe: resolve must not come before acknowledge",
        "sla.yaml:12: deadlines.Awful.[key]: Input should be 'Extreme', 'Severe', 'Moderate',"
        " 'Minor' or 'Unknown'",
        "sla.yaml:13: sla ghost: unknown category 'ghost'",
        "sops.yaml:6: id flood is already used on line 1",
        "sops.yaml:13: steps[0].expected: bad duration '15x' (write e.g. 15m, 4h, 2d or 1h30m)",
        "sops.yaml:13: steps[0].role: Input should be 'operator' or 'agency'",
        "sops.yaml:16: steps: List should have at least 1 item after validation, not 0",
    ]


def test_the_default_policy_is_required_once(tmp_path: Path) -> None:
    no_default = (
        "- id: flood\n  category: flood\n  deadlines: {Minor: {acknowledge: 1h, resolve: 2h}}\n"
    )
    found = problems_of(write_pack(tmp_path / "p", sla_yaml=no_default))
    assert found == ["sla.yaml:1: sla.yaml needs exactly one default policy (without category)"]


async def test_binh_duong_loads_its_procedures_and_service_levels_once(hub: Hub) -> None:
    pack = validate_pack("binh-duong")
    assert len(sops_of(pack)) == 5
    # the hub fixture loaded the pack without its fleet: a second load changes nothing
    report = await load_pack(hub, pack)
    for name in ("sops", "sla"):
        assert report.sections[name].status == LOADED
        assert report.sections[name].counts.created == 0
        assert report.sections[name].counts.updated == 0
    flood = await hub.get("default", "urn:ngsi-ld:StandardOperatingProcedure:flood")
    assert flood.created_by == "pack:binh-duong"
    policy = await hub.get("default", "urn:ngsi-ld:SlaPolicy:ngap-nuoc")
    deadlines = attr(policy, "deadlines")
    assert deadlines["value"]["Extreme"] == {"acknowledgeMinutes": 10, "resolveMinutes": 180}

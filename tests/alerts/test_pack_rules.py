"""The ``rules`` pack section: problems as file:line, the Bình Dương rules loaded as AlertRule
entities, idempotent reloads that keep an admin's edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityioc.alerts.rule_store import RuleStore
from cityioc.core.clock import FakeClock
from cityioc.hub.service import Hub
from cityioc.packs import PackError, load_pack, validate_pack
from cityioc.packs.load import LOADED
from cityioc.store.port import Store
from tests.packs.minimal import write_pack

BAD = """\
- id: flood
  kind: threshold
  name: {vi: Ngập, en: Flood}
  scope: {types: [FloodMonitoring]}
  when: {attribute: currentLevel, op: ">"}
  for: soon
  alert: {category: naturalDisaster, sub_category: flood, cap: {category: Met, severity: Severe},
          title: {vi: a, en: b}}
- id: flood
  kind: volcano
"""


def test_bad_rules_are_reported_with_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(PackError) as caught:
        validate_pack(write_pack(tmp_path / "p", rules_yaml=BAD))
    found = [str(p) for p in caught.value.problems]
    assert "rules.yaml:5: when: op > needs a value" in found
    assert any(p.startswith("rules.yaml:6: for: 'soon' is not a duration") for p in found)
    assert "rules.yaml:10: kind: kind must be one of threshold, rate, missing, aqi, geofence," \
        " count, combination" in found  # fmt: skip


async def test_the_binh_duong_rules_load_once_and_keep_an_admins_edit(
    store: Store, clock: FakeClock
) -> None:
    pack = validate_pack("binh-duong")
    kinds = {r.id: r.kind for r in pack.section("rules") or []}
    assert kinds == {
        "flood-above-alert-level": "threshold",
        "air-quality-poor": "aqi",
        "weather-station-silent": "missing",
        "streetlight-segment-dark": "threshold",
        "traffic-jam": "threshold",
    }
    hub = Hub(store, clock)
    report = await load_pack(hub, pack, "pack:binh-duong")
    assert report.sections["rules"].status == LOADED
    assert report.sections["rules"].counts.created == 5
    rules = RuleStore(hub, clock)
    listed = await rules.list("default")
    assert [r.id for r in listed] == sorted(kinds) and all(r.rule is not None for r in listed)
    edited = dict(listed[0].document, enabled=False)
    await rules.replace("default", listed[0].id, edited, "key:admin")
    again = await load_pack(hub, pack, "pack:binh-duong")
    assert again.sections["rules"].counts.created == 0
    assert (again.sections["rules"].counts.unchanged, again.sections["rules"].counts.kept) == (4, 1)
    kept = await rules.get("default", listed[0].id)
    assert kept.document["enabled"] is False and kept.modified_by == "key:admin"

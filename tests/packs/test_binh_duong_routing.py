"""Every alert the Bình Dương pack's rules raise can become a routed incident: its subCategory
names a report category or a procedure (else the incident goes to the operations centre itself,
with no procedure — as the dark-street alert once did, scenario 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

PACK = Path(__file__).parents[2] / "cityioc" / "packs" / "binh_duong"


def _load(name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = yaml.safe_load((PACK / name).read_text(encoding="utf-8"))
    return found


RULES = _load("rules.yaml")


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_each_rule_alert_finds_its_category_or_procedure(rule: dict[str, Any]) -> None:
    linked = {c["alert"]["sub_category"] for c in _load("categories.yaml") if c.get("alert")}
    procedures = {s for sop in _load("sops.yaml") for s in sop.get("alert_sub_categories", [])}
    assert rule["alert"]["sub_category"] in linked | procedures

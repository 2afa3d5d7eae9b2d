"""An admin's edit of an agency or a procedure survives loading the pack again, while what no
one edited still follows the pack (as alert rules do)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.packs import Pack, load_pack, validate_pack
from cityioc.packs.load import LoadReport
from cityioc.web.state import City
from tests.incidents.helpers import app_with_pack

ADMIN_KEY = "cio_test_admin-key-for-catalogue-reload"
AGENCIES = "/api/v1/admin/agencies"
SOPS = "/api/v1/admin/sops"
ORG = "urn:ngsi-ld:Organization:"
SOP = "urn:ngsi-ld:StandardOperatingProcedure:"


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, pack: Pack, clock: FakeClock
) -> Iterator[tuple[TestClient, City]]:
    with app_with_pack(database_url, tmp_path, pack, clock, ADMIN_KEY, as_admin=True) as made:
        yield made


def load(client: TestClient, city: City, pack: Pack) -> LoadReport:
    report: LoadReport = client.portal.call(load_pack, city.hub, pack)  # type: ignore[union-attr]
    return report


def next_version(pack: Pack, target: Path) -> Pack:
    """The same pack with new English names for two agencies and two procedures."""
    shutil.copytree(pack.root, target)
    for file, old, new in [
        ("agencies.yaml", "Department of Construction", "Construction Department"),
        ("agencies.yaml", "Department of Natural Resources", "Natural Resources Department"),
        ("sops.yaml", '"Flood response"', '"Flooding: response"'),
        ("sops.yaml", '"Air pollution response"', '"Air quality: response"'),
    ]:
        text = (target / file).read_text(encoding="utf-8")
        assert old in text, (file, old)
        (target / file).write_text(text.replace(old, new), encoding="utf-8")
    return validate_pack(target)


def edit(client: TestClient, url: str, change: dict[str, Any]) -> dict[str, Any]:
    found = client.get(url).json()
    saved = client.put(url, json={**found, **change})
    assert saved.status_code == 200, saved.text
    return {k: v for k, v in saved.json().items() if k != "problems"}


def test_admin_edits_survive_a_reload_and_the_rest_follows_the_pack(
    api: tuple[TestClient, City], pack: Pack, tmp_path: Path
) -> None:
    client, city = api
    ours = {"vi": "Sở TN&MT (trực ban)", "en": "DONRE duty desk"}
    stnmt = edit(client, f"{AGENCIES}/stnmt", {"name": ours, "phone": "0274 3822 000"})
    flood = edit(
        client, f"{SOPS}/flood", {"name": {"vi": "Ứng phó ngập", "en": "Flood drill (ours)"}}
    )
    sxd_before = client.get(f"{AGENCIES}/sxd").json()

    same = load(client, city, pack)  # the same pack again: the edits differ from it, and stay
    assert same.sections["agencies"].counts.kept == 1
    assert same.sections["sops"].counts.kept == 1
    assert same.totals.created == same.totals.updated == 0
    assert client.get(f"{AGENCIES}/stnmt").json() | {"problems": []} == stnmt | {"problems": []}
    assert client.get(f"{SOPS}/flood").json()["name"]["en"] == "Flood drill (ours)"

    newer = load(client, city, next_version(pack, tmp_path / "v2"))
    agencies, sops = newer.sections["agencies"].counts, newer.sections["sops"].counts
    assert (agencies.updated, agencies.kept) == (1, 1)  # sxd updated, stnmt kept
    assert (sops.updated, sops.kept) == (1, 1)  # air-pollution updated, flood kept
    # edited: as the admin left them, although the pack changed them too
    kept = client.get(f"{AGENCIES}/stnmt").json()
    assert kept["name"] == ours and kept["phone"] == "0274 3822 000"
    assert client.get(f"{SOPS}/flood").json() == {**flood, "problems": []}
    # not edited: the pack's new version
    sxd = client.get(f"{AGENCIES}/sxd").json()
    assert sxd["name"]["en"] == "Bình Dương Construction Department"
    assert sxd == {**sxd_before, "name": sxd["name"]}
    assert client.get(f"{SOPS}/air-pollution").json()["name"]["en"] == "Air quality: response"
    # the load wrote neither edited entity: the admin is still their last writer
    ids = [f"{ORG}stnmt", f"{ORG}sxd", f"{SOP}flood", f"{SOP}air-pollution"]
    stored = client.portal.call(city.hub.store.get_entities, "default", ids)  # type: ignore[union-attr]
    writers = [stored[i].modified_by.split(":")[0] for i in ids]
    assert writers == ["key", "pack", "key", "pack"]

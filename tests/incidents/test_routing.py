"""Who answers for an incident: the area (through its hierarchy, at its date) and the category."""

from __future__ import annotations

from datetime import date

import pytest

from cityioc.hub.service import Hub
from cityioc.incidents.catalogue import directory_of_pack, load_directory
from cityioc.incidents.routing import Directory, route
from cityioc.packs import Pack
from tests.incidents.conftest import sops_of

ORG = "urn:ngsi-ld:Organization:"
AFTER, BEFORE = date(2026, 1, 15), date(2024, 5, 1)


def ward_of_thu_dau_mot(pack: Pack) -> str:
    area = pack.areas.area_at((106.655, 10.985), AFTER)
    assert area is not None and area.level == "commune"
    return area.code


def check_routes(d: Directory, ward: str) -> None:
    flood = route(d, ward, "ngap-nuoc", AFTER)
    # the ward's people's committee leads; the provincial agencies for floods are involved
    assert flood.lead == f"{ORG}ubnd-{ward}"
    assert set(flood.involved) == {
        f"{ORG}ubnd-{ward}", f"{ORG}sxd", f"{ORG}sgtvt", f"{ORG}cong-an", f"{ORG}biwase"
    }  # fmt: skip
    assert flood.involved[1] == f"{ORG}sxd"  # the category's default agency comes first of equals
    assert flood.rule == "responsible"
    # before 1 July 2025 the same place was in the district of Thủ Dầu Một (code 718)
    old = route(d, "718", "ngap-nuoc", BEFORE)
    assert old.lead == f"{ORG}ubnd-718"
    # an area code asked about a date it did not exist answers the unit valid then
    assert route(d, ward, "ngap-nuoc", BEFORE).lead == f"{ORG}ubnd-718"
    # equally local agencies: the default agency of the category leads
    jam = route(d, ward, "un-tac-giao-thong", AFTER)
    assert (jam.lead, jam.involved) == (f"{ORG}sgtvt", [f"{ORG}sgtvt", f"{ORG}cong-an"])
    assert route(d, ward, "o-nhiem-khong-khi", AFTER).lead == f"{ORG}stnmt"
    assert route(d, ward, "den-duong-hong", AFTER).lead == f"{ORG}chieu-sang"


def test_routing_from_the_pack(pack: Pack) -> None:
    d = directory_of_pack(pack)
    check_routes(d, ward_of_thu_dau_mot(pack))
    # no area: the category's default agency; unknown category: the operations centre
    assert route(d, None, "ngap-nuoc", AFTER).rule == "default"
    assert route(d, None, "ngap-nuoc", AFTER).lead == f"{ORG}sxd"
    fallback = route(d, ward_of_thu_dau_mot(pack), "no-such-category", AFTER)
    assert (fallback.lead, fallback.rule) == (f"{ORG}ioc", "operationsCentre")
    empty = Directory(areas=pack.areas)
    assert route(empty, "718", "ngap-nuoc", BEFORE).rule == "none"


@pytest.mark.usefixtures("database_url")
async def test_routing_from_the_entities_a_pack_load_wrote(hub: Hub, pack: Pack) -> None:
    d = await load_directory(hub.store, "default", "Asia/Ho_Chi_Minh")
    assert len(d.areas) == len(pack.areas)
    assert len(d.agencies) == len(pack.agencies)
    assert {t.id for t in d.sops} == {t.id for t in sops_of(pack)}
    assert d.sla.deadline("ngap-nuoc", "Severe") == directory_of_pack(pack).sla.deadline(
        "ngap-nuoc", "Severe"
    )
    check_routes(d, ward_of_thu_dau_mot(pack))

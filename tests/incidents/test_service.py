"""Incident use cases on both backends: opening, lifecycle with audit, the procedure, agency
isolation, links."""

from __future__ import annotations

import pytest

from cityioc.core.clock import FakeClock, iso_ms
from cityioc.core.errors import BadRequestData, Conflict, Forbidden, ResourceNotFound, Unauthorized
from cityioc.incidents.access import Actor
from cityioc.incidents.drafts import Filters
from cityioc.incidents.lifecycle import Action
from cityioc.incidents.models import Status
from cityioc.incidents.service import Incidents
from cityioc.store.port import AuditRecord
from tests.incidents.conftest import ADMIN, OPERATOR, VIEWER, agency
from tests.incidents.helpers import attr, flood_draft

MIN = 60_000


async def trail_of(incidents: Incidents, iid: str) -> list[AuditRecord]:
    """Oldest first (the store answers newest first)."""
    return list(reversed(await incidents.hub.store.audit_trail("default", iid)))


ORG = "urn:ngsi-ld:Organization:"


async def test_a_flood_incident_is_placed_routed_timed_and_runs_its_procedure(
    incidents: Incidents, clock: FakeClock
) -> None:
    incident = await incidents.create("default", flood_draft(), OPERATOR)
    assert incident.id.startswith("urn:ngsi-ld:Incident:20251201-")
    assert incident.status is Status.new and incident.source == "manual"
    assert incident.area_name == "Phường Thủ Dầu Một"
    assert incident.agency == f"{ORG}ubnd-{incident.area}"
    assert f"{ORG}sgtvt" in incident.agencies and f"{ORG}cong-an" in incident.agencies
    assert incident.cap_category == "Met"  # from the category
    now = clock.now_ms()
    assert incident.sla_acknowledge_due == now + 15 * MIN  # ngap-nuoc, Severe
    assert incident.sla_resolve_due == now + 6 * 60 * MIN
    assert incident.sop == "flood" and incident.activities[0].key == "warn-residents"

    stored = await incidents.hub.get("default", incident.id)
    assert attr(stored, "status")["value"] == "new"
    assert attr(stored, "refAgency")["object"] == incident.agency
    assert attr(stored, "title")["languageMap"]["en"] == "Underpass flooded"
    assert attr(stored, "nextDueAt")["value"] == iso_ms(now + 15 * MIN)
    trail = await trail_of(incidents, incident.id)
    assert [r.action for r in trail] == ["incident-create"]
    assert trail[0].detail is not None and trail[0].detail["after"]["status"] == "new"


async def test_lifecycle_records_times_and_audits_before_and_after(
    incidents: Incidents, clock: FakeClock
) -> None:
    lead = None
    incident = await incidents.create("default", flood_draft(sop="none"), OPERATOR)
    lead = agency(incident.agency.removeprefix(ORG))  # type: ignore[union-attr]
    clock.advance(minutes=4)
    acked = await incidents.transition(
        "default", incident.id, Action.acknowledge, lead, note="Đã nhận"
    )
    assert acked.stamps["acknowledged"] == clock.now_ms()
    assert acked.stamped_by["acknowledged"] == lead.id
    assert acked.comments[-1].text == "Đã nhận"
    with pytest.raises(Forbidden, match="role agency may not dispatch"):
        await incidents.transition("default", incident.id, Action.dispatch, lead)
    await incidents.transition("default", incident.id, Action.dispatch, OPERATOR)
    await incidents.transition("default", incident.id, Action.start, lead)
    with pytest.raises(BadRequestData, match="needs a note"):
        await incidents.transition("default", incident.id, Action.resolve, lead)
    clock.advance(minutes=60)
    resolved = await incidents.transition(
        "default", incident.id, Action.resolve, lead, note="Đã bơm cạn, thông xe"
    )
    assert resolved.status is Status.resolved and resolved.resolution_note == "Đã bơm cạn, thông xe"
    with pytest.raises(Conflict, match="cannot acknowledge an incident that is resolved"):
        await incidents.transition("default", incident.id, Action.acknowledge, OPERATOR)
    with pytest.raises(Forbidden):
        await incidents.transition("default", incident.id, Action.close, lead)
    closed = await incidents.transition("default", incident.id, Action.close, OPERATOR)
    # the KPIs' times: to acknowledge 4 minutes, to resolve 64 minutes
    assert closed.stamps["acknowledged"] - closed.opened_at == 4 * MIN
    assert closed.stamps["resolved"] - closed.opened_at == 64 * MIN
    assert closed.sla_breached is False

    trail = await trail_of(incidents, incident.id)
    actions = [r.action for r in trail]
    assert actions == [
        "incident-create",
        "incident-acknowledge",
        "incident-dispatch",
        "incident-start",
        "incident-resolve",
        "incident-close",
    ]
    ack = trail[1]
    assert ack.actor == lead.id
    assert ack.detail is not None
    assert (
        ack.detail["before"]["status"] == "new" and ack.detail["after"]["status"] == "acknowledged"
    )
    assert ack.detail["before"]["acknowledgedAt"] is None
    assert ack.detail["after"]["acknowledgedAt"] == iso_ms(closed.stamps["acknowledged"])
    assert "title" not in ack.detail["after"]  # only what changed


async def test_resolving_waits_for_the_procedure_and_steps_obey_roles(
    incidents: Incidents, clock: FakeClock
) -> None:
    incident = await incidents.create("default", flood_draft(), OPERATOR)
    lead = agency(incident.agency.removeprefix(ORG))  # type: ignore[union-attr]
    police = agency("cong-an")  # involved, not the lead
    for action, who in ((Action.acknowledge, OPERATOR), (Action.start, lead)):
        await incidents.transition("default", incident.id, action, who)
    with pytest.raises(Forbidden, match="belongs to the operations centre"):
        await incidents.step_done("default", incident.id, 1, lead, {"channels": "loa"})
    await incidents.step_done("default", incident.id, 1, OPERATOR, {"channels": ["loa", "Zalo"]})
    with pytest.raises(Forbidden, match="only the responsible agency"):
        await incidents.step_done("default", incident.id, 2, police, {"closedRoads": "x"})
    await incidents.step_done("default", incident.id, 2, lead, {"closedRoads": "Hầm chui"})
    with pytest.raises(Conflict, match=r"steps 3 \(send-pump-team\), 4 \(report-back\)"):
        await incidents.transition("default", incident.id, Action.resolve, lead, note="xong")
    await incidents.step_skip("default", incident.id, 3, lead, "Nước tự rút")
    after = await incidents.step_done("default", incident.id, 4, lead, {"outcome": "Thông xe"})
    assert [a.status for a in after.activities] == ["done", "done", "skipped", "done"]
    assert after.activities[1].record == {"closedRoads": "Hầm chui"}
    resolved = await incidents.transition("default", incident.id, Action.resolve, lead, note="xong")
    assert resolved.status is Status.resolved
    trail = [r.action for r in await trail_of(incidents, incident.id)]
    assert trail.count("incident-step-done") == 3 and trail.count("incident-step-skip") == 1


async def test_agencies_see_their_incidents_only(incidents: Incidents) -> None:
    flood = await incidents.create("default", flood_draft(), OPERATOR)
    air = await incidents.create(
        "default", flood_draft(category="o-nhiem-khong-khi", title="Bụi mịn KCN VSIP"), OPERATOR
    )
    env, police = agency("stnmt"), agency("cong-an")
    assert air.agency == f"{ORG}stnmt"
    listed = await incidents.page("default", Filters(), env)
    assert [i.id for i in listed.items] == [air.id] and listed.total == 1
    with pytest.raises(ResourceNotFound):
        await incidents.get("default", flood.id, env)
    with pytest.raises(ResourceNotFound):
        await incidents.transition("default", flood.id, Action.acknowledge, env)
    # even asking for another agency's incidents by filter gives nothing
    other = await incidents.page("default", Filters(agency=flood.agency), env)
    assert other.total == 0
    # an involved agency reads and comments, but does not move the incident
    assert (await incidents.get("default", flood.id, police)).id == flood.id
    await incidents.comment("default", flood.id, police, "Đã cử CSGT phân luồng")
    with pytest.raises(Forbidden):
        await incidents.transition("default", flood.id, Action.acknowledge, police)
    with pytest.raises(Forbidden, match="not bound to an agency"):
        await incidents.page("default", Filters(), Actor("key:x", "agency"))
    with pytest.raises(Unauthorized):
        await incidents.page("default", Filters(), Actor("public", None))
    with pytest.raises(Forbidden):
        await incidents.create("default", flood_draft(), VIEWER)
    with pytest.raises(Forbidden):
        await incidents.comment("default", flood.id, VIEWER, "hi")
    assert (await incidents.page("default", Filters(), VIEWER)).total == 2


async def test_lists_filter_page_newest_first_and_the_board_groups(
    incidents: Incidents, clock: FakeClock
) -> None:
    made = []
    for n in range(5):
        clock.advance(minutes=1)
        made.append(await incidents.create("default", flood_draft(title=f"Ngập {n}"), OPERATOR))
    jam = await incidents.create(
        "default",
        flood_draft(category="un-tac-giao-thong", capSeverity="Minor", title="Kẹt xe"),
        OPERATOR,
    )
    await incidents.transition("default", made[0].id, Action.acknowledge, OPERATOR)
    page = await incidents.page("default", Filters(), OPERATOR, limit=4, offset=1)
    assert page.total == 6
    assert [i.title["vi"] for i in page.items] == ["Ngập 4", "Ngập 3", "Ngập 2", "Ngập 1"]
    assert [
        i.id for i in (await incidents.page("default", Filters(), OPERATOR, offset=5)).items
    ] == [made[0].id]
    by_status = await incidents.page("default", Filters.parse(status="acknowledged"), OPERATOR)
    assert [i.id for i in by_status.items] == [made[0].id]
    by_severity = await incidents.page("default", Filters.parse(severity="Minor"), OPERATOR)
    assert [i.id for i in by_severity.items] == [jam.id]
    by_category = await incidents.page(
        "default", Filters.parse(category="un-tac-giao-thong"), OPERATOR
    )
    assert by_category.total == 1
    by_agency = await incidents.page("default", Filters.parse(agency="sgtvt"), OPERATOR)
    assert [i.id for i in by_agency.items] == [jam.id]
    # an area filter takes the areas inside it: the city (79) holds the ward
    assert (await incidents.page("default", Filters.parse(area="79"), OPERATOR)).total == 6
    assert (await incidents.page("default", Filters.parse(area="718"), OPERATOR)).total == 0
    assert (await incidents.page("default", Filters.parse(overdue=True), OPERATOR)).total == 0
    clock.advance(minutes=20)  # past the flood's 15-minute acknowledge deadline
    overdue = await incidents.page("default", Filters.parse(overdue=True), OPERATOR)
    assert {i.id for i in overdue.items} == {m.id for m in made[1:]}  # the jam has 30 min
    with pytest.raises(BadRequestData, match="unknown status bogus"):
        Filters.parse(status="new,bogus")
    board = await incidents.board("default", Filters(), OPERATOR)
    assert [s.value for s in board] == [
        "new",
        "acknowledged",
        "dispatched",
        "inProgress",
        "resolved",
    ]
    assert board[Status.new].total == 5 and board[Status.acknowledged].total == 1


async def test_create_refuses_what_it_does_not_know(incidents: Incidents) -> None:
    with pytest.raises(BadRequestData, match="unknown category 'nope'"):
        await incidents.create("default", flood_draft(category="nope"), OPERATOR)
    with pytest.raises(BadRequestData, match="unknown area 'zz'"):
        await incidents.create("default", flood_draft(area="zz"), OPERATOR)
    with pytest.raises(BadRequestData, match="unknown agency"):
        await incidents.create("default", flood_draft(agency="nobody"), OPERATOR)
    chosen = await incidents.create("default", flood_draft(agency="biwase", sop="none"), ADMIN)
    assert chosen.agency == f"{ORG}biwase" and chosen.agencies[0] == chosen.agency
    assert chosen.activities == []


async def test_assign_hand_over_and_link_a_report(incidents: Incidents) -> None:
    incident = await incidents.create("default", flood_draft(), OPERATOR)
    lead = agency(incident.agency.removeprefix(ORG))  # type: ignore[union-attr]
    named = await incidents.assign("default", incident.id, lead, assignee="Nguyễn Văn A")
    assert named.assignee == "Nguyễn Văn A"
    with pytest.raises(Forbidden, match="hand an incident over"):
        await incidents.assign("default", incident.id, lead, agency="biwase")
    moved = await incidents.assign("default", incident.id, OPERATOR, agency="biwase")
    assert moved.agency == f"{ORG}biwase" and moved.agencies[0] == f"{ORG}biwase"
    report = "urn:ngsi-ld:ServiceRequest:r-1"
    linked = await incidents.link_report("default", incident.id, report, OPERATOR)
    again = await incidents.link_report("default", incident.id, report, OPERATOR)
    assert linked.reports == again.reports == [report]
    trail = [r.action for r in await trail_of(incidents, incident.id)]
    assert trail == [
        "incident-create",
        "incident-assign",
        "incident-assign",
        "incident-link-report",
    ]

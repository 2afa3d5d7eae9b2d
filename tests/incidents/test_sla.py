"""SLA: deadlines per category and severity; breaches found by the tick on a fake clock,
recorded once, audited, and escalated by e-mail to a real local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.service import Hub
from cityioc.incidents.catalogue import directory_of_pack, load_directory
from cityioc.incidents.escalation import SlaMonitor
from cityioc.incidents.lifecycle import Action
from cityioc.incidents.mail import Mailer, SmtpConfig, when_text
from cityioc.incidents.notify import Notifier
from cityioc.incidents.routing import Directory
from cityioc.incidents.service import Incidents
from cityioc.packs import Pack
from tests.incidents.conftest import OPERATOR
from tests.incidents.helpers import attr, flood_draft
from tests.incidents.smtp import Inbox, smtp_server

ORG = "urn:ngsi-ld:Organization:"


def test_deadlines_per_category_and_severity(pack: Pack) -> None:
    table = directory_of_pack(pack).sla
    assert table.deadline("ngap-nuoc", "Extreme").acknowledge == 10  # type: ignore[union-attr]
    assert table.deadline("ngap-nuoc", "Unknown").resolve == 2 * 1440  # type: ignore[union-attr]
    assert table.deadline("un-tac-giao-thong", "Severe").resolve == 120  # type: ignore[union-attr]
    assert table.deadline("mat-dien", "Minor").resolve == 3 * 1440  # type: ignore[union-attr]
    assert table.deadline(None, "Severe").acknowledge == 30  # type: ignore[union-attr]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


async def test_breach_is_recorded_once_audited_and_escalated_by_email(
    hub: Hub, clock: FakeClock, inbox: tuple[Inbox, int]
) -> None:
    messages, port = inbox
    mailer = Mailer(SmtpConfig("127.0.0.1", port, "ioc@example.org", starttls=False))
    notifier = Notifier(
        mailer, clock, escalation_to=["duty@example.org"], timezone="Asia/Ho_Chi_Minh"
    )

    async def directory(tenant: str) -> Directory:
        d = await load_directory(hub.store, tenant, "Asia/Ho_Chi_Minh")
        return Directory(
            d.areas,
            d.agencies,
            d.categories,
            d.sops,
            d.sla,
            {**d.emails, f"{ORG}ubnd-25747": "ubnd@example.org"},
        )

    incidents = Incidents(hub, timezone="Asia/Ho_Chi_Minh", notifier=notifier, directory=directory)
    monitor = SlaMonitor(incidents)
    incident = await incidents.create("default", flood_draft(), OPERATOR)
    assert incident.agency == f"{ORG}ubnd-25747"

    clock.advance(minutes=14)
    report = await monitor.tick()
    assert report.breaches == [] and report.late_steps == []

    clock.advance(minutes=2)  # 16 minutes: past the 15-minute acknowledge deadline, and step 1
    report = await monitor.tick()
    assert [(iid, b.kind) for iid, b in report.breaches] == [(incident.id, "acknowledge")]
    assert report.late_steps == [(incident.id, 1)]
    assert report.emails == 1
    stored = await hub.get("default", incident.id)
    assert attr(stored, "slaBreached")["value"] is True
    assert attr(stored, "slaBreaches")["value"][0]["kind"] == "acknowledge"
    trail = await hub.store.audit_trail("default", incident.id)
    assert trail[0].action == "incident-sla-breach" and trail[0].actor == "system:sla"
    assert trail[0].detail is not None
    assert trail[0].detail["before"]["slaBreached"] is False
    assert trail[0].detail["after"]["slaBreached"] is True
    assert trail[0].detail["breaches"][0]["kind"] == "acknowledge"

    [mail] = messages.messages
    assert mail["To"] == "ubnd@example.org, duty@example.org"
    assert mail["From"] == "ioc@example.org"
    assert mail["Subject"] == "[Quá hạn / Overdue] Ngập sâu hầm chui"
    body = mail.get_content()
    due = when_text(incident.sla_acknowledge_due or 0, "Asia/Ho_Chi_Minh")
    assert due == "17:20 01/12/2025"  # local time in the message
    assert f"chưa được xác nhận đúng hạn (hạn {due})" in body
    assert "was not acknowledged in time" in body and incident.id in body

    # the next tick finds nothing new: no second record, no second e-mail
    report = await monitor.tick()
    assert report.breaches == [] and report.emails == 0
    assert len(messages.messages) == 1

    # acknowledged late, then left unresolved past 6 hours: the resolve deadline breaches too
    await incidents.transition("default", incident.id, Action.acknowledge, OPERATOR)
    clock.advance(minutes=6 * 60)
    report = await monitor.tick()
    assert [b.kind for _, b in report.breaches] == ["resolve"]
    assert len(messages.messages) == 2
    assert "was not resolved in time" in messages.messages[1].get_content()
    final = await incidents.get("default", incident.id, OPERATOR)
    assert [b.kind for b in final.breaches] == ["acknowledge", "resolve"]


async def test_without_smtp_a_breach_is_still_recorded(
    incidents: Incidents, clock: FakeClock
) -> None:
    incident = await incidents.create("default", flood_draft(sop="none"), OPERATOR)
    clock.advance(minutes=16)
    report = await SlaMonitor(incidents).tick("default")
    assert report.emails == 0 and len(report.breaches) == 1
    assert (await incidents.get("default", incident.id, OPERATOR)).sla_breached


async def test_an_unreachable_smtp_server_does_not_stop_the_tick(
    incidents: Incidents, clock: FakeClock
) -> None:
    from tests.incidents.smtp import free_port

    incidents.notifier = Notifier(
        Mailer(
            SmtpConfig("127.0.0.1", free_port(), "ioc@example.org", starttls=False, timeout_s=2)
        ),
        clock,
        escalation_to=["duty@example.org"],
    )
    await incidents.create("default", flood_draft(sop="none"), OPERATOR)
    clock.advance(minutes=16)
    report = await SlaMonitor(incidents).tick("default")
    assert len(report.breaches) == 1 and report.emails == 0


async def test_dispatch_tells_the_agency_by_email(
    hub: Hub, clock: FakeClock, inbox: tuple[Inbox, int]
) -> None:
    messages, port = inbox
    notifier = Notifier(
        Mailer(SmtpConfig("127.0.0.1", port, "ioc@example.org", starttls=False)),
        clock,
        timezone="Asia/Ho_Chi_Minh",
    )

    async def directory(tenant: str) -> Directory:
        d = await load_directory(hub.store, tenant, "Asia/Ho_Chi_Minh")
        return Directory(
            d.areas, d.agencies, d.categories, d.sops, d.sla, {f"{ORG}stnmt": "stnmt@example.org"}
        )

    incidents = Incidents(hub, timezone="Asia/Ho_Chi_Minh", notifier=notifier, directory=directory)
    air = await incidents.create(
        "default", flood_draft(category="o-nhiem-khong-khi", title="Bụi mịn"), OPERATOR
    )
    for action in (Action.acknowledge, Action.dispatch):
        await incidents.transition("default", air.id, action, OPERATOR)
    await notifier.drain()
    [mail] = messages.messages
    assert mail["To"] == "stnmt@example.org"
    assert mail["Subject"] == "[Sự cố / Incident] Bụi mịn"
    assert "The operations centre dispatched an incident to" in mail.get_content()

"""The alerts and incidents pages in a real browser against a real ``cityioc serve`` holding the
Bình Dương pack's areas, agencies, procedures and deadlines: an operator turns an alert into an
incident, walks its procedure (steps done with data, one skipped with a reason), resolves it and
finds every step in the audit trail; an agency user sees its own incidents only; an operator
opens an incident by hand, hands it to another agency, links an alert to it, and the video wall
counts down to its deadline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.server import ServerProcess
from tests.ui import pack_server
from tests.ui.conftest import ADMIN, READY, shoot
from tests.ui.test_access import serious_violations

pytestmark = pytest.mark.e2e
PASSWORD = "ui-incidents-horse-42"
ALERT = "urn:ngsi-ld:Alert:ui-flood-tdm"
OTHER_AGENCY = "chieu-sang"  # the lighting operator (a pack agency id)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with pack_server.serve_pack(tmp_path_factory.mktemp("incidents-ui")) as proc:
        yield proc


def create_user(server: ServerProcess, username: str, role: str, agency: str | None = None) -> None:
    pack_server.create_user(server, username, role, PASSWORD, agency)


def admin(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"})


def post_alert(
    server: ServerProcess, alert_id: str = ALERT, source: str = "camera:ham-chui-tdm"
) -> None:
    """An alert as another system posts it (the alerts engine adopts it: status, count … — or
    merges it into an active alert from the same source and of the same kind)."""
    prop: Any = lambda v: {"type": "Property", "value": v}  # noqa: E731
    body = {
        "id": alert_id,
        "type": "Alert",
        "category": prop("naturalDisaster"),
        "subCategory": prop("flood"),
        "severity": prop("high"),
        "capCategory": prop("Met"),
        "capSeverity": prop("Severe"),
        "capUrgency": prop("Immediate"),
        "capCertainty": prop("Observed"),
        "alertSource": prop(source),
        "titleVi": prop("Ngập tại Phường Thủ Dầu Một"),
        "titleEn": prop("Flooding in Thủ Dầu Một ward"),
        "areaServed": prop("Phường Thủ Dầu Một"),
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.655, 10.985]},
        },
    }
    with admin(server) as http:
        r = http.post("/ngsi-ld/v1/entities", json=body)
        assert r.status_code == 201, r.text


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def sign_in(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess, username: str
) -> tuple[Page, list[str]]:
    """A fresh browser signed in with an account, with the errors of its page."""
    errors: list[str] = []
    return pack_server.sign_in(browser, contexts, errors, server, username, PASSWORD), errors


def audit_actions(page: Page) -> list[str]:
    rows = page.locator(".audit-table tbody tr")
    return [rows.nth(i).get_attribute("data-action") or "" for i in range(rows.count())]


def test_an_operator_turns_an_alert_into_an_incident_and_walks_its_procedure(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess
) -> None:
    create_user(server, "ui-op-lan", "operator")
    post_alert(server)
    page, errors = sign_in(browser, contexts, server, "ui-op-lan")

    # The ops page's KPI tile opens the alerts page; the alert is listed, active.
    page.locator('[data-kpi="alerts"]').click()
    page.wait_for_url("**/alerts")
    row = page.locator(f'[data-alert-id="{ALERT}"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("Ngập tại Phường Thủ Dầu Một")
    expect(row.locator("[data-severity]")).to_have_attribute("data-severity", "Severe")
    row.click()
    detail = page.locator(f'[data-alert="{ALERT}"]')
    expect(detail).to_contain_text("camera:ham-chui-tdm")
    urgency = detail.locator('[data-field="capUrgency"] [data-cap]')
    expect(urgency).to_have_text("Khẩn cấp")  # CAP in words, the standard's value as tooltip
    expect(urgency).to_have_attribute("title", "Immediate")
    # Acknowledge and comment: the audit trail shows both.
    page.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(detail.locator('[data-field="acknowledged"]')).to_contain_text("user:ui-op-lan")
    detail.get_by_placeholder("Bình luận").fill("Đã gọi tổ trực ban phường")
    detail.get_by_role("button", name="Gửi").click()
    expect(detail.locator(".comment-list")).to_contain_text("Đã gọi tổ trực ban phường")
    expect(detail.locator('tr[data-action="alert-acknowledge"]')).to_have_count(1)
    shoot(page, "alerts-detail")

    # "Tạo sự cố" opens the new incident.
    page.get_by_role("button", name="Tạo sự cố").click()
    page.wait_for_url("**/incidents/urn*")
    incident = page.locator("article.incident")
    expect(incident).to_have_attribute("data-status", "new")
    incident_id = incident.get_attribute("data-incident") or ""
    expect(incident.locator(".linked-alerts")).to_contain_text("Ngập tại Phường Thủ Dầu Một")
    expect(incident.locator(".sla").first).to_contain_text("Xác nhận: còn")
    agency = page.locator('[data-field="agency"]').inner_text()
    assert agency and agency != "—"
    steps = page.locator(".sop-step")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_have_attribute("data-state", "pending")
    expect(steps.nth(0)).to_contain_text("Trung tâm điều hành")  # the responsible role
    shoot(page, "incident-new")

    page.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(incident).to_have_attribute("data-status", "acknowledged")

    # Step 1 done with its record; step 2 skipped with a reason; 3 and 4 done.
    first = steps.nth(0)
    first.get_by_label("Kênh đã cảnh báo").fill("loa phường, Zalo")
    first.get_by_role("button", name="Hoàn thành bước").click()
    expect(first).to_have_attribute("data-state", "done")
    expect(first).to_contain_text("loa phường, Zalo")
    second = steps.nth(1)
    expect(second.locator(".step-inputs")).to_contain_text("loa phường, Zalo")  # handed on
    second.get_by_label("Lý do bỏ qua").fill("Hầm chui chưa ngập")
    second.get_by_role("button", name="Bỏ qua bước").click()
    expect(second).to_have_attribute("data-state", "skipped")
    expect(second).to_contain_text("Hầm chui chưa ngập")
    third = steps.nth(2)
    third.get_by_label("Tổ bơm").fill("Tổ bơm số 2")
    third.get_by_label("Số máy bơm").fill("3")
    third.get_by_role("button", name="Hoàn thành bước").click()
    expect(third).to_have_attribute("data-state", "done")
    fourth = steps.nth(3)
    expect(fourth.locator(".step-inputs")).to_contain_text("Tổ bơm số 2")
    fourth.get_by_label("Kết quả").fill("Đã rút nước")
    fourth.get_by_role("button", name="Hoàn thành bước").click()
    expect(fourth).to_have_attribute("data-state", "done")

    # Start, then resolve with a note.
    page.get_by_role("button", name="Bắt đầu xử lý").click()
    expect(incident).to_have_attribute("data-status", "inProgress")
    page.locator('button[data-action="resolve"]').click()
    page.get_by_label("Kết quả xử lý").fill("Nước đã rút, giao thông bình thường")
    page.locator("form.step-form").get_by_role("button", name="Hoàn tất xử lý").click()
    expect(incident).to_have_attribute("data-status", "resolved")
    expect(page.locator('[data-field="resolution"]')).to_have_text(
        "Nước đã rút, giao thông bình thường"
    )

    # The audit reloads after the change: wait for its last row before reading the whole trail.
    expect(page.locator('.audit-table tbody tr[data-action="incident-resolve"]')).to_have_count(1)
    actions = audit_actions(page)
    for expected in (
        "incident-create",
        "incident-acknowledge",
        "incident-step-skip",
        "incident-start",
        "incident-resolve",
    ):
        assert expected in actions, actions
    assert actions.count("incident-step-done") == 3, actions
    page.set_viewport_size({"width": 1440, "height": 2200})
    shoot(page, "incident-resolved")

    # The board has it under "resolved"; English words on switching.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("link", name="Sự cố", exact=True).click()
    page.wait_for_url("**/incidents")
    card = page.locator(f'[data-column="resolved"] [data-incident-id="{incident_id}"]')
    expect(card).to_be_visible()
    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="Incident board")).to_be_visible()
    page.get_by_role("button", name="VI").click()
    shoot(page, "incidents-board")
    assert not errors, errors


def test_an_agency_sees_only_its_incidents_with_their_deadlines(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess
) -> None:
    with admin(server) as http:
        mine = http.post(
            "/api/v1/incidents",
            json={
                "title": {"vi": "Ngập đường Yersin", "en": "Yersin street flooded"},
                "category": "ngap-nuoc",
                "capSeverity": "Extreme",
                "location": {"type": "Point", "coordinates": [106.655, 10.985]},
            },
        )
        assert mine.status_code == 201, mine.text
        lead = mine.json()["agency"]
        assert lead and not lead.endswith(":" + OTHER_AGENCY)
        other = http.post(
            "/api/v1/incidents",
            json={
                "title": {"vi": "Hỏng đèn đường"},
                "capSeverity": "Minor",
                "agency": OTHER_AGENCY,
            },
        )
        assert other.status_code == 201, other.text
    mine_id, other_id = mine.json()["id"], other.json()["id"]
    create_user(server, "ui-agency-minh", "agency", lead)
    page, errors = sign_in(browser, contexts, server, "ui-agency-minh")

    page.get_by_role("link", name="Sự cố", exact=True).click()
    page.wait_for_url("**/incidents")
    card = page.locator(f'[data-column="new"] [data-incident-id="{mine_id}"]')
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator("[data-severity]")).to_have_attribute("data-severity", "Extreme")
    expect(card.locator(".sla")).to_contain_text("Xác nhận: còn")
    expect(card.locator(".sla")).to_have_attribute("data-overdue", "false")
    expect(page.locator(f'[data-incident-id="{other_id}"]')).to_have_count(0)
    shoot(page, "incidents-board-agency")

    # Not this agency's: the page says it cannot be seen.
    page.goto(server.url + "/incidents/" + quote(other_id, safe=""))
    expect(page.get_by_text("Không tìm thấy sự cố này")).to_be_visible()

    # Its own: the agency may acknowledge (the server lists what this role may do), not close.
    page.goto(server.url + "/incidents/" + quote(mine_id, safe=""))
    expect(page.locator("article.incident")).to_have_attribute("data-status", "new")
    expect(page.locator('button[data-action="acknowledge"]')).to_be_visible()
    expect(page.locator('button[data-action="cancel"]')).to_have_count(0)
    page.locator('button[data-action="acknowledge"]').click()
    expect(page.locator("article.incident")).to_have_attribute("data-status", "acknowledged")
    assert not errors, errors


def test_an_operator_opens_an_incident_by_hand_assigns_it_and_links_an_alert(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess
) -> None:
    create_user(server, "ui-op-hoa", "operator")
    second_alert = "urn:ngsi-ld:Alert:ui-flood-yersin"
    post_alert(server, second_alert, source="camera:cho-yersin")
    page, errors = sign_in(browser, contexts, server, "ui-op-hoa")

    # The board's "new incident" form: a missing title is shown by its field.
    page.get_by_role("link", name="Sự cố", exact=True).click()
    page.wait_for_url("**/incidents")
    page.get_by_role("button", name="Mở sự cố mới").click()
    form = page.locator("form.new-incident")
    form.get_by_role("button", name="Mở sự cố", exact=True).click()
    expect(form.locator("#new-title-error")).to_have_text(
        "Cần có tiêu đề (tiếng Việt hoặc tiếng Anh)."
    )
    form.get_by_label("Tiêu đề (tiếng Việt)").fill("Ngập sâu đường Yersin")
    expect(form.locator("#new-title-error")).to_have_count(0)
    form.get_by_label("Loại sự cố").select_option(label="Ngập nước")
    form.get_by_label("Khu vực (phường, xã)").select_option(label="Phường Thủ Dầu Một")
    form.get_by_label("Mức độ nghiêm trọng").select_option(label="Đặc biệt nghiêm trọng")
    form.get_by_label("Mô tả").fill("Nước ngập 40 cm trước chợ")
    assert serious_violations(page) == []
    shoot(page, "incident-new-form")
    form.get_by_role("button", name="Mở sự cố", exact=True).click()
    page.wait_for_url("**/incidents/urn*")
    incident = page.locator("article.incident")
    expect(incident).to_have_attribute("data-status", "new")
    incident_id = incident.get_attribute("data-incident") or ""
    expect(page.locator('[data-field="category"]')).to_have_text("Ngập nước")  # its name
    expect(page.locator('[data-field="agency"]')).to_have_attribute(
        "data-agency", "urn:ngsi-ld:Organization:ubnd-25747"
    )
    expect(page.locator(".sop-step")).to_have_count(4)  # the flood procedure, from the category
    severity = page.locator('[data-field="capSeverity"] [data-cap]')
    expect(severity).to_have_text("Đặc biệt nghiêm trọng")  # CAP in words, not "Extreme"
    expect(severity).to_have_attribute("title", "Extreme")
    expect(page.locator('[data-field="capCategory"]')).to_have_text("Khí tượng, thủy văn")

    # The board filters by the category's name; the address keeps its code.
    page.get_by_role("link", name="Sự cố", exact=True).click()
    filters = page.get_by_role("form", name="Lọc sự cố")
    filters.get_by_label("Loại sự cố").select_option(label="Ngập nước")
    page.wait_for_url("**/incidents?category=ngap-nuoc")
    expect(page.locator(f'[data-incident-id="{incident_id}"]')).to_be_visible()
    filters.get_by_label("Loại sự cố").select_option(label="Tiếng ồn")
    page.wait_for_url("**/incidents?category=tieng-on")
    expect(page.locator(f'[data-incident-id="{incident_id}"]')).to_have_count(0)
    page.goto(server.url + "/incidents?category=ngap-nuoc")  # a sent link filters the same
    expect(filters.get_by_label("Loại sự cố")).to_have_value("ngap-nuoc")
    expect(page.locator(f'[data-incident-id="{incident_id}"]')).to_be_visible()
    page.locator(f'[data-incident-id="{incident_id}"]').click()
    page.wait_for_url("**/incidents/urn*")

    # Hand it to the construction department, then take it ("assign to me").
    page.locator(".assign select[name=agency]").select_option("urn:ngsi-ld:Organization:sxd")
    page.get_by_role("button", name="Chuyển đơn vị xử lý").click()
    expect(page.locator('[data-field="agency"]')).to_have_text("Sở Xây dựng tỉnh Bình Dương")
    page.get_by_role("button", name="Tôi nhận xử lý").click()
    expect(page.locator('.assign [data-field="assignee"]')).to_have_text("ui-op-hoa")
    # The audit trail in words: the field's name and its values, no attribute URIs.
    handed = page.locator('tr[data-action="incident-assign"] li[data-attr="refAgency"]').first
    expect(handed).to_contain_text("Đơn vị xử lý: ")
    expect(handed).to_contain_text("Sở Xây dựng tỉnh Bình Dương")
    created = page.locator('tr[data-action="incident-create"]')
    expect(created.locator('li[data-attr="status"]')).to_have_text("Trạng thái: Mới")
    expect(created.locator('li[data-attr="category"]')).to_have_text("Loại sự cố: Ngập nước")
    assert "https://" not in page.locator(".audit-table").inner_text()
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 1440, "height": 2000})
    shoot(page, "incident-assigned")
    page.set_viewport_size({"width": 1440, "height": 1000})

    # An alert joins this incident from the alerts page: search without diacritics.
    page.goto(server.url + "/alerts?id=" + quote(second_alert, safe=""))
    detail = page.locator(f'[data-alert="{second_alert}"]')
    detail.get_by_role("button", name="Gắn vào sự cố có sẵn").click()
    picker = page.locator(".incident-picker")
    expect(picker.locator(f'[data-incident-id="{incident_id}"]')).to_be_visible()
    picker.get_by_label("Tìm theo tiêu đề").fill("ngap sau yersin")
    expect(picker.locator("[data-incident-id]")).to_have_count(1)
    shoot(page, "alert-link-picker")
    picker.get_by_role("button", name="Gắn vào sự cố này").click()
    page.wait_for_url("**/incidents/" + quote(incident_id, safe="") + "*")
    expect(page.locator(".linked-alerts")).to_contain_text("Ngập tại Phường Thủ Dầu Một")
    expect(page.locator('tr[data-action="incident-link-alert"]')).to_have_count(1)

    # The video wall's incidents panel counts down to its deadline, worst first.
    page.goto(server.url + "/wall?rotate=600")
    page.wait_for_function(READY, timeout=15_000)
    page.keyboard.press("ArrowRight")
    expect(page.locator(".page-wall")).to_have_attribute("data-panel", "incidents")
    row = page.locator(f'.wall-list [data-incident-id="{incident_id}"]')
    expect(row.locator(".sla")).to_contain_text("Xác nhận: còn", timeout=10_000)
    expect(row.locator(".sla")).to_have_attribute("data-overdue", "false")
    severities = page.locator(".wall-list [data-incident-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.severity)"
    )
    order = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
    assert severities == sorted(severities, key=order.index), severities
    shoot(page, "wall-incidents-sla")
    assert not errors, errors


def test_an_operator_places_an_incident_on_the_map_and_chooses_its_procedure(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess
) -> None:
    create_user(server, "ui-op-minh", "operator")
    page, errors = sign_in(browser, contexts, server, "ui-op-minh")
    page.goto(server.url + "/incidents")
    page.get_by_role("button", name="Mở sự cố mới").click()
    form = page.locator("form.new-incident")
    form.get_by_label("Tiêu đề (tiếng Việt)").fill("Cây đổ chắn đường")
    form.get_by_label("Loại sự cố").select_option(label="Ngập nước")
    procedure = form.get_by_label("Quy trình xử lý")
    expect(procedure).to_have_value("")  # automatic until chosen
    offered = procedure.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["", "flood", "sensor-outage"], offered  # the category's and any-category
    procedure.select_option("sensor-outage")

    # Pick on the map: a pin and the coordinates; the area under it is pre-selected.
    value = form.locator(".pick-value")
    expect(value).to_have_text("Chưa chọn vị trí (xác định theo khu vực).")
    form.get_by_role("button", name="Chọn trên bản đồ").click()
    picker = form.locator(".pick-map .city-map")
    expect(picker).to_be_visible()
    picker.click(position={"x": 200, "y": 120})
    expect(value).not_to_have_attribute("data-point", "")
    point = value.get_attribute("data-point") or ""
    lon, lat = (float(x) for x in point.split(","))
    assert 106.0 < lon < 107.5 and 10.5 < lat < 11.6, point  # Bình Dương
    expect(value).to_contain_text("° B, ")
    expect(form.locator(".pick-pin")).to_have_count(1)
    area = form.get_by_label("Khu vực (phường, xã)")
    expect(area).not_to_have_value("")
    picked_area = area.input_value()
    assert serious_violations(page) == []
    shoot(page, "incident-new-pick-on-map")

    form.get_by_role("button", name="Mở sự cố", exact=True).click()
    page.wait_for_url("**/incidents/urn*")
    where = page.locator('[data-field="location"]')
    expect(where).to_have_attribute("data-point", point)
    expect(where).to_contain_text(f"{lat:.5f}".replace(".", ","))
    sop = page.locator("#sop-h [data-sop]")
    expect(sop).to_have_attribute("data-sop", "sensor-outage")
    expect(sop).to_contain_text("Xử lý cảm biến mất kết nối")  # its name, not its id
    expect(page.locator(".sop-step")).to_have_count(3)
    created = page.locator('tr[data-action="incident-create"]')
    expect(created).to_have_count(1)
    with admin(server) as http:
        iid = page.locator("article.incident").get_attribute("data-incident") or ""
        stored = http.get(f"/api/v1/incidents/{quote(iid, safe='')}").json()
    assert stored["area"] == picked_area and stored["sop"] == "sensor-outage"
    assert not errors, errors


def test_the_alerts_page_filters_by_an_area_chosen_from_the_list(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess
) -> None:
    create_user(server, "ui-op-thu", "operator")
    alert = "urn:ngsi-ld:Alert:ui-flood-area-filter"
    post_alert(server, alert, source="camera:area-filter")
    page, errors = sign_in(browser, contexts, server, "ui-op-thu")
    page.goto(server.url + "/alerts")
    filters = page.get_by_role("form", name="Lọc cảnh báo")
    area = filters.get_by_label("Khu vực")
    expect(area.locator("option", has_text="Phường Dĩ An")).to_have_count(1)
    row = page.locator(f'[data-alert-id="{alert}"]')
    expect(row).to_be_visible(timeout=10_000)

    area.select_option(label="Phường Thủ Dầu Một")
    page.wait_for_url("**/alerts?area=*")
    assert "Th%E1%BB%A7+D%E1%BA%A7u+M%E1%BB%99t" in page.url or "Thủ" in page.url, page.url
    expect(row).to_be_visible()
    area.select_option(label="Phường Dĩ An")
    expect(row).to_have_count(0)
    page.goto(server.url + "/alerts?area=" + quote("Phường Thủ Dầu Một"))  # a sent link
    expect(area).to_have_value("Phường Thủ Dầu Một")
    expect(row).to_be_visible(timeout=10_000)
    row.click()  # selecting an alert keeps the filter
    page.wait_for_url("**/alerts?area=*&id=*")
    expect(area).to_have_value("Phường Thủ Dầu Một")
    area.select_option("")
    expect(page).to_have_url(server.url + "/alerts?id=" + quote(alert, safe=""))
    assert not errors, errors

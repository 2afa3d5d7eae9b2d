"""The admin pages in a real browser against a real ``cityioc serve`` holding the Bình Dương
pack's agencies, procedures and rules: an administrator signed in with an account (cookie +
CSRF) creates an API key and sees it once, edits an alert rule (a bad one is refused with the
server's words next to the text), edits an agency and a procedure, and purges a dead letter;
axe-core finds no serious violation on the way; an operator gets no admin link and the server
refuses the admin APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.server import ServerProcess
from tests.ui.conftest import ADMIN, READY, shoot
from tests.ui.pack_server import create_user, serve_pack, sign_in
from tests.ui.test_access import serious_violations

pytestmark = pytest.mark.e2e
PASSWORD = "ui-admin-lotus-2026"
RULE = "flood-above-alert-level"
SignIn = Callable[[str], Page]
BAD_ROWS = (
    b"station;time;pm25\nui-adm-01;2026-11-25T10:00:00Z;12\nui-adm-01;2026-11-25T11:00:00Z;x\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serve_pack(tmp_path_factory.mktemp("admin-ui")) as proc:
        create_user(proc, "ui-admin-hoa", "admin", PASSWORD)
        create_user(proc, "ui-op-minh", "operator", PASSWORD)
        yield proc


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"}) as c:
        yield c


@pytest.fixture
def signed_in(browser: Browser, server: ServerProcess) -> Iterator[SignIn]:
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    yield lambda username: sign_in(browser, contexts, errors, server, username, PASSWORD)
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


def test_an_admin_manages_keys_rules_agencies_and_dead_letters(
    server: ServerProcess, http: httpx.Client, signed_in: SignIn
) -> None:
    # a file import with a bad row leaves a dead letter
    files = {"file": ("ui-admin.csv", BAD_ROWS, "text/csv")}
    params = {"type": "AirQualityObserved", "idColumn": "station", "timeColumn": "time"}
    assert http.post("/api/v1/import", files=files, params=params).status_code == 422

    page = signed_in("ui-admin-hoa")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Quản trị"
    ).click()
    page.wait_for_url("**/admin")
    expect(page.get_by_role("heading", name="Quản trị hệ thống")).to_be_visible()

    # --- keys: create one, see it once, it works; revoke it -----------------------------------
    form = page.get_by_role("form", name="Tạo khóa API")
    form.get_by_label("Tên khóa (dùng cho ai, việc gì)").fill("Màn hình phòng họp")
    form.get_by_label("Vai trò").select_option("viewer")
    form.get_by_role("button", name="Tạo khóa").click()
    secret = page.locator(".secret-box .new-secret")
    expect(secret).to_be_visible()
    key = secret.input_value()
    assert key.startswith("cio_")
    config = httpx.get(server.url + "/api/v1/ui/config", headers={"Authorization": f"Bearer {key}"})
    assert config.json()["viewer"]["role"] == "viewer"
    shoot(page, "admin-keys")
    page.get_by_role("button", name="Tôi đã lưu lại").click()
    expect(secret).to_have_count(0)  # never shown again
    row = page.locator("tr", has_text="Màn hình phòng họp")
    row.get_by_role("button", name="Thu hồi").click()
    row.get_by_role("button", name="Đồng ý").click()
    expect(row).to_have_attribute("data-revoked", "true")
    revoked = httpx.get(
        server.url + "/api/v1/ui/config", headers={"Authorization": f"Bearer {key}"}
    )
    assert revoked.status_code == 401

    # --- users: a new account with a generated password, then disabled -----------------------
    page.get_by_role("link", name="Tài khoản").click()
    page.wait_for_url("**/admin/users")
    form = page.get_by_role("form", name="Tạo tài khoản")
    form.get_by_label("Tên đăng nhập").fill("ui-new-lan")
    form.get_by_label("Vai trò").select_option("viewer")
    form.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator(".secret-box")).to_contain_text("ui-new-lan")
    assert len(page.locator(".secret-box .new-secret").input_value()) >= 12
    row = page.locator('tr[data-user="ui-new-lan"]')
    row.get_by_role("button", name="Khóa tài khoản").click()
    row.get_by_role("button", name="Đồng ý").click()
    expect(row).to_contain_text("Đã khóa")
    users = {u["username"]: u for u in http.get("/api/v1/admin/users").json()}
    assert users["ui-new-lan"]["role"] == "viewer" and users["ui-new-lan"]["disabledAt"]
    shoot(page, "admin-users")

    # --- rules: a bad edit is refused with the server's words; a good one is saved ------------
    page.get_by_role("link", name="Quy tắc cảnh báo").click()
    page.wait_for_url("**/admin/rules")
    page.locator(f'tr[data-rule="{RULE}"]').get_by_role("button").click()
    text = page.get_by_label("Nội dung quy tắc (JSON)")
    document = text.input_value()
    assert f'"id": "{RULE}"' in document and '"for": "10m"' in document
    text.fill(document.replace('"for": "10m"', '"for": "ten minutes"'))
    page.get_by_role("button", name="Lưu", exact=True).click()
    error = page.locator("#rule-error")
    expect(error).to_contain_text("for")
    expect(error).to_contain_text("ten minutes")
    expect(text).to_have_attribute("aria-invalid", "true")
    shoot(page, "admin-rule-error")
    text.fill(document.replace('"for": "10m"', '"for": "15m"'))
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu.")).to_be_visible()
    stored = http.get(f"/api/v1/alert-rules/{RULE}").json()
    assert stored["rule"]["for"] == "15m" and stored["modifiedBy"] == "user:ui-admin-hoa"
    text.fill("{ not json")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(error).to_contain_text("Không phải JSON hợp lệ")

    # --- agencies: an e-mail for the Department of Construction -------------------------------
    page.get_by_role("link", name="Đơn vị và địa bàn").click()
    page.locator('tr[data-agency="sxd"]').get_by_role("button", name="Sửa").click()
    agency = page.locator("form.agency-form")
    agency.get_by_label("Thư điện tử").fill("sxd@binhduong.example.vn")
    agency.get_by_label("Địa bàn phụ trách").fill("74, 99999")
    agency.get_by_role("button", name="Lưu", exact=True).click()
    expect(agency.get_by_role("alert")).to_contain_text("99999")
    agency.get_by_label("Địa bàn phụ trách").fill("74, 79")
    agency.get_by_role("button", name="Lưu", exact=True).click()
    expect(agency.get_by_role("status")).to_contain_text("Đã lưu")
    assert http.get("/api/v1/admin/agencies/sxd").json()["email"] == "sxd@binhduong.example.vn"
    expect(page.locator('tr[data-area="25747"]')).to_contain_text("Phường Thủ Dầu Một")
    assert serious_violations(page) == []
    shoot(page, "admin-agencies")

    # --- procedures: the flood procedure's first step takes 20 minutes now --------------------
    page.get_by_role("link", name="Quy trình xử lý").click()
    page.locator('tr[data-sop="flood"]').get_by_role("button", name="Sửa các bước").click()
    sop = page.locator("form.sop-form")
    sop.get_by_label("Thời gian dự kiến (phút)").first.fill("20")
    sop.get_by_label("Tên bước (tiếng Anh)").first.fill("Warn the residents")
    sop.get_by_role("button", name="Lưu", exact=True).click()
    expect(sop.get_by_role("status")).to_contain_text("Đã lưu")
    first = http.get("/api/v1/admin/sops/flood").json()["steps"][0]
    assert first["expected"] == 20 and first["title"]["en"] == "Warn the residents"
    assert serious_violations(page) == []
    shoot(page, "admin-sops")

    # --- dead letters: the bad row, its payload, purged ---------------------------------------
    page.get_by_role("link", name="Dữ liệu lỗi").click()
    page.wait_for_url("**/admin/dead-letters")
    page.get_by_label("Kênh / tệp").fill("ui-admin.csv")
    page.get_by_label("Kênh / tệp").press("Enter")
    letter = page.locator("li.letter", has_text="ui-admin.csv")
    expect(letter).to_have_count(1)
    expect(letter).to_contain_text("invalid_value")
    letter.get_by_role("button", name="Xem dữ liệu gốc").click()
    expect(letter.locator("pre.payload")).to_contain_text('"x"')
    assert serious_violations(page) == []
    shoot(page, "admin-dead-letters")
    letter.get_by_role("button", name="Xóa").click()
    letter.get_by_role("button", name="Đồng ý").click()
    expect(page.locator("li.letter", has_text="ui-admin.csv")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Đã xóa bản ghi lỗi")).to_be_visible()
    purged = http.get("/api/v1/dead-letters", params={"source": "ui-admin.csv"}).json()
    assert [d["status"] for d in purged["items"]] == ["purged"]

    # the same page in English
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    expect(page.get_by_role("link", name="Dead letters")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Topic / file")).to_have_value("ui-admin.csv")


def test_an_operator_has_no_admin_pages(server: ServerProcess, signed_in: SignIn) -> None:
    page = signed_in("ui-op-minh")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name="Sự cố")).to_be_visible()
    expect(nav.get_by_role("link", name="Quản trị")).to_have_count(0)
    page.goto(server.url + "/admin/keys")
    page.wait_for_function(READY, timeout=15_000)
    expect(page.get_by_role("alert")).to_contain_text("Chỉ quản trị viên")
    answer = page.request.get(server.url + "/api/v1/admin/agencies")
    assert answer.status == 403

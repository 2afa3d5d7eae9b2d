"""Signing in over HTTP, per backend: the cookie, CSRF, roles through the cookie exactly as
through keys, sign-out, disabled users, lock-out, the per-address limit, the audit trail."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import orjson
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from tests.accounts.conftest import (
    AGENCY,
    PASSWORD,
    admin,
    app_with_probe,
    settings_for,
)

SESSION = "/api/v1/session"
HOST = "testserver.local"  # where the test client's cookie jar keeps the server's cookies


def make_user(web: TestClient, username: str, role: str, **extra: Any) -> dict[str, Any]:
    body = {"username": username, "role": role, "password": PASSWORD, **extra}
    made = web.post("/api/v1/admin/users", json=body, headers=admin())
    assert made.status_code == 201, made.text
    return dict(made.json())


def sign_in(web: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in; returns the headers a page sends with changes (the CSRF token)."""
    r = web.post(SESSION, json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    return {"X-CSRF-Token": r.json()["csrfToken"]}


def cookie_of(set_cookie: str) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(set_cookie)
    return jar


def add_organization(web: TestClient) -> None:
    body = {"id": AGENCY, "type": "Organization", "name": {"type": "Property", "value": "Sở"}}
    assert web.post("/ngsi-ld/v1/entities", json=body, headers=admin()).status_code == 201


def test_sign_in_sets_a_safe_cookie_and_tells_who(web: TestClient) -> None:
    made = make_user(web, "Lan.Nguyen", "operator", displayName="Nguyễn Thị Lan", locale="en")
    r = web.post(SESSION, json={"username": "LAN.NGUYEN", "password": PASSWORD})
    assert r.status_code == 201
    morsel = cookie_of(r.headers["set-cookie"])["cityioc_session"]
    assert morsel["httponly"] and morsel["path"] == "/" and morsel["samesite"].lower() == "lax"
    assert not morsel["secure"]  # environment test: plain http is fine
    assert int(morsel["max-age"]) == 8 * 3600 and len(morsel.value) >= 40
    me = web.get(SESSION).json()
    assert me["user"] == {
        "id": made["id"],
        "username": "lan.nguyen",
        "displayName": "Nguyễn Thị Lan",
        "role": "operator",
        "agency": None,
        "locale": "en",
    }
    assert me["csrfToken"] == r.json()["csrfToken"] and me["expiresAt"].endswith("Z")
    assert "password" not in r.text and "$argon2" not in r.text


def test_the_cookie_is_secure_in_production(database_url: str, clock: FakeClock) -> None:
    settings = settings_for(database_url, environment="production", session_secret="s" * 32)
    with TestClient(app_with_probe(settings, clock), base_url="https://ioc.example") as web:
        make_user(web, "an.tran", "viewer")
        r = web.post(SESSION, json={"username": "an.tran", "password": PASSWORD})
        assert (
            r.status_code == 201 and cookie_of(r.headers["set-cookie"])["cityioc_session"]["secure"]
        )
        assert web.get("/test/principal").json()["actor"] == "user:an.tran"


def test_changes_need_the_csrf_token_reads_do_not(web: TestClient) -> None:
    make_user(web, "binh.le", "operator")
    csrf = sign_in(web, "binh.le")
    entity = {
        "id": "urn:ngsi-ld:Streetlight:sl-1",
        "type": "Streetlight",
        "status": {"type": "Property", "value": "on"},
    }
    missing = web.post("/ngsi-ld/v1/entities", json=entity)
    wrong = web.post("/ngsi-ld/v1/entities", json=entity, headers={"X-CSRF-Token": "guess"})
    assert missing.status_code == wrong.status_code == 403
    assert missing.json()["type"].endswith("/CsrfRejected")
    assert web.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:sl-1").status_code == 404
    assert web.post("/ngsi-ld/v1/entities", json=entity, headers=csrf).status_code == 201
    assert web.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:sl-1").status_code == 200
    patch = {"status": {"type": "Property", "value": "off"}}
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:sl-1/attrs"
    assert web.patch(url, json=patch).status_code == 403
    assert web.patch(url, json=patch, headers=csrf).status_code == 204
    # An API key is never ambient: with a key, no CSRF token is asked (and the key decides).
    assert web.post("/test/principal", headers=admin()).json()["actor"].startswith("key:")
    assert web.post("/test/principal").status_code == 403
    # Signing in is JSON only: a cross-site form (even text/plain with JSON in it) cannot.
    form = web.post(SESSION, data={"username": "binh.le", "password": PASSWORD})
    plain = web.post(
        SESSION,
        content=orjson.dumps({"username": "binh.le", "password": PASSWORD}),
        headers={"Content-Type": "text/plain"},
    )
    for refused in (form, plain):
        assert refused.status_code in (400, 415) and "set-cookie" not in refused.headers


def test_roles_are_enforced_through_the_cookie_exactly_as_through_keys(web: TestClient) -> None:
    add_organization(web)
    outcomes: dict[str, dict[str, list[int]]] = {}
    for role in ("admin", "operator", "agency", "viewer", "ingest"):
        extra = {"agency": AGENCY} if role == "agency" else {}
        key = web.post(
            "/api/v1/admin/keys", json={"role": role, "name": role, **extra}, headers=admin()
        ).json()["key"]
        make_user(web, f"{role}.user", role, **extra)
        as_key = _attempts(web, {"Authorization": f"Bearer {key}"}, f"{role}-key")
        csrf = sign_in(web, f"{role}.user")
        as_user = _attempts(web, csrf, f"{role}-user")
        web.delete(SESSION, headers=csrf)
        outcomes[role] = {"key": as_key, "user": as_user}
    for role, seen in outcomes.items():
        assert seen["key"] == seen["user"], role
    assert outcomes["viewer"]["user"] == [403, 403, 403, 200, 403, 403]
    assert outcomes["operator"]["user"] == [403, 201, 200, 200, 200, 403]
    assert outcomes["admin"]["user"] == [200, 201, 200, 200, 200, 200]
    assert outcomes["ingest"]["user"][1:3] == [201, 200]


def _attempts(web: TestClient, headers: dict[str, str], tag: str) -> list[int]:
    entity = {"id": f"urn:ngsi-ld:Streetlight:{tag}", "type": "Streetlight"}
    readings = [{"entity": f"urn:ngsi-ld:Streetlight:{tag}", "attribute": "power", "value": 1}]
    return [
        web.get("/api/v1/admin/keys", headers=headers).status_code,
        web.post("/ngsi-ld/v1/entities", json=entity, headers=headers).status_code,
        web.post("/api/v1/readings", json=readings, headers=headers).status_code,
        web.get(
            "/ngsi-ld/v1/entities", params={"type": "Organization"}, headers=headers
        ).status_code,
        web.get("/api/v1/audit", params={"subject": "x"}, headers=headers).status_code,
        web.get("/api/v1/admin/users", headers=headers).status_code,
    ]


def test_an_agency_user_is_an_agency_principal_with_its_agency(web: TestClient) -> None:
    add_organization(web)
    key = web.post(
        "/api/v1/admin/keys",
        json={"role": "agency", "name": "env", "agency": AGENCY},
        headers=admin(),
    ).json()
    assert key["agency"] == AGENCY
    by_key = web.get("/test/principal", headers={"Authorization": f"Bearer {key['key']}"}).json()
    make_user(web, "env.staff", "agency", agency=AGENCY)
    sign_in(web, "env.staff")
    by_cookie = web.get("/test/principal").json()
    assert by_key == {"actor": f"key:{key['id']}", "role": "agency", "agency": AGENCY}
    assert by_cookie == {"actor": "user:env.staff", "role": "agency", "agency": AGENCY}
    bad = web.post(
        "/api/v1/admin/users",
        json={"username": "x.y", "role": "agency", "password": PASSWORD},
        headers=admin(),
    )
    assert bad.status_code == 400 and "Organization" in bad.json()["detail"]


def test_sign_out_ends_the_session_for_good(web: TestClient) -> None:
    make_user(web, "chi.pham", "operator")
    csrf = sign_in(web, "chi.pham")
    token = web.cookies["cityioc_session"]
    assert web.delete(SESSION).status_code == 403  # not from another site
    out = web.delete(SESSION, headers=csrf)
    assert out.status_code == 204 and 'cityioc_session=""' in out.headers["set-cookie"]
    web.cookies.set("cityioc_session", token, domain=HOST)  # as if the browser had kept it
    again = web.get("/test/principal")
    assert again.status_code == 401 and again.json()["type"].endswith("/SessionEnded")
    assert 'cityioc_session=""' in again.headers["set-cookie"]  # the stale cookie goes …
    assert web.get("/test/principal").json()["actor"] == "public"  # … and public reads work
    web.cookies.set("cityioc_session", token, domain=HOST)
    assert web.get(SESSION).status_code == 401
    web.cookies.set("cityioc_session", token, domain=HOST)
    assert web.delete(SESSION).status_code == 204  # signing out twice is fine


def test_sessions_time_out_on_the_injected_clock(web: TestClient, clock: FakeClock) -> None:
    make_user(web, "dung.vo", "viewer")
    sign_in(web, "dung.vo")
    clock.advance(minutes=29)
    assert web.get(SESSION).status_code == 200
    clock.advance(minutes=30)
    assert web.get(SESSION).status_code == 401


def test_disabled_users_are_refused_and_admins_manage_users(web: TestClient) -> None:
    user = make_user(web, "hoa.dang", "viewer")
    csrf = sign_in(web, "hoa.dang")
    assert web.get("/api/v1/admin/users").status_code == 403
    assert (
        web.patch(
            f"/api/v1/admin/users/{user['id']}", json={"role": "admin"}, headers=csrf
        ).status_code
        == 403
    )
    off = web.patch(f"/api/v1/admin/users/{user['id']}", json={"disabled": True}, headers=admin())
    assert off.status_code == 200 and off.json()["disabledAt"] is not None
    assert web.get(SESSION).status_code == 401
    refused = web.post(SESSION, json={"username": "hoa.dang", "password": PASSWORD})
    assert refused.status_code == 401 and refused.json()["type"].endswith("/AccountDisabled")
    on = web.patch(
        f"/api/v1/admin/users/{user['id']}",
        json={"disabled": False, "role": "operator", "resetPassword": True},
        headers=admin(),
    ).json()
    assert on["disabledAt"] is None and on["role"] == "operator" and len(on["password"]) >= 16
    sign_in(web, "hoa.dang", on["password"])
    assert web.get(SESSION).json()["user"]["role"] == "operator"
    generated = web.post(
        "/api/v1/admin/users", json={"username": "kim.ly", "role": "viewer"}, headers=admin()
    ).json()
    listed = web.get("/api/v1/admin/users", headers=admin()).json()
    assert [u["username"] for u in listed] == ["hoa.dang", "kim.ly"]
    assert all("password" not in u and "passwordHash" not in u for u in listed)
    assert (
        web.get(f"/api/v1/admin/users/{generated['id']}", headers=admin()).json()["role"]
        == "viewer"
    )
    assert web.get("/api/v1/admin/users/nope", headers=admin()).status_code == 404
    taken = web.post(
        "/api/v1/admin/users", json={"username": "KIM.LY", "role": "viewer"}, headers=admin()
    )
    assert taken.status_code == 409
    ended = web.delete(f"/api/v1/admin/users/{user['id']}/sessions", headers=admin())
    assert ended.status_code == 204 and web.get(SESSION).status_code == 401


def test_changing_your_own_password(web: TestClient) -> None:
    make_user(web, "khanh.ho", "operator")
    csrf = sign_in(web, "khanh.ho")
    url = f"{SESSION}/password"
    wrong = web.put(
        url, json={"current": "nope-nope-nope", "new": "mat-khau-moi-that-dai"}, headers=csrf
    )
    assert wrong.status_code == 400
    weak = web.put(url, json={"current": PASSWORD, "new": "password1"}, headers=csrf)
    assert weak.status_code == 400 and "at least 10" in weak.json()["detail"]
    assert (
        web.put(url, json={"current": PASSWORD, "new": "mat-khau-moi-that-dai"}).status_code == 403
    )
    ok = web.put(url, json={"current": PASSWORD, "new": "mat-khau-moi-that-dai"}, headers=csrf)
    assert ok.status_code == 204 and web.get(SESSION).status_code == 200
    web.delete(SESSION, headers=csrf)
    sign_in(web, "khanh.ho", "mat-khau-moi-that-dai")


def test_lock_out_limit_and_audit_over_http(database_url: str, clock: FakeClock) -> None:
    settings = settings_for(database_url, login_attempts_per_minute=5)
    with TestClient(app_with_probe(settings, clock)) as web:
        make_user(web, "lam.ngo", "operator")
        codes = []
        for _ in range(3):
            r = web.post(SESSION, json={"username": "lam.ngo", "password": "not-it-at-all"})
            codes.append((r.status_code, r.json()["type"].rsplit("/", 1)[1]))
        assert codes == [(401, "WrongCredentials")] * 2 + [(401, "AccountLocked")]
        locked = web.post(SESSION, json={"username": "lam.ngo", "password": PASSWORD})
        assert locked.status_code == 401 and "locked until" in locked.json()["detail"]
        unknown = web.post(SESSION, json={"username": "ghost", "password": PASSWORD})
        assert unknown.status_code == 401 and unknown.json()["type"].endswith("WrongCredentials")
        limited = web.post(SESSION, json={"username": "lam.ngo", "password": PASSWORD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        clock.advance(minutes=10)
        sign_in(web, "lam.ngo")
        trail = web.get("/api/v1/audit", params={"subject": "user:lam.ngo"}, headers=admin()).json()
        assert [a["action"] for a in reversed(trail)] == [
            "create-user",
            "login-failed",
            "login-failed",
            "login-failed",
            "lock-user",
            "login-failed",
            "login",
        ]
        assert trail[0]["actor"] == "user:lam.ngo" and trail[0]["detail"]["address"] == "testclient"
        assert PASSWORD not in str(trail) and "not-it-at-all" not in str(trail)

"""The incidents API end to end (FastAPI TestClient, both backends): the flood scenario from an
alert to a resolved incident with a photo, clear problems, and agency isolation with real keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.packs import Pack
from cityioc.web.state import City
from tests.incidents.helpers import app_with_pack, make_alert, new_key

ADMIN_KEY = "cio_test_admin-key-for-incidents"
ORG = "urn:ngsi-ld:Organization:"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, pack: Pack, clock: FakeClock
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with app_with_pack(
        database_url, tmp_path, pack, clock, ADMIN_KEY, as_admin=True, max_photo_bytes=4096
    ) as (client, city):
        keys: dict[str, str] = {}
        for name, role, agency in (
            ("operator", "operator", None),
            ("viewer", "viewer", None),
            ("env", "agency", f"{ORG}stnmt"),
            ("police", "agency", f"{ORG}cong-an"),
        ):
            keys[name] = new_key(client, city, role, name, agency)
        yield client, keys


def as_(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[who]}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_flood_from_alert_to_resolution(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    app = client.app
    city: City = app.state.city  # type: ignore[attr-defined]
    aid = client.portal.call(make_alert, city.hub, "flood-api")  # type: ignore[union-attr]
    op = as_(keys, "operator")
    # the app connects the alerts service: auto incidents and link_incident go through it
    assert app.state.incidents.alerts.alerts is app.state.alerts.alerts  # type: ignore[attr-defined]

    made = client.post(f"/api/v1/alerts/{aid}/incident", headers=op)
    assert made.status_code == 201, made.text
    incident = made.json()
    iid = incident["id"]
    assert made.headers["Location"] == f"/api/v1/incidents/{iid}"
    assert incident["alerts"][0]["id"] == aid and incident["sop"] == "flood"
    assert [a["key"] for a in incident["activities"]][:2] == ["warn-residents", "close-underpass"]
    assert incident["actions"] == ["acknowledge", "cancel"]
    assert client.post(f"/api/v1/alerts/{aid}/incident", headers=op).status_code == 200
    lead = incident["agency"]
    assert lead.startswith(f"{ORG}ubnd-")

    for action in ("acknowledge", "dispatch", "start"):
        moved = client.post(f"/api/v1/incidents/{iid}/{action}", headers=op, json={"note": action})
        assert moved.status_code == 200, moved.text
    bad = problem(client.post(f"/api/v1/incidents/{iid}/close", headers=op), 409)
    assert bad["detail"] == "cannot close an incident that is inProgress (only from: resolved)"
    step = client.post(
        f"/api/v1/incidents/{iid}/activities/1/done",
        headers=op,
        json={"data": {"channels": ["loa phường"], "message": "Ngập 40 cm"}},
    )
    assert step.status_code == 200, step.text
    problem(client.post(f"/api/v1/incidents/{iid}/activities/2/done", headers=op, json={}), 400)
    problem(
        client.post(f"/api/v1/incidents/{iid}/activities/3/skip", headers=op, json={"reason": "x"}),
        409,
    )
    step = client.post(
        f"/api/v1/incidents/{iid}/activities/2/done",
        headers=op,
        json={"data": {"closedRoads": "Hầm chui"}},
    ).json()
    assert step["activities"][2]["inputs"] == {
        "channels": ["loa phường"],
        "message": "Ngập 40 cm",
        "closedRoads": "Hầm chui",
    }
    client.post(
        f"/api/v1/incidents/{iid}/activities/3/skip", headers=op, json={"reason": "Nước rút"}
    )
    client.post(
        f"/api/v1/incidents/{iid}/activities/4/done", headers=op, json={"data": {"outcome": "ok"}}
    )

    # resolve with a note and a photo (multipart); bad photos are refused first
    problem(client.post(f"/api/v1/incidents/{iid}/resolve", headers=op, json={}), 400)
    notimage = client.post(
        f"/api/v1/incidents/{iid}/resolve",
        headers=op,
        data={"note": "xong"},
        files={"photo": ("a.png", b"GIF89a....", "image/png")},
    )
    assert "JPEG, PNG or WebP" in problem(notimage, 400)["detail"]
    big = client.post(
        f"/api/v1/incidents/{iid}/resolve",
        headers=op,
        data={"note": "xong"},
        files={"photo": ("a.png", PNG + b"\x00" * 5000, "image/png")},
    )
    problem(big, 413)
    done = client.post(
        f"/api/v1/incidents/{iid}/resolve",
        headers=op,
        data={"note": "Đã bơm cạn, thông xe lúc 19:10"},
        files={"photo": ("hien-truong.png", PNG, "image/png")},
    )
    assert done.status_code == 200, done.text
    resolved = done.json()
    assert resolved["status"] == "resolved"
    assert resolved["resolution"]["note"] == "Đã bơm cạn, thông xe lúc 19:10"
    [photo_url] = resolved["resolution"]["photos"]
    assert client.get(photo_url, headers=op).content == PNG
    assert client.get(photo_url, headers={"Authorization": ""}).status_code == 401
    assert client.get(photo_url, headers=as_(keys, "env")).status_code == 404  # not its incident

    details = client.get(f"/api/v1/incidents/{iid}", headers=op).json()
    actions = [r["action"] for r in details["audit"]]
    assert actions[0] == "incident-create" and actions[-1] == "incident-resolve"
    assert details["transitions"]["acknowledged"]["by"].startswith("key:")
    assert details["comments"][0]["text"] == "acknowledge"


def test_lists_board_and_problems(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    op = as_(keys, "operator")
    body = {
        "title": {"vi": "Bụi mịn vượt ngưỡng", "en": "Fine dust above the limit"},
        "category": "o-nhiem-khong-khi",
        "capSeverity": "Moderate",
        "area": "25747",
    }
    air = client.post("/api/v1/incidents", headers=op, json=body)
    assert air.status_code == 201, air.text
    assert air.json()["agency"] == f"{ORG}stnmt"
    flood = client.post(
        "/api/v1/incidents",
        headers=op,
        json={"title": "Ngập", "category": "ngap-nuoc", "area": "25747"},
    ).json()
    listed = client.get("/api/v1/incidents", headers=op).json()
    assert listed["total"] == 2 and listed["items"][0]["id"] == flood["id"]
    assert client.get("/api/v1/incidents?category=ngap-nuoc", headers=op).json()["total"] == 1
    assert client.get("/api/v1/incidents?severity=Moderate", headers=op).json()["total"] == 1
    board = client.get("/api/v1/incidents/board", headers=op).json()
    assert board["columns"][0]["status"] == "new"
    assert board["columns"][0]["total"] == 2 and board["columns"][0]["label"]["vi"] == "Mới"

    # agency isolation on the server: the environment department sees the air incident only
    env = as_(keys, "env")
    seen = client.get("/api/v1/incidents", headers=env).json()
    assert [i["id"] for i in seen["items"]] == [air.json()["id"]]
    assert client.get(f"/api/v1/incidents/{flood['id']}", headers=env).status_code == 404
    problem(client.post(f"/api/v1/incidents/{flood['id']}/acknowledge", headers=env), 404)
    assert (
        client.post(f"/api/v1/incidents/{air.json()['id']}/acknowledge", headers=env).status_code
        == 200
    )
    problem(client.post(f"/api/v1/incidents/{air.json()['id']}/dispatch", headers=env), 403)
    police = as_(keys, "police")  # involved in the flood: reads and comments, cannot move it
    assert client.get(f"/api/v1/incidents/{flood['id']}", headers=police).status_code == 200
    assert (
        client.post(
            f"/api/v1/incidents/{flood['id']}/comments",
            headers=police,
            json={"text": "CSGT đã đến"},
        ).status_code
        == 201
    )
    problem(client.post(f"/api/v1/incidents/{flood['id']}/start", headers=police), 403)
    problem(client.post("/api/v1/incidents", headers=env, json=body), 403)
    problem(client.get("/api/v1/incidents", headers={"Authorization": ""}), 401)
    assert client.get("/api/v1/incidents", headers=as_(keys, "viewer")).json()["total"] == 2

    # bad input: clear 400s
    problem(client.post("/api/v1/incidents", headers=op, json={"title": ""}), 400)
    problem(
        client.post("/api/v1/incidents", headers=op, json={"title": "x", "capSeverity": "Huge"}),
        400,
    )
    problem(client.post("/api/v1/incidents", headers=op, json={"title": "x", "oops": 1}), 400)
    problem(client.get("/api/v1/incidents?status=nope", headers=op), 400)
    problem(client.get("/api/v1/incidents/urn:ngsi-ld:Incident:none", headers=op), 404)
    problem(client.post(f"/api/v1/incidents/{flood['id']}/cancel", headers=op, json={}), 400)
    problem(
        client.post(
            f"/api/v1/incidents/{flood['id']}/acknowledge", headers=op, content=b"{not json"
        ),
        400,
    )
    cancelled = client.post(
        f"/api/v1/incidents/{flood['id']}/cancel", headers=op, json={"note": "Trùng"}
    )
    assert cancelled.json()["cancelReason"] == "Trùng"

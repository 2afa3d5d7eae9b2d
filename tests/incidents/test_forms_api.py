"""What the incident pages' forms use (both backends): the choices (categories, areas, agencies
valid today), who may assign or hand over, and linking an alert to an existing incident (operators
only, idempotent, audited on both sides, clear 409/400/404)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cityioc.web.state import City
from tests.incidents.helpers import make_alert
from tests.incidents.test_api import ORG, api, as_, problem

__all__ = ["api"]  # the fixture, shared with test_api
Api = tuple[TestClient, dict[str, str]]
WARD = "25747"  # Phường Thủ Dầu Một


def _incident(client: TestClient, headers: dict[str, str], **extra: object) -> dict[str, object]:
    body = {"title": {"vi": "Ngập đường Yersin"}, "category": "ngap-nuoc", "area": WARD, **extra}
    made = client.post("/api/v1/incidents", headers=headers, json=body)
    assert made.status_code == 201, made.text
    found: dict[str, object] = made.json()
    return found


def test_choices_list_the_citys_categories_areas_and_agencies(api: Api) -> None:
    client, keys = api
    found = client.get("/api/v1/incidents/choices", headers=as_(keys, "operator"))
    assert found.status_code == 200, found.text
    body = found.json()
    flood = next(c for c in body["categories"] if c["code"] == "ngap-nuoc")
    assert flood["name"] == {"vi": "Ngập nước", "en": "Flooding"}
    assert flood["capCategory"] == "Met" and flood["defaultAgency"] == f"{ORG}sxd"
    # areas valid today (December 2025: the wards after the reorganisation, not the districts)
    codes = {a["code"] for a in body["areas"]}
    assert WARD in codes and "718" not in codes
    ward = next(a for a in body["areas"] if a["code"] == WARD)
    assert ward["name"] == {"vi": "Phường Thủ Dầu Một", "en": "Thủ Dầu Một Ward"}
    agencies = {a["id"]: a for a in body["agencies"]}
    assert agencies[f"{ORG}stnmt"]["name"]["vi"]
    assert f"{ORG}ubnd-{WARD}" in agencies and f"{ORG}ubnd-718" not in agencies
    assert not any("email" in a or "phone" in a for a in body["agencies"])  # no contact details
    # readers only: agencies and viewers may read it, the public may not
    assert client.get("/api/v1/incidents/choices", headers=as_(keys, "env")).status_code == 200
    assert client.get("/api/v1/incidents/choices", headers=as_(keys, "viewer")).status_code == 200
    problem(client.get("/api/v1/incidents/choices", headers={"Authorization": ""}), 401)


def test_who_may_assign_and_hand_over(api: Api) -> None:
    client, keys = api
    op = as_(keys, "operator")
    air = _incident(client, op, category="o-nhiem-khong-khi", title={"vi": "Bụi mịn"})
    assert air["agency"] == f"{ORG}stnmt"
    assert (air["canAssign"], air["canHandOver"]) == (True, True)
    env = as_(keys, "env")
    mine = client.get(f"/api/v1/incidents/{air['id']}", headers=env).json()
    assert (mine["canAssign"], mine["canHandOver"]) == (True, False)
    viewer = client.get(f"/api/v1/incidents/{air['id']}", headers=as_(keys, "viewer")).json()
    assert (viewer["canAssign"], viewer["canHandOver"]) == (False, False)

    # the lead agency takes it; it may not hand it over; the operator hands it to the police
    taken = client.post(
        f"/api/v1/incidents/{air['id']}/assign", headers=env, json={"assignee": "Lan"}
    )
    assert taken.status_code == 200 and taken.json()["assignee"] == "Lan"
    problem(
        client.post(
            f"/api/v1/incidents/{air['id']}/assign", headers=env, json={"agency": "cong-an"}
        ),
        403,
    )
    moved = client.post(
        f"/api/v1/incidents/{air['id']}/assign", headers=op, json={"agency": "cong-an"}
    ).json()
    assert moved["agency"] == f"{ORG}cong-an" and moved["agencies"][0] == f"{ORG}cong-an"
    assert moved["audit"][-1]["action"] == "incident-assign"
    assert moved["audit"][-1]["detail"]["after"]["refAgency"] == f"{ORG}cong-an"
    # the environment department is still involved (reads it) but no longer leads it
    again = client.get(f"/api/v1/incidents/{air['id']}", headers=env).json()
    assert again["canAssign"] is False
    assert again["actions"] == []  # no buttons the server would refuse
    police = client.get(f"/api/v1/incidents/{air['id']}", headers=as_(keys, "police")).json()
    assert police["actions"] == ["acknowledge"] and police["canAssign"] is True
    problem(
        client.post(f"/api/v1/incidents/{air['id']}/assign", headers=op, json={"agency": "nope"}),
        400,
    )


def test_an_alert_joins_an_existing_incident(api: Api) -> None:
    client, keys = api
    city: City = client.app.state.city  # type: ignore[attr-defined]
    op = as_(keys, "operator")
    first = client.portal.call(make_alert, city.hub, "link-1")  # type: ignore[union-attr]
    second = client.portal.call(make_alert, city.hub, "link-2")  # type: ignore[union-attr]
    incident = _incident(client, op)
    iid = str(incident["id"])

    # agencies and viewers may not link; a bad or unknown id is refused clearly
    problem(
        client.post(
            f"/api/v1/alerts/{first}/incident", headers=as_(keys, "viewer"), json={"incident": iid}
        ),
        403,
    )
    problem(
        client.post(f"/api/v1/alerts/{first}/incident", headers=op, json={"incident": "a b"}), 400
    )
    gone = problem(
        client.post(
            f"/api/v1/alerts/{first}/incident",
            headers=op,
            json={"incident": "urn:ngsi-ld:Incident:20251201-000000"},
        ),
        404,
    )
    assert "does not exist" in gone["detail"]
    problem(
        client.post(
            "/api/v1/alerts/urn:ngsi-ld:Alert:nope/incident", headers=op, json={"incident": iid}
        ),
        404,
    )

    linked = client.post(f"/api/v1/alerts/{first}/incident", headers=op, json={"incident": iid})
    assert linked.status_code == 200, linked.text
    assert [a["id"] for a in linked.json()["alerts"]] == [first]
    assert linked.json()["audit"][-1]["action"] == "incident-link-alert"
    alert = client.get(f"/api/v1/alerts/{first}", headers=op).json()
    assert alert["refIncident"] == iid
    assert [r["action"] for r in alert["auditTrail"]].count("alert-link-incident") == 1

    # idempotent: the same link again changes and records nothing
    again = client.post(f"/api/v1/alerts/{first}/incident", headers=op, json={"incident": iid})
    assert again.status_code == 200 and [a["id"] for a in again.json()["alerts"]] == [first]
    assert [r["action"] for r in again.json()["audit"]].count("incident-link-alert") == 1
    alert = client.get(f"/api/v1/alerts/{first}", headers=op).json()
    assert [r["action"] for r in alert["auditTrail"]].count("alert-link-incident") == 1

    # an alert that belongs to another incident, and an incident that is no longer open: 409
    other = _incident(client, op, title={"vi": "Ngập khác"})
    taken = problem(
        client.post(f"/api/v1/alerts/{first}/incident", headers=op, json={"incident": other["id"]}),
        409,
    )
    assert taken["detail"] == f"alert {first} already belongs to incident {iid}"
    client.post(f"/api/v1/incidents/{other['id']}/cancel", headers=op, json={"note": "Trùng"})
    closed = problem(
        client.post(
            f"/api/v1/alerts/{second}/incident", headers=op, json={"incident": other["id"]}
        ),
        409,
    )
    assert "cancelled" in closed["detail"] and "open incident" in closed["detail"]
    assert client.get(f"/api/v1/alerts/{second}", headers=op).json().get("refIncident") is None

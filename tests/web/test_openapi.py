"""The OpenAPI description is complete: every operation has a summary, and every operation that
reads a body describes it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_operation_is_described(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    missing_summary, missing_body = [], []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if not op.get("summary"):
                missing_summary.append(f"{method.upper()} {path}")
            if method in ("post", "put", "patch") and "requestBody" not in op:
                missing_body.append(f"{method.upper()} {path}")
    assert not missing_summary
    assert not missing_body
    assert "/ngsi-ld/v1/entities" in spec["paths"]

"""The API skeleton: health without a token, telemetry only with one, over real HTTP."""

from __future__ import annotations

import time

import httpx

from embedded_api.auth import Role, TokenAuthority
from tests.conftest import wait_until


def test_health_needs_no_token_and_reports_the_vehicle(live_api) -> None:
    with live_api.client() as c:
        wait_until(lambda: c.get("/api/health").json()["vehicles"].get("1") == "ok", 5, "vehicle 1 link ok")
        body = c.get("/api/health").json()
        assert body["status"] == "ok" and body["active_vehicle"] == 1
        assert c.get("/health/live").json() == {"status": "alive"}
        ready = c.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True


def test_telemetry_refused_without_or_with_a_bad_token(live_api) -> None:
    with live_api.client() as c:
        r = c.get("/api/telemetry")
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert "gcs token create" in r.json()["detail"]
        r = c.get("/api/telemetry", headers={"Authorization": "Bearer not-a-jwt"})
        assert r.status_code == 401 and "invalid token" in r.json()["detail"]
        forged = TokenAuthority("x" * 40).create(Role.ADMIN)
        r = c.get("/api/telemetry", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401 and "signature" in r.json()["detail"].lower()
        expired = live_api.authority.create(Role.VIEWER, ttl_hours=-1)
        r = c.get("/api/telemetry", headers={"Authorization": f"Bearer {expired}"})
        assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_telemetry_with_a_viewer_token_is_the_live_state(live_api) -> None:
    with live_api.client("viewer") as c:
        first = c.get("/api/telemetry")
        assert first.status_code == 200
        state = first.json()
        assert state["system_id"] == 1
        assert state["autopilot"] == "px4"
        assert state["vehicle_type"] == "QUADROTOR"
        assert state["link"]["state"] in ("ok", "connecting")
        time.sleep(0.3)
        second = c.get("/api/telemetry").json()
        assert second["last_update_s"] > state["last_update_s"], "telemetry is not live"
        assert c.get("/api/telemetry", params={"vehicle": 1}).json()["system_id"] == 1
        missing = c.get("/api/telemetry", params={"vehicle": 9})
        assert missing.status_code == 404 and "system id 9" in missing.json()["detail"]
        assert c.get("/api/telemetry", params={"vehicle": 999}).status_code == 422
        vehicles = c.get("/api/vehicles").json()
        assert vehicles["active"] == 1 and vehicles["vehicles"][0]["autopilot"] == "px4"


def test_openapi_docs_are_served(live_api) -> None:
    r = httpx.get(live_api.url + "/openapi.json", timeout=5)
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/health" in paths and "/api/telemetry" in paths
    assert httpx.get(live_api.url + "/docs", timeout=5).status_code == 200

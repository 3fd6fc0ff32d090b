"""Route audit: walk app.routes and prove each one's role; every mutating route refuses no token and viewers.

A new route fails this test until it is listed in ``ROLES`` below (with the role it needs), so no
route can be added without deciding who may call it.
"""

from __future__ import annotations

import json
import re

from fastapi.routing import APIRoute, APIWebSocketRoute

from embedded_api.app import PUBLIC_PATHS
from embedded_api.commands import COMMANDS
from tests.api.conftest import ws_connect
from tests.api.test_telemetry_ws import _close_code

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Mutating routes open without a token, each named here on purpose (and tested in its own file).
OPEN_MUTATING = {("POST", "/api/auth/login")}  # password sign-in: rate-limited group "login"
ROLES: dict[tuple[str, str], str] = {
    ("GET", "/api/health"): "public",
    ("GET", "/health/live"): "public",
    ("GET", "/health/ready"): "public",
    ("POST", "/api/auth/login"): "open",
    ("GET", "/status"): "viewer",
    ("GET", "/stats"): "viewer",
    ("GET", "/api/telemetry"): "viewer",
    ("GET", "/api/vehicles"): "viewer",
    ("GET", "/api/vehicle/modes"): "viewer",
    ("GET", "/api/actions"): "viewer",
    ("GET", "/api/alerts"): "viewer",
    ("GET", "/api/map"): "viewer",
    ("GET", "/api/map/tiles/{z}/{x}/{y}"): "viewer",
    ("POST", "/api/vehicle/goto"): "operator",
    ("POST", "/api/alerts/ack"): "operator",
    ("POST", "/api/alerts/{alert_id}/ack"): "operator",
    **{("POST", f"/api/vehicle/{n}"): "operator" for n in ("arm", "disarm", "takeoff", "land", "rtl", "hold", "mode")},
    ("POST", "/commands/start_offboard_mode"): "operator",
    ("POST", "/commands/stop_offboard_mode"): "operator",
    ("POST", "/commands/abort"): "operator",
    ("GET", "/api/config/current"): "viewer",
    ("GET", "/api/config/schema"): "viewer",
    ("GET", "/api/config/history"): "viewer",
    ("GET", "/api/config/backups"): "viewer",
    ("GET", "/api/config/diff"): "viewer",
    ("PUT", "/api/config/{section}/{param}"): "admin",
    ("POST", "/api/config/restore/{backup_id}"): "admin",
    ("GET", "/sse/telemetry"): "viewer",
    ("WS", "/ws/telemetry"): "viewer",
    ("POST", "/api/ingest"): "operator",
    ("GET", "/api/jobs"): "viewer",
    ("POST", "/api/jobs/{kind}"): "operator",
    ("GET", "/api/jobs/{job_id}"): "viewer",
    ("GET", "/sse/jobs/{job_id}"): "viewer",
    ("WS", "/ws/jobs/{job_id}"): "viewer",
    # video, tracking and follow
    ("GET", "/video_feed"): "viewer",
    ("WS", "/ws/video_feed"): "viewer",
    ("WS", "/ws/webrtc_signaling"): "viewer",
    ("GET", "/api/video/snapshot"): "viewer",
    ("GET", "/api/video/health"): "viewer",
    ("GET", "/api/video/out"): "viewer",
    ("GET", "/api/video/out.sdp"): "viewer",
    ("POST", "/api/video/reconnect"): "operator",
    ("GET", "/api/video/recording"): "viewer",
    ("POST", "/api/video/recording/start"): "operator",
    ("POST", "/api/video/recording/stop"): "operator",
    **{
        ("POST", f"/commands/{n}"): "operator"
        for n in (
            "start_tracking",
            "stop_tracking",
            "smart_click",
            "toggle_smart_mode",
            "start_following",
            "stop_following",
        )
    },
    ("GET", "/api/control"): "viewer",
    ("POST", "/api/control"): "operator",
    ("GET", "/api/sessions"): "viewer",
    ("GET", "/api/sessions/{session_id}"): "viewer",
    ("GET", "/api/sessions/{session_id}/tlog"): "viewer",
    ("GET", "/api/tracker/schema"): "viewer",
    ("POST", "/api/tracker/switch"): "operator",
    ("GET", "/api/follower/profiles"): "viewer",
    ("POST", "/api/follower/switch-profile"): "operator",
    ("GET", "/telemetry/tracker_data"): "viewer",
    ("GET", "/telemetry/follower_data"): "viewer",
    # vehicle parameters: viewers read and export, operators set, refresh, diff and apply files
    ("GET", "/api/params"): "viewer",
    ("GET", "/api/params/{name}"): "viewer",
    ("GET", "/api/params/export"): "viewer",
    ("POST", "/api/params/refresh"): "operator",
    ("POST", "/api/params/set"): "operator",
    ("POST", "/api/params/diff"): "operator",
    ("POST", "/api/params/apply"): "operator",
    # missions: viewers read and export, operators upload, clear, start, set the current item, generate
    ("GET", "/api/missions"): "viewer",
    ("GET", "/api/missions/export"): "viewer",
    ("POST", "/api/missions/upload"): "operator",
    ("POST", "/api/missions/upload-file"): "operator",
    ("POST", "/api/missions/clear"): "operator",
    ("POST", "/api/missions/start"): "operator",
    ("POST", "/api/missions/current"): "operator",
    ("POST", "/api/missions/generate/orbit"): "operator",
    ("POST", "/api/missions/generate/survey"): "operator",
    # the browser dashboard (static files, not in the OpenAPI schema): public, read-only
    ("GET", "/"): "static",
    ("GET", "/dashboard"): "static",
    ("GET", "/web/{relative}"): "static",
    ("GET", "/favicon.ico"): "static",
}
PATH_VALUES = {
    "z": "1",
    "x": "0",
    "y": "0",
    "relative": "index.html",
    "section": "safety",
    "param": "max_speed_mps",
    "backup_id": "20240101-000000-000000",
    "kind": "tlog_summary",
    "job_id": "0123456789ab",
    "session_id": "1",
    "name": "RTL_RETURN_ALT",
    "alert_id": "1",
}
RANK = {"viewer": 1, "operator": 2, "admin": 3}


def _walk(app) -> list[tuple[object, str]]:
    """(route, full path) of every route, included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.16x keeps included routers lazy
    except ImportError:
        return [(route, route.path) for route in app.routes]
    return [(ctx.original_route, str(ctx.path)) for ctx in iter_route_contexts(app.routes)]


def _routes(app) -> dict[tuple[str, str], object]:
    found: dict[tuple[str, str], object] = {}
    for route, path in _walk(app):
        if isinstance(route, APIRoute):
            for method in route.methods - {"HEAD"}:
                found[(method, path.replace(":path}", "}"))] = route
        elif isinstance(route, APIWebSocketRoute):
            found[("WS", path)] = route
    return found


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES[m.group(1)], path)


def test_every_route_is_classified_and_documented_in_one_line(live_api) -> None:
    routes = _routes(live_api.app)
    assert set(routes) == set(ROLES), f"unclassified: {set(routes) - set(ROLES)}; gone: {set(ROLES) - set(routes)}"
    for (method, path), route in routes.items():
        doc = (route.endpoint.__doc__ or "").strip()
        assert doc and "\n" not in doc, f"{method} {path} needs a one-line docstring (it becomes the OpenAPI text)"
        role = ROLES[(method, path)]
        assert (role == "public") == (path in PUBLIC_PATHS), path
        assert (role == "static") == (isinstance(route, APIRoute) and not route.include_in_schema), path
        if method in MUTATING:
            assert role not in ("public", "static"), f"{method} {path}: no mutating route is public"
            assert (role == "open") == ((method, path) in OPEN_MUTATING), f"{method} {path}: open only if listed"


# Plain Starlette routes and mounts (not FastAPI routes, so outside ROLES): the API docs only, read-only
DOCS_ROUTES = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/docs/redoc.standalone.js",
    "/docs/static",  # mount: Swagger UI / ReDoc assets
}


def test_the_only_other_routes_are_the_read_only_docs(live_api) -> None:
    others: dict[str, set[str]] = {}
    for route, path in _walk(live_api.app):
        if isinstance(route, (APIRoute, APIWebSocketRoute)):
            continue
        methods = getattr(route, "methods", None) or {"GET"}  # a mount serves files: GET/HEAD
        others[path] = set(methods) - {"HEAD"}
    assert set(others) == DOCS_ROUTES, f"unexpected non-API routes: {set(others) - DOCS_ROUTES}"
    assert all(methods == {"GET"} for methods in others.values()), others
    with live_api.client() as anonymous:
        assert anonymous.post("/docs", json={}).status_code == 405
        assert anonymous.get("/docs/static/swagger-ui.css").status_code == 200


def test_every_route_refuses_a_missing_token_and_mutating_ones_a_viewer(live_api) -> None:
    checked = 0
    history_before = live_api.service.config.history()
    with live_api.client() as anonymous, live_api.client("viewer") as viewer, live_api.client("operator") as operator:
        for (method, path), role in ROLES.items():
            if method == "WS" or role in ("public", "static"):
                continue
            if role == "open":  # no token needed, but nothing is given for an empty request either
                r = anonymous.request(method, _url(path), json={})
                assert r.status_code == 422 and "token" not in r.json(), f"{method} {path}: {r.text}"
                continue
            url = _url(path)
            r = anonymous.request(method, url, json={})
            assert r.status_code == 401, f"{method} {path} without a token answered {r.status_code}"
            if method in MUTATING:
                r = viewer.request(method, url, json={})
                assert r.status_code == 403, f"{method} {path} with a viewer token answered {r.status_code}"
            if RANK[role] > RANK["operator"]:
                assert operator.request(method, url, json={}).status_code == 403, f"{method} {path} (operator)"
            checked += 1
    assert checked >= 25
    assert not live_api.service.vehicle_state().armed
    assert live_api.service.config.history() == history_before


def test_websockets_refuse_a_missing_token_and_viewer_commands(live_api) -> None:
    ws_routes = [path for method, path in ROLES if method == "WS"]
    for path in ws_routes:
        with ws_connect(live_api.ws_url + _url(path)) as ws:
            ws.send(json.dumps({"type": "command", "name": "arm"}))  # not an auth message
            assert _close_code(ws) == 1008, path
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('viewer')}") as ws:
        for name in COMMANDS:
            ws.send(json.dumps({"type": "command", "name": name, "id": name, "args": {}}))
        replies = {}
        while len(replies) < len(COMMANDS):
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "command_result":
                replies[message["id"]] = message["status"]
    assert replies == dict.fromkeys(COMMANDS, 403)
    assert not live_api.service.vehicle_state().armed
    assert not live_api.service.commander_status().engaged

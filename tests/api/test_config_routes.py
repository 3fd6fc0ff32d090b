"""Settings over REST: viewers read, admins change and restore; refusals name the field and bound."""

from __future__ import annotations

from gcs.core.serialize import to_plain


def test_viewer_reads_current_schema_history_backups_diff(live_api) -> None:
    with live_api.client("viewer") as c:
        current = c.get("/api/config/current").json()
        assert current["safety"]["max_speed_mps"] == 8 and current["api"]["host"] == "127.0.0.1"
        schema = c.get("/api/config/schema").json()
        assert "safety" in schema["json_schema"]["properties"]
        field = next(f for f in schema["fields"] if f["key"] == "safety.max_speed_mps")
        assert field["maximum"] == 25 and field["apply"] == "live"
        # the test fixture itself changed some settings (e.g. video.enabled) through the store
        history = c.get("/api/config/history").json()["history"]
        assert history == to_plain(live_api.service.config.history())
        assert all({"time", "key", "old", "new", "source"} <= set(h) for h in history)
        backups = c.get("/api/config/backups").json()["backups"]
        assert [b["id"] for b in backups] == [b.id for b in live_api.service.config.backups()]
        diff = c.get("/api/config/diff").json()
        assert set(diff["changed"]) == set(live_api.service.config.diff_from_defaults())
        assert "safety.max_speed_mps" not in diff["changed"]
        assert c.get("/api/config/history", params={"limit": 0}).status_code == 422


def test_admin_changes_a_setting_and_restores_the_backup(live_api) -> None:
    backups_before = len(live_api.service.config.backups())
    with live_api.client("admin") as c:
        r = c.put("/api/config/safety/max_speed_mps", json={"value": 6.5})
        assert r.status_code == 200, r.text
        assert r.json() == {"key": "safety.max_speed_mps", "value": 6.5, "apply": "live", "restart_required": False}
        assert live_api.service.config.current.safety.max_speed_mps == 6.5

        r = c.put("/api/config/api/port", json={"value": "9090"})  # strings are coerced like YAML
        assert r.json()["value"] == 9090 and r.json()["restart_required"] is True

        history = c.get("/api/config/history").json()["history"]
        assert [h["key"] for h in history][:2] == ["api.port", "safety.max_speed_mps"]
        assert history[1]["old"] == 8 and history[1]["new"] == 6.5 and history[1]["source"] == "api:test-admin"
        diff = c.get("/api/config/diff").json()
        assert diff["changed"]["safety.max_speed_mps"] == {"default": 8, "current": 6.5}
        assert "api.port" in diff["restart_pending"]

        backups = c.get("/api/config/backups").json()["backups"]
        assert len(backups) - backups_before in (1, 2)  # every write backs up the file it replaces, if any
        r = c.post(f"/api/config/restore/{backups[0]['id']}")
        assert r.status_code == 200, r.text
        assert r.json()["changed"] == ["api.port"]
        assert c.get("/api/config/current").json()["api"]["port"] == 8080
        assert c.get("/api/config/current").json()["safety"]["max_speed_mps"] == 6.5


def test_refused_values_name_the_field_and_bound(live_api) -> None:
    history_before = live_api.service.config.history()
    with live_api.client("admin") as c:
        r = c.put("/api/config/safety/setpoint_lifetime_s", json={"value": 9.0})
        assert r.status_code == 422
        assert r.json()["detail"] == "safety.setpoint_lifetime_s = 9.0 is refused: must be <= 5"
        r = c.put("/api/config/safety/no_such_thing", json={"value": 1})
        assert r.status_code == 422 and "not a known setting" in r.json()["detail"]
        r = c.put("/api/config/nowhere/x", json={"value": 1})
        assert r.status_code == 422
        assert c.put("/api/config/safety/max_speed_mps", json={}).status_code == 422
        # a NUL reached the tile fetcher as a 500 (schemathesis-style input): refused at the schema
        for key, value in (("map/tile_url", "https://t\u0000/{z}/{x}/{y}.png"),
                           ("link/connections", ["tcp:a\u0000:1"])):
            r = c.put(f"/api/config/{key}", json={"value": value})
            assert r.status_code == 422 and "NUL character" in r.json()["detail"], r.text
        assert c.get("/api/map/tiles/1/1/1").status_code == 404  # still no tile source: the grid
        assert c.post("/api/config/restore/20240101-000000-000000").status_code == 404
    assert live_api.service.config.history() == history_before
    assert live_api.service.config.current.safety.setpoint_lifetime_s == 0.5


def test_only_admins_write(live_api) -> None:
    for role, code in ((None, 401), ("viewer", 403), ("operator", 403)):
        with live_api.client(role) as c:
            assert c.put("/api/config/safety/max_speed_mps", json={"value": 5}).status_code == code
            assert c.post("/api/config/restore/20240101-000000-000000").status_code == code
    assert live_api.service.config.current.safety.max_speed_mps == 8

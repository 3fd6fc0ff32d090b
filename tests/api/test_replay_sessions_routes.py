"""Replay control and flight sessions over HTTP, on a real log from ../shared/data."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_DATA, wait_until

LOG = SHARED_DATA / "tlogs" / "copter_real_2013_codelever.tlog"
pytestmark = pytest.mark.skipif(not LOG.exists(), reason="needs ../shared/data/tlogs")


def test_replay_open_seek_speed_pause_and_status(live_api) -> None:
    with live_api.client("operator") as c:
        assert c.get("/api/control").status_code == 404  # nothing open yet: says so
        bad = c.post("/api/control", json={"cmd": "open", "value": "/nonexistent.tlog"})
        assert bad.status_code == 422 and "nonexistent" in bad.json()["detail"]
        nul = c.post("/api/control", json={"cmd": "open", "value": "/tmp/a\u0000.tlog"})  # a 500 before (os.stat)
        assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
        opened = c.post("/api/control", json={"cmd": "open", "value": str(LOG)})
        assert opened.status_code == 200, opened.text
        status = opened.json()
        assert status["duration_s"] == pytest.approx(571, abs=2)
        r = c.post("/api/control", json={"cmd": "seek", "value": 0.5, "fraction": True}).json()
        assert r["fraction"] == pytest.approx(0.5, abs=0.01)
        r = c.post("/api/control", json={"cmd": "speed", "value": 10}).json()
        assert r["speed"] == 10
        r = c.post("/api/control", json={"cmd": "pause"}).json()
        assert r["playing"] is False
        paused_at = c.get("/api/control").json()["position_s"]
        r = c.post("/api/control", json={"cmd": "step", "value": 100}).json()
        assert r["position_s"] >= paused_at
        assert c.post("/api/control", json={"cmd": "warp"}).status_code == 422
        c.post("/api/control", json={"cmd": "play"})
        wait_until(lambda: c.get("/api/control").json()["position_s"] > r["position_s"] + 1, 5, "replay advancing")
    with live_api.client("viewer") as v:
        assert v.post("/api/control", json={"cmd": "play"}).status_code == 403


def test_a_step_or_seek_that_is_not_a_finite_number_is_422_saying_so(live_api) -> None:
    """Regression (a 500): ``step`` with "inf"/"nan" reached int() (OverflowError/ValueError)."""
    with live_api.client("operator") as c:
        for body in ({"cmd": "step", "value": "inf"}, {"cmd": "step", "value": "nan"},
                     {"cmd": "seek", "value": "-inf"}, {"cmd": "seek", "value": "NaN", "fraction": True}):
            r = c.post("/api/control", json=body)
            assert r.status_code == 422 and "finite number" in r.json()["detail"], (body, r.text)
        assert c.post("/api/control", content='{"cmd": "seek", "time_s": 1e400}',
                      headers={"Content-Type": "application/json"}).status_code == 422
        assert c.post("/api/control", json={"cmd": "open", "value": str(LOG)}).status_code == 200
        assert c.post("/api/control", json={"cmd": "step", "value": "inf"}).status_code == 422
        assert c.post("/api/control", json={"cmd": "speed", "value": "inf"}).json()["speed"] is None  # flat out
        assert c.post("/api/control", json={"cmd": "step", "value": "3"}).status_code == 200
        for body, words in (({"cmd": "step", "value": 0.5}, "whole number"),
                            ({"cmd": "step", "value": 0}, "at least 1"), ({"cmd": "seek", "fraction": 1.5}, "0..1")):
            r = c.post("/api/control", json=body)  # a malformed request, not "no such replay" (404)
            assert r.status_code == 422 and words in r.json()["detail"], (body, r.text)
        nan = c.post("/api/control", content='{"cmd": "seek", "fraction": NaN}',
                     headers={"Content-Type": "application/json"})
        assert nan.status_code == 422, nan.text


def test_sessions_list_detail_and_tlog_download(live_api) -> None:
    service = live_api.service
    imported = service.import_tlog(str(LOG))
    with live_api.client("viewer") as c:
        listed = c.get("/api/sessions").json()["sessions"]
        assert any(s["id"] == imported.id for s in listed)
        detail = c.get(f"/api/sessions/{imported.id}").json()
        assert detail["duration_s"] > 500 and detail["events"], "the imported flight has events"
        download = c.get(f"/api/sessions/{imported.id}/tlog")
        assert download.status_code == 200 and download.content == LOG.read_bytes()
        assert c.get("/api/sessions/99999").status_code == 404

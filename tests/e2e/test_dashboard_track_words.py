"""The words over the dashboard's video, as over the window's: LOCKED and its confidence on the box,
then, when the real tracker loses the car, the core's plain "target lost (...)" (not the plausibility
log line), held a few seconds and faded out, as the window does (tests/ui/test_ui_first_flight.py).

The loss is real: locked on a car of the virtual scene without following, the vehicle is sent 80 m
away, the car leaves the camera's view and the tracker gives up.
"""

from __future__ import annotations

from typing import Any

import pytest

from gcs.core.map.geo import offset
from gcs.core.tracking.types import TrackState
from gcs.core.tracking.words import plain_track_text
from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js, wait_state
from tests.e2e.test_dashboard import ensure_flying

pytestmark = pytest.mark.slow


def _label(page: Any) -> dict[str, Any] | None:
    return page.evaluate("() => window.kestrel.video?.trackLabel ?? null")  # type: ignore[no-any-return]


def test_target_lost_in_plain_words_then_faded(open_page: Any, program: Program) -> None:
    service = program.service
    ensure_flying(program, 20.0)
    service.start_video()
    wait_state(lambda: service.latest_frame() is not None, "a frame")
    source = service.vision._require()[0].source
    truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
    assert truth, "a car or a person in view from 20 m over home"
    name = "car-1" if "car-1" in truth else sorted(truth)[0]
    page = open_page()
    sign_in(page, program, "operator")
    wait_js(page, "window.kestrel.video.frames > 3")
    service.start_tracking(*truth[name])
    wait_state(lambda: service.tracker_data().state is TrackState.LOCKED, f"locked on {name}")
    wait_js(page, "window.kestrel.video.trackLabel?.text.startsWith('LOCKED ')")
    assert _label(page)["box"] and _label(page)["opacity"] == 1

    home = service.vehicle_state().home
    away = offset(home.lat_deg, home.lon_deg, -80.0, -80.0)
    service.goto(away.lat_deg, away.lon_deg)  # the car leaves the view; nothing follows it
    wait_state(lambda: service.tracker_data().state is TrackState.LOST, "the tracker losing it", 60)
    target = service.tracker_data()
    words = plain_track_text(target.state.value, target.reason)
    assert words.startswith("target lost") and "frames" not in words, words
    wait_js(page, f"window.kestrel.video.trackLabel?.text === {words!r}")
    shown = _label(page)
    assert shown["opacity"] == 1 and not shown["box"], "at full strength at first, in the corner (no box)"
    page.locator("#video-wrap").screenshot(path=str(SCREENSHOTS / "dashboard_target_lost.png"))
    wait_js(page, "(window.kestrel.video.trackLabel?.opacity ?? 0) < 1", timeout=15_000)  # fading
    wait_js(page, "window.kestrel.video.trackLabel === null", timeout=15_000)  # gone
    assert service.tracker_data().state is TrackState.LOST, "the loss stands; only its label faded"
    service.goto(home.lat_deg, home.lon_deg)

"""Video, click-to-track and follow through the whole window, on the simulator + virtual camera.

Real GcsService, real PX4 simulator, real virtual camera and trackers; the test only clicks,
drags and reads back what the core did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from gcs.core.tracking.types import TrackState
from tests.conftest import ROOT
from tests.ui.confirm_support import hold_to_confirm

pytestmark = pytest.mark.slow

WAIT_MS = 20_000
SCREENSHOT = ROOT / "docs" / "screenshots" / "gui_main.png"  # embedded in the README


def middle_pixels(image: QImage) -> np.ndarray:
    """The middle of a grab as an array (the frame number text at the bottom left is outside it)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    w, h = image.width(), image.height()
    array = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(h, image.bytesPerLine())
    return array[h // 4: 3 * h // 4, (w // 4) * 4: (3 * w // 4) * 4].copy()


def logged(window: Any, text: str) -> int:
    """How many message-log lines end with ``text`` (the status line may have moved on)."""
    return sum(line.endswith(text) for line, _level in window.messages.entries())


def widget_point(window: Any, x: float, y: float) -> QPoint:
    p = window.video.frame_to_widget(x, y)
    return QPoint(round(p.x()), round(p.y()))


def car_box(service: Any) -> tuple[float, float, float, float]:
    """Ground truth of car-1 in the current frame (frame pixels)."""
    source = service.vision._require()[0].source
    truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
    assert "car-1" in truth, f"car-1 not in view: {sorted(truth)}"
    return truth["car-1"]


@pytest.fixture
def flying(make_service: Callable[..., Any], window_factory: Callable[..., Any], qtbot: Any,
           request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """A window over a PX4 vehicle hovering at 20 m, its camera just restarted (car-1 in view)."""
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import TokenAuthority, load_secret
    from gcs.app import api_client_count
    from gcs.core.faces import Faces

    service = make_service("px4", video__enabled=True, follow__profile="hold_distance")
    app = create_app(service, TokenAuthority(load_secret(service.config.directory)))
    server = ApiServer(app, port=0)  # a real API, so the HUD (and the screenshot) show its clients
    server.start()
    request.addfinalizer(server.stop)
    faces = Faces()
    faces.add("api", server.url, lambda: api_client_count(app))
    window = window_factory(service, api_url=server.url, faces=faces)
    window.resize(1440, 900)  # a desktop's window (the offscreen screen opens it at 800x800): a wide video
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(20.0)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, timeout=WAIT_MS)
    service.start_video()  # restart the scene clock: car-1 starts on its straight, in view
    seq = window.video.seq
    qtbot.waitUntil(lambda: window.video.seq != seq and window.video.banner == "", timeout=WAIT_MS)
    return service, window


def test_click_tracks_through_the_letterbox_then_follow(qtbot: Any, flying: tuple[Any, Any]) -> None:
    service, window = flying
    view = window.video
    assert view.frame_rect().x() > 20, "the test wants bars left and right of the picture"
    first = middle_pixels(view.grab().toImage())
    seq = view.seq
    qtbot.waitUntil(lambda: view.seq > seq + 3, timeout=WAIT_MS)
    assert np.count_nonzero(first != middle_pixels(view.grab().toImage())) > 1000, "the picture did not move"

    follow = window.track_controls.button("follow")
    assert not follow.isEnabled() and "Unavailable: nothing tracked" in follow.toolTip()
    assert "nothing is being tracked" in window.track_controls.button("track_stop").toolTip()

    locked: list[Any] = []
    done = threading.Event()

    def first_lock(_topic: str, target: Any) -> None:
        if target.state is TrackState.LOCKED and not done.is_set():
            locked.append(target)
            done.set()

    sub = service.subscribe("tracking.target", first_lock)
    x, y, w, h = car_box(service)
    cx, cy = x + w / 2, y + h / 2
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=widget_point(window, cx, cy))
    qtbot.waitUntil(lambda: service.tracker_data().state is TrackState.LOCKED, timeout=WAIT_MS)
    sub.cancel()
    box = locked[0].box
    assert abs(box.centre[0] - cx) < 12 and abs(box.centre[1] - cy) < 12, (box, (cx, cy))
    qtbot.waitUntil(lambda: window.video.track_state == "locked", timeout=WAIT_MS)
    assert window.hud.tracker_label.text().startswith("LOCKED")

    # A box dragged around the car tracks the car itself (the click grew a square around it).
    x, y, w, h = car_box(service)
    start, end = widget_point(window, x - 3, y - 3), widget_point(window, x + w + 3, y + h + 3)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, QPoint(start.x() + 10, start.y() + 10))
    qtbot.mouseMove(view, end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: logged(window, "TRACK accepted") >= 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: service.tracker_data().state is TrackState.LOCKED
                    and service.tracker_data().box.w < 1.6 * w + 10, timeout=WAIT_MS)

    qtbot.waitUntil(follow.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(follow, Qt.MouseButton.LeftButton)  # a click is not a confirmation: nothing is sent
    qtbot.wait(300)
    assert not service.follower_data().active and not service.commander_status().engaged
    assert any("FOLLOW not sent: released too soon" in line for line, _level in window.messages.entries())
    hold_to_confirm(qtbot, window.track_controls, "follow")
    qtbot.waitUntil(lambda: service.follower_data().active, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: follow.isChecked() and window.hud.follower_label.text().startswith(("FOLLOWING", "HELD")),
                    timeout=WAIT_MS)
    error_x = window.plots.series("tracker.error_x")
    forward = window.plots.series("follower.forward_mps")
    qtbot.waitUntil(lambda: len(error_x.buffer) > 30 and len(forward.buffer) > 30, timeout=WAIT_MS)
    assert np.isfinite(forward.buffer.view()[1]).any()
    from websockets.sync.client import connect as ws_connect

    from embedded_api.auth import Role, TokenAuthority, load_secret

    token = TokenAuthority(load_secret(service.config.directory)).create(Role.VIEWER, ttl_hours=1)
    api = window.hud.api_text.split(" ")[0]
    with ws_connect(api.replace("http://", "ws://") + "/ws/telemetry?token=" + token, open_timeout=10):
        qtbot.waitUntil(lambda: window.hud.api_text.endswith("· 1 client"), timeout=WAIT_MS)  # a browser watching
        qtbot.wait(2500)  # let the curves grow for the picture
        qtbot.waitUntil(lambda: window.video.track_state == "locked", timeout=WAIT_MS)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(SCREENSHOT))  # the window following the car: docs/screenshots/gui_main.png

    window.controls.abort_button.click()
    qtbot.waitUntil(lambda: not service.follower_data().active, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not follow.isChecked(), timeout=WAIT_MS)


def test_health_overlay_and_smart_mode_reason(qtbot: Any, make_service: Callable[..., Any],
                                              window_factory: Callable[..., Any]) -> None:
    service = make_service("px4", video__enabled=True)
    window = window_factory(service)
    view = window.video
    qtbot.waitUntil(lambda: view.frame_size is not None and view.banner == "", timeout=WAIT_MS)
    assert window.hud.video_label.text().startswith("OK")
    qtbot.waitUntil(lambda: window.track_controls.tracker_combo.count() >= 2, timeout=WAIT_MS)
    assert window.track_controls.tracker_combo.currentText() == service.tracker_data().tracker

    # Smart mode: on if the detector-backed tracker is there, else the reason in the status line.
    smart = window.track_controls.actions_by_name["smart"]
    smart.trigger()

    def smart_lines() -> list[str]:
        return [line for line, _level in window.messages.entries() if "  SMART " in line]

    qtbot.waitUntil(lambda: bool(smart_lines()), timeout=WAIT_MS)
    if service.smart_mode:
        qtbot.waitUntil(smart.isChecked, timeout=WAIT_MS)
        service.set_smart_mode(False)
    else:  # the reason the core gave, e.g. "unknown tracker 'smart'" or a missing detector model
        line = smart_lines()[0]
        assert "SMART failed" in line and len(line.split("SMART failed", 1)[1].strip(" :—")) > 5, line
        assert not smart.isChecked()

    service.vision.close()  # the capture stops: its last health event is STOPPED
    # the reason names the source ("virtual: stopped"), once the panel has both
    qtbot.waitUntil(lambda: view.banner == "NO VIDEO" and "virtual" in view.banner_reason
                    and "stopped" in view.banner_reason, timeout=WAIT_MS)
    assert view.frame_size is not None  # the last picture stays, dimmed, under the banner
    track = window.track_controls.button("track_centre")
    qtbot.waitUntil(lambda: not track.isEnabled(), timeout=WAIT_MS)
    assert "no video" in track.toolTip()

    window.start_video("http://127.0.0.1:9/none.mjpg")  # nothing listens there
    qtbot.waitUntil(lambda: view.banner == "RECONNECTING" and "cannot open" in view.banner_reason, timeout=WAIT_MS)
    assert "127.0.0.1:9" in view.banner_reason
    assert window.hud.video_label.text().startswith("RECONNECTING")
    window.grab().save("/tmp/kestrel_gui_reconnecting.png")


def test_a_smart_click_on_empty_ground_says_why_in_the_window(qtbot: Any, flying: tuple[Any, Any]) -> None:
    # smart_click answers with its outcome, so the window shows the refusal and its reason at once
    service, window = flying
    smart = window.track_controls.actions_by_name["smart"]
    smart.trigger()  # smart mode from the window (its button shows what the core chose)
    qtbot.waitUntil(smart.isChecked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: service.vision.smart_detector.loaded, timeout=WAIT_MS)
    source = service.vision._require()[0].source
    boxes = [t.box for t in source.camera.targets_in_image(source.scene_time_s())]
    ex, ey = next(
        (float(x), float(y)) for y in range(60, 420, 40) for x in range(60, 580, 40)
        if all(x < bx - 80 or x > bx + bw + 80 or y < by - 80 or y > by + bh + 80 for bx, by, bw, bh in boxes)
    )
    qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton, pos=widget_point(window, ex, ey))

    def refusal() -> list[str]:
        return [line for line, _level in window.messages.entries() if "TRACK failed:" in line]

    qtbot.waitUntil(lambda: bool(refusal()), timeout=WAIT_MS)
    assert "no detected object under the click" in refusal()[0] or "nothing detected" in refusal()[0], refusal()
    assert service.tracker_data().state is not TrackState.LOCKED

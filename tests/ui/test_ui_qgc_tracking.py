"""A QGC-style client drags a box over the car through the MAVLink camera component: the window
tracks it as if the pilot had dragged it there, and QGC gets the box back.

Saves docs/screenshots/qgc_tracking.png (embedded in the README's "Use with QGroundControl").
"""

from __future__ import annotations

from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink
from tests.conftest import ROOT
from tests.integration.test_qgc_camera_component import Qgc, free_udp_port, status_box
from tests.ui.test_ui_vision import WAIT_MS, car_box, flying  # noqa: F401 - flying is a fixture

pytestmark = pytest.mark.slow
SCREENSHOT = ROOT / "docs" / "screenshots" / "qgc_tracking.png"


def test_a_qgc_drag_tracks_the_car_in_the_window(qtbot: Any, flying: tuple[Any, Any]) -> None:  # noqa: F811
    service, window = flying
    port = free_udp_port()
    service.add_forward(f"udpout:127.0.0.1:{port}")
    qgc = Qgc(port, service.active_vehicle_id or 1)
    try:
        qgc.recv("HEARTBEAT", 5)
        x, y, w, h = car_box(service)
        fw, fh = 640, 480
        result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, (x - 4) / fw, (y - 4) / fh,
                                    (x + w + 4) / fw, (y + h + 4) / fh)  # fmt: skip
        assert result == mavlink.MAV_RESULT_ACCEPTED, texts
        qtbot.waitUntil(lambda: window.video.track_state == "locked", timeout=WAIT_MS)
        status = qgc.recv("CAMERA_TRACKING_IMAGE_STATUS", 3,
                          lambda m: m.tracking_status == mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE)
        cx, cy = status_box(status)
        x, y, w, h = car_box(service)
        assert abs(cx - (x + w / 2) / fw) < 0.05 and abs(cy - (y + h / 2) / fh) < 0.05
        qtbot.wait(1500)  # the box rides along with the car for the picture
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(SCREENSHOT))
        assert qgc.command(mavlink.MAV_CMD_CAMERA_STOP_TRACKING)[0] == mavlink.MAV_RESULT_ACCEPTED
        qtbot.waitUntil(lambda: window.video.track_state in ("idle", ""), timeout=WAIT_MS)
    finally:
        qgc.close()

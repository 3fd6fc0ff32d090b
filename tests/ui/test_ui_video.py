"""The video view alone: frames shown with the right aspect, clicks and drags mapped to frame pixels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from gcs.ui.qt_frame_image import image_to_qimage, letterbox_rect
from gcs.ui.qt_video import QtVideoView


def synthetic_frame(w: int = 640, h: int = 480) -> np.ndarray:
    """BGR frame whose blue channel encodes x/4 and green encodes y/4, so a pixel names itself."""
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = (np.arange(w) // 4).astype(np.uint8)[None, :]
    image[..., 1] = (np.arange(h) // 4).astype(np.uint8)[:, None]
    image[..., 2] = 200
    image.flags.writeable = False  # as the capture worker hands frames out
    return image


@pytest.fixture
def view(qtbot: Any) -> QtVideoView:
    widget = QtVideoView()
    qtbot.addWidget(widget)
    widget.resize(800, 400)  # wider than 4:3: bars left and right
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_letterbox_keeps_aspect_and_centres() -> None:
    rect = letterbox_rect(640, 480, 800, 400)
    assert rect.height() == pytest.approx(400)
    assert rect.width() == pytest.approx(400 * 640 / 480)
    assert rect.x() == pytest.approx((800 - rect.width()) / 2)
    tall = letterbox_rect(640, 480, 300, 900)
    assert tall.width() == pytest.approx(300) and tall.y() == pytest.approx((900 - 225) / 2)


def test_qimage_shares_the_frame_memory() -> None:
    frame = synthetic_frame()
    qimage, pixels = image_to_qimage(frame)
    assert pixels is frame  # no copy for a contiguous frame
    colour = qimage.pixelColor(100, 60)
    assert (colour.blue(), colour.green(), colour.red()) == (25, 15, 200)


def test_no_frame_shows_no_video_then_states(view: QtVideoView) -> None:
    assert view.banner == "NO VIDEO"
    view.set_frame(synthetic_frame(), 1)
    view.set_video_state("ok")
    assert view.banner == ""
    view.set_video_state("degraded")
    assert view.banner == "STALE"
    view.set_video_state("reconnecting")
    assert view.banner == "RECONNECTING"


@pytest.mark.parametrize("size", [(800, 400), (400, 800), (640, 480), (1000, 500)])
def test_click_maps_through_the_letterbox(qtbot: Any, view: QtVideoView, size: tuple[int, int]) -> None:
    view.resize(*size)
    view.set_frame(synthetic_frame(), 7)
    target = (480.0, 120.0)  # frame pixel we aim at
    point = view.frame_to_widget(*target)
    with qtbot.waitSignal(view.clicked, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(point.x()), round(point.y())))
    x, y = blocker.args
    scale = 640 / view.frame_rect().width()  # one widget pixel in frame pixels
    assert abs(x - target[0]) <= scale and abs(y - target[1]) <= scale


def test_click_in_the_bars_is_ignored(qtbot: Any, view: QtVideoView) -> None:
    view.set_frame(synthetic_frame(), 1)
    assert view.frame_rect().x() > 20  # 800x400 widget, 4:3 frame: bars at the sides
    with qtbot.assertNotEmitted(view.clicked):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(5, 200))
    assert view.widget_to_frame(QPointF(5, 200)) is None


def test_drag_draws_a_box_in_frame_pixels(qtbot: Any, view: QtVideoView) -> None:
    view.set_frame(synthetic_frame(), 1)
    a, b = view.frame_to_widget(100, 80), view.frame_to_widget(300, 240)
    start, end = QPoint(round(a.x()), round(a.y())), QPoint(round(b.x()), round(b.y()))
    with qtbot.waitSignal(view.box_drawn, timeout=1000) as blocker:
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(view, QPoint(start.x() + 20, start.y() + 20))
        qtbot.mouseMove(view, end)
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    x, y, w, h = blocker.args
    tol = 2 * 640 / view.frame_rect().width()
    assert (x, y, w, h) == pytest.approx((100, 80, 200, 160), abs=tol)


def test_overlay_draws_the_tracked_box(view: QtVideoView) -> None:
    view.set_frame(np.zeros((480, 640, 3), np.uint8), 3)
    view.set_video_state("ok")
    view.set_track((200, 150, 120, 90), "locked")
    shot = view.grab().toImage()
    edge = view.frame_to_widget(260, 150)  # middle of the top edge
    colour = shot.pixelColor(round(edge.x()), round(edge.y()))
    assert colour.green() > 150 and colour.red() < 120  # the locked colour, on a black frame
    view.set_track(None, "lost")
    view.grab().save("/tmp/kestrel_video_view.png")


def test_the_window_measures_its_own_glass_to_glass(view: QtVideoView) -> None:
    """A stamped frame painted by the view gives a display latency, shown in the info line."""
    import time

    from gcs.core.video.stamp import write_stamp

    image = synthetic_frame().copy()
    write_stamp(image, time.time() - 0.040)  # captured 40 ms ago
    view.set_frame(image, 1)
    view.grab()  # paints it
    age = view.glass.p50_ms()
    assert age is not None and age >= 40
    view.set_frame(synthetic_frame(), 2)  # no stamp: no new figure, never a wrong one
    view.grab()
    assert view.glass.p50_ms() == age

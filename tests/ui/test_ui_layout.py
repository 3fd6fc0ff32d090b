"""Every panel usable from 1024x700 up (issue 19): nothing cut off, the HUD without scrolling, plots
reachable; screenshots at 1024x700 and 1600x1000 for the README (look at them)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

WAIT_MS = 20_000
SHOTS = ROOT / "docs" / "screenshots"
SIZES = ((1024, 700), (1600, 1000))


def _flying_window(make_service: Callable[..., Any], window_factory: Callable[..., Any], qtbot: Any) -> tuple[Any, Any]:
    service = make_service("px4", video__enabled=True)
    window = window_factory(service)
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(20.0)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, timeout=30_000)
    service.start_video()  # car-1 in view again
    qtbot.waitUntil(lambda: window.video.frame_size is not None and window.video.banner == "", timeout=WAIT_MS)
    return service, window


def _visible_inside(widget: Any, window: Any) -> bool:
    """The widget is shown and wholly inside the window (not pushed off the right or bottom edge)."""
    if not widget.isVisible():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    bottom_right = widget.mapTo(window, widget.rect().bottomRight())
    return top_left.x() >= 0 and top_left.y() >= 0 and bottom_right.x() < window.width() \
        and bottom_right.y() < window.height()


def check_usable(window: Any, size: tuple[int, int]) -> list[str]:
    """What is not usable at this size (empty: everything is)."""
    problems: list[str] = []
    if (window.width(), window.height()) != size:
        problems.append(f"the window is {window.width()}x{window.height()}, not {size}: a minimum size too big")
    hud_scroll = window.hud_dock.widget()
    if hud_scroll.verticalScrollBar().isVisible():
        problems.append("the HUD must be scrolled")
    for bar in (window.controls, window.track_controls):
        for action in bar.actions():
            button = bar.widgetForAction(action)
            if isinstance(button, QAbstractButton) and action.isVisible() and not _visible_inside(button, window):
                problems.append(f"{bar.windowTitle()}: {action.text()} is cut off (in the overflow menu)")
    if not _visible_inside(window.controls.abort_button, window):
        problems.append("ABORT is not on screen")
    if window.video.width() < 320 or window.video.height() < 200:
        problems.append(f"the video is {window.video.width()}x{window.video.height()}")
    plots = window.plots
    graphics = plots.graphics
    for slot in plots._plots:
        rect = slot.item.sceneBoundingRect()
        if rect.right() > graphics.width() + 1 or slot.item.getViewBox().height() < 40:
            problems.append(f"plot {slot.title} cut off or squashed ({rect.right():.0f} > {graphics.width()}, "
                            f"{slot.item.getViewBox().height():.0f} px high)")
    scroll = plots.scroll
    if graphics.height() > scroll.viewport().height() + 1 and not scroll.verticalScrollBar().isVisible():
        problems.append("plots taller than their panel with no scroll bar")
    map_dock = getattr(window, "map_dock", None)
    if map_dock is not None:
        window.map_dock.raise_()
        QApplication.processEvents()
        panel = window.map_dock.widget()
        if panel.width() < 240 or panel.height() < 200:
            problems.append(f"the map is {panel.width()}x{panel.height()}")
        window.hud_dock.raise_()
        QApplication.processEvents()
    return problems


def test_every_panel_usable_at_1024x700_and_screenshots(qtbot: Any, make_service: Callable[..., Any],
                                                         window_factory: Callable[..., Any]) -> None:
    service, window = _flying_window(make_service, window_factory, qtbot)
    from tests.ui.test_ui_vision import car_box

    service.start_tracking(*car_box(service))  # the README's pictures show the car tracked
    results = {}
    for w, h in SIZES:
        window.resize(w, h)
        qtbot.wait(700)
        with contextlib.suppress(qtbot.TimeoutError):  # a loaded machine can make the camera briefly STALE
            qtbot.waitUntil(lambda: window.video.banner == "", timeout=10_000)
        results[(w, h)] = check_usable(window, (w, h))
        window.grab().save(str(SHOTS / f"gui_{w}x{h}.png"))
        if getattr(window, "map_dock", None) is not None:
            window.map_dock.raise_()
            qtbot.wait(300)  # the layout settled
            window.grab().save(f"/tmp/kestrel_gui_{w}x{h}_map.png")
            window.hud_dock.raise_()
    assert results == {size: [] for size in SIZES}, results


def test_the_window_opens_no_larger_than_the_screen(qtbot: Any, make_service: Callable[..., Any],
                                                    window_factory: Callable[..., Any]) -> None:
    """A first start on a laptop smaller than the default 1440x900 opens within its screen."""
    window = window_factory(make_service("px4"))
    free = QApplication.primaryScreen().availableGeometry()
    assert free.width() < 1440 or free.height() < 900, "the offscreen screen is expected to be 800x800"
    # 800 px wide is below the 1024 px the layout is made for (its minimum is ~805): height must fit
    assert window.width() <= max(free.width(), 1024) and window.height() <= free.height(), (window.size(), free)


AREAS = {"top": Qt.DockWidgetArea.TopDockWidgetArea, "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
         "left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea}


def _arrangements(window: Any) -> list[tuple[str, Callable[[], None]]]:
    """Each dock moved to each other area on its own (the default layout between), and the plots floating."""
    docks = {"plots": window.plots_dock, "HUD": window.hud_dock, "messages": window.messages_dock,
             "map": window.map_dock, "missions": window.missions_dock}
    out: list[tuple[str, Callable[[], None]]] = [("default", lambda: None)]
    for name, dock in docks.items():
        for area_name, area in AREAS.items():
            if window.dockWidgetArea(dock) != area:
                out.append((f"{name} {area_name}", lambda d=dock, a=area: (d.setFloating(False),
                                                                           window.addDockWidget(a, d), d.show(),
                                                                           d.raise_())))
    out.append(("plots floating", lambda: window.plots_dock.setFloating(True)))
    return out


def test_the_window_fits_1024x700_in_every_dock_arrangement(qtbot: Any, make_service: Callable[..., Any],
                                                            window_factory: Callable[..., Any]) -> None:
    """With the plots docked above the video the window's minimum height was 946 px (qt_dock_fit says
    which minimums added up); in every arrangement it now fits 1024x700 with the video and ABORT on
    screen and every docked panel at least a few lines high (squeezed ones scroll)."""
    service = make_service("px4")
    window = window_factory(service)
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    default_state = window.saveState()
    minimums: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    for label, arrange in _arrangements(window):
        window.restoreState(default_state)
        arrange()
        qtbot.wait(50)  # the refit runs after the dock moved
        minimums[label] = window.minimumSizeHint().height()
        window.resize(1024, 700)
        qtbot.wait(50)
        found = []
        if (window.width(), window.height()) != (1024, 700):
            found.append(f"the window is {window.width()}x{window.height()}")
        if window.video.width() < 320 or window.video.height() < 200:
            found.append(f"the video is {window.video.width()}x{window.video.height()}")
        if not _visible_inside(window.controls.abort_button, window):
            found.append("ABORT is not on screen")
        for dock in (window.plots_dock, window.hud_dock, window.messages_dock, window.map_dock, window.missions_dock):
            if dock.isVisible() and not dock.isFloating() and not window.tabifiedDockWidgets(dock) \
                    and (dock.height() < 60 or dock.width() < 150):
                found.append(f"{dock.windowTitle()} is {dock.width()}x{dock.height()}")
        if found:
            problems[label] = found
        if label == "plots top":
            qtbot.wait(300)  # the layout settled
            window.grab().save(str(SHOTS / "gui_1024x700_plots_top.png"))
    window.restoreState(default_state)
    print("minimum window heights (px):", minimums)
    assert not problems, problems
    assert max(minimums.values()) <= 700, minimums

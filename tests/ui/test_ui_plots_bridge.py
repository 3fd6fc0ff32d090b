"""Plots and the bus bridge with real core values (MessageBus, VehicleState), no vehicle needed."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QThread

from gcs.core.bus import MessageBus, Topics
from gcs.core.models import Attitude, Battery, CommandResult, GlobalPosition, Hud, StatusText, VehicleState
from gcs.ui.plot_data import RingBuffer, read_field, telemetry_fields
from gcs.ui.qt_bridge import QtBridge
from gcs.ui.qt_plots import QtTelemetryPlots


def state(alt: float = 0.0, speed: float = 0.0, volts: float | None = 16.0) -> VehicleState:
    return VehicleState(system_id=1, global_position=GlobalPosition(alt_rel_m=alt), hud=Hud(groundspeed_mps=speed),
                        attitude=Attitude(roll_rad=0.1), battery=Battery(voltage_v=volts))


def test_every_numeric_field_is_listed_and_read() -> None:
    fields = telemetry_fields()
    for name in ("hud.groundspeed_mps", "attitude.roll_rad", "local_position.vx_mps", "battery.remaining_pct",
                 "link.messages_per_s", "gps.satellites", "derived.roll_deg", "commander.forward_mps"):
        assert name in fields
    s = state(alt=12.5, speed=3.0)
    assert read_field("global_position.alt_rel_m", s) == 12.5
    assert read_field("derived.roll_deg", s) == pytest.approx(math.degrees(0.1))
    assert math.isnan(read_field("local_position.x_m", s))  # not received yet: a gap, not a zero
    assert math.isnan(read_field("commander.forward_mps", s))  # nothing streaming


def test_ring_buffer_keeps_the_newest_contiguously() -> None:
    ring = RingBuffer(5)
    for i in range(12):
        ring.append(float(i), float(i * 10))
    t, v = ring.view()
    assert t.tolist() == [7, 8, 9, 10, 11] and v.tolist() == [70, 80, 90, 100, 110]
    assert np.shares_memory(t, ring._t)  # a view, not a copy


def test_plots_sample_states_and_add_remove_fields(qtbot: Any) -> None:
    plots = QtTelemetryPlots()
    qtbot.addWidget(plots)
    plots.show()
    assert "global_position.alt_rel_m" in plots.series_names
    assert len(plots.plot_titles) == 6
    for i in range(20):
        plots.on_state(state(alt=i, speed=i / 2))
    assert len(plots.series("global_position.alt_rel_m").buffer) == 20
    qtbot.waitUntil(lambda: plots.redraws > 2, timeout=2000)
    _x, y = plots.series("global_position.alt_rel_m").curve.getData()
    assert y is not None and y[-1] == 19

    plots.field_combo.setCurrentText("hud.climb_mps")
    plots.target_combo.setCurrentText("New plot")
    plots.add_button.click()
    assert "hud.climb_mps" in plots.series_names and len(plots.plot_titles) == 7
    plots.on_state(state())
    assert len(plots.series("hud.climb_mps").buffer) == 1
    plots.series_combo.setCurrentText("hud.climb_mps")
    plots.remove_button.click()
    assert "hud.climb_mps" not in plots.series_names and len(plots.plot_titles) == 6

    plots.set_paused(True)
    before = plots.redraws
    qtbot.wait(150)
    assert plots.redraws == before  # paused: frozen for inspection
    plots.auto_range()
    assert not plots.paused
    plots.stop()


def test_eight_series_of_ten_thousand_points_redraw(qtbot: Any) -> None:
    """Load test (no timing assert; bench/ prints the figures): the full buffers draw."""
    plots = QtTelemetryPlots(capacity=10_000, window_s=400)
    qtbot.addWidget(plots)
    plots.resize(1400, 420)
    plots.show()
    t = np.arange(10_000) / 30.0
    for name in plots.series_names:
        plots.series(name).buffer.extend(t, np.sin(t))
    assert len(plots.series_names) == 8
    plots._t0 = time.monotonic() - t[-1]
    began = time.perf_counter()
    for _ in range(10):
        plots._on_redraw()
        plots.graphics.grab()
    print(f"8 x 10k points: {(time.perf_counter() - began) * 100:.1f} ms per redraw+paint")
    assert len(plots.series("battery.voltage_v").curve.getData()[0]) > 0
    plots.stop()


def test_bridge_hops_to_the_gui_thread_and_throttles(qtbot: Any) -> None:
    bus = MessageBus()
    bridge = QtBridge(bus, max_state_hz=30)
    seen: list[tuple[Any, bool]] = []
    gui_thread = QThread.currentThread()
    bridge.vehicle_state.connect(lambda s: seen.append((s, QThread.currentThread() is gui_thread)))
    results: list[Any] = []
    bridge.command_result.connect(results.append)
    texts: list[tuple[int, Any]] = []
    bridge.statustext.connect(lambda sysid, text: texts.append((sysid, text)))

    def publish() -> None:  # a core thread at ~1 kHz for 0.3 s
        for i in range(300):
            bus.publish(Topics.VEHICLE_STATE, state(alt=float(i)))
            time.sleep(0.001)
        bus.publish(Topics.COMMAND_RESULT, CommandResult("ARM", True, "ACCEPTED"))
        bus.publish(Topics.STATUSTEXT, (1, StatusText(0.0, 4, "hello")))

    worker = threading.Thread(target=publish)
    worker.start()
    qtbot.waitUntil(lambda: bool(results) and bool(texts), timeout=5000)
    worker.join()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0].global_position.alt_rel_m == 299.0, timeout=2000)
    assert all(on_gui for _s, on_gui in seen)
    assert len(seen) < 60  # ~0.3-0.6 s at <= 30 Hz, far fewer than the 300 published
    assert texts[0][0] == 1 and texts[0][1].text == "hello"
    bridge.close()
    bus.publish(Topics.VEHICLE_STATE, state(alt=-1))
    qtbot.wait(100)
    assert seen[-1][0].global_position.alt_rel_m == 299.0  # nothing after close

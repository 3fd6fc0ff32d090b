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
from gcs.core.follow.loop import FollowerStatus
from gcs.core.models import (
    Attitude,
    Battery,
    CommandResult,
    GlobalPosition,
    Hud,
    StatusText,
    VehicleState,
    VelocityBodyYawRate,
)
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState
from gcs.core.video import HealthEvent, VideoHealth
from gcs.ui.plot_data import (
    RingBuffer,
    YRange,
    event_reader,
    field_source,
    peak_decimate,
    read_field,
    telemetry_fields,
)
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


def target(x: float = 400.0, state: TrackState = TrackState.LOCKED) -> TrackedTarget:
    box = BBox(x - 20, 220, 40, 40) if state is TrackState.LOCKED else None
    return TrackedTarget(box, state, 0.9, 7, 0.0, 640, 480, "CSRT", fps=25.0)


def follower(forward: float | None) -> FollowerStatus:
    velocity = None if forward is None else VelocityBodyYawRate(forward_mps=forward, yaw_rate_radps=0.5)
    return FollowerStatus(True, "chase", velocity is None, ("target lost",) if velocity is None else (), velocity,
                          None, None, None, 3, 0.0)


def test_tracker_and_follower_fields_are_read_from_their_events() -> None:
    assert {"tracker.error_x", "tracker.error_y", "follower.forward_mps"} <= set(telemetry_fields())
    assert field_source("tracker.error_x") == "tracker" and field_source("follower.yaw_rate_dps") == "follower"
    assert field_source("hud.climb_mps") == "state"
    assert event_reader("tracker.error_x")(target(480.0)) == pytest.approx(0.5)  # centre 480 of 640: half right
    assert event_reader("tracker.error_y")(target()) == pytest.approx(0.0)
    assert math.isnan(event_reader("tracker.error_x")(target(state=TrackState.SEARCHING)))  # no box: a gap
    assert event_reader("follower.forward_mps")(follower(2.5)) == 2.5
    assert event_reader("follower.yaw_rate_dps")(follower(2.5)) == pytest.approx(math.degrees(0.5))
    assert math.isnan(event_reader("follower.forward_mps")(follower(None)))
    with pytest.raises(KeyError):
        event_reader("hud.climb_mps")


def test_y_range_grows_at_once_and_shrinks_late() -> None:
    y = YRange()
    assert y.fit(0.0, 10.0) == pytest.approx((-1.0, 11.0))
    assert y.fit(2.0, 9.0) is None  # inside and still using most of the span: leave the axis alone
    assert y.fit(0.0, 12.0) == pytest.approx((-1.2, 13.2))  # outside: grow now
    assert y.fit(5.0, 6.0) == pytest.approx((4.9, 6.1))  # a third of the span or less: shrink
    assert y.fit(float("nan"), 1.0) is None
    assert y.fit(16.0, 16.0) == pytest.approx((15.2, 16.8))  # flat data gets a margin of its own


def test_plots_sample_tracker_and_follower_events(qtbot: Any) -> None:
    plots = QtTelemetryPlots()
    qtbot.addWidget(plots)
    assert {"Tracker error", "Follower command"} <= set(plots.plot_titles)
    for i in range(5):
        plots.on_tracking_target(target(320.0 + 32 * i))
        plots.on_follower(follower(float(i)))
    plots.on_state(state())
    assert len(plots.series("tracker.error_x").buffer) == 5  # a vehicle state does not sample them
    assert plots.series("tracker.error_x").buffer.last()[1] == pytest.approx(0.4)
    assert plots.series("follower.forward_mps").buffer.last()[1] == 4.0
    assert len(plots.series("global_position.alt_rel_m").buffer) == 1
    plots.clear()
    assert len(plots.series("tracker.error_x").buffer) == 0
    plots.stop()


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
    assert len(plots.plot_titles) == 8
    for i in range(20):
        plots.on_state(state(alt=i, speed=i / 2))
    assert len(plots.series("global_position.alt_rel_m").buffer) == 20
    qtbot.waitUntil(lambda: plots.redraws > 2, timeout=2000)
    _x, y = plots.series("global_position.alt_rel_m").curve.getData()
    assert y is not None and y[-1] == 19

    plots.field_combo.setCurrentText("hud.climb_mps")
    plots.target_combo.setCurrentText("New plot")
    plots.add_button.click()
    assert "hud.climb_mps" in plots.series_names and len(plots.plot_titles) == 9
    plots.on_state(state())
    assert len(plots.series("hud.climb_mps").buffer) == 1
    plots.series_combo.setCurrentText("hud.climb_mps")
    plots.remove_button.click()
    assert "hud.climb_mps" not in plots.series_names and len(plots.plot_titles) == 8

    plots.set_paused(True)
    before = plots.redraws
    qtbot.wait(150)
    assert plots.redraws == before  # paused: frozen for inspection
    plots.auto_range()
    assert not plots.paused
    plots.stop()


def test_eight_series_of_ten_thousand_points_redraw(qtbot: Any) -> None:
    """Load test (no timing assert; bench/ prints the figures): the full buffers draw."""
    eight = (("Altitude", ("global_position.alt_rel_m", "hud.climb_mps")), ("Speed", ("hud.groundspeed_mps",)),
             ("Attitude", ("derived.roll_deg", "derived.pitch_deg")), ("Battery", ("battery.voltage_v",)),
             ("Tracker error", ("tracker.error_x", "tracker.error_y")))
    plots = QtTelemetryPlots(capacity=10_000, window_s=400, plots=eight)
    qtbot.addWidget(plots)
    plots.resize(1400, 420)
    plots.show()
    qtbot.waitExposed(plots)
    qtbot.wait(100)  # the columns follow the width: let the layout settle before measuring pixel columns
    t = np.arange(10_000) / 30.0
    spiky = np.sin(t)
    spiky[6_543] = 25.0  # one sample: decimation must keep it
    for name in plots.series_names:
        plots.series(name).buffer.extend(t, spiky)
    assert len(plots.series_names) == 8
    plots._t0 = time.monotonic() - t[-1]
    began = time.perf_counter()
    for _ in range(10):
        plots._on_redraw()
        plots.graphics.grab()
    print(f"8 x 10k points: {(time.perf_counter() - began) * 100:.1f} ms per redraw+paint")
    x, y = plots.series("battery.voltage_v").curve.getData()
    width = plots.series("battery.voltage_v").plot.getViewBox().width()
    assert 0 < len(x) <= 2 * max(width, 100) + 100, (len(x), width)  # ~ two points per pixel column
    assert np.nanmax(y) == 25.0 and np.nanmin(y) == pytest.approx(-1.0, abs=1e-3)
    plots.stop()


def test_peak_decimation_keeps_spikes_gaps_and_order() -> None:
    t = np.arange(10_000, dtype=float)
    v = np.sin(t / 50.0)
    v[1234] = 7.0
    v[4000:4100] = np.nan  # a gap of 100 samples: wider than a run of 10 at 1000 runs
    v[8000] = -7.0
    dt, dv = peak_decimate(t, v, 1000)
    assert len(dt) == 2000 and np.all(np.diff(dt) >= 0)
    assert np.nanmax(dv) == 7.0 and np.nanmin(dv) == -7.0
    assert np.isnan(dv[(dt >= 4010) & (dt < 4090)]).all()  # the gap stays a gap
    assert set(dt.tolist()) <= set(t.tolist())  # real samples, never invented ones
    short_t, short_v = peak_decimate(t[:500], v[:500], 1000)
    assert len(short_t) == 500 and len(short_v) == 500  # few samples: drawn as they are
    tail_t, _ = peak_decimate(t[:2005], v[:2005], 100)
    assert tail_t[-1] == 2004.0  # the newest samples are never dropped


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
    targets: list[Any] = []
    bridge.tracking_target.connect(targets.append)
    health: list[Any] = []
    bridge.video_health.connect(health.append)

    def publish() -> None:  # a core thread at ~1 kHz for 0.3 s
        for i in range(300):
            bus.publish(Topics.VEHICLE_STATE, state(alt=float(i)))
            bus.publish("tracking.target", target(float(i)))
            time.sleep(0.001)
        bus.publish("video.health", HealthEvent(VideoHealth.DEGRADED, "no frame for 1.2 s", 0.0, "virtual"))
        bus.publish(Topics.COMMAND_RESULT, CommandResult("ARM", True, "ACCEPTED"))
        bus.publish(Topics.STATUSTEXT, (1, StatusText(0.0, 4, "hello")))

    worker = threading.Thread(target=publish)
    worker.start()
    qtbot.waitUntil(lambda: bool(results) and bool(texts), timeout=5000)
    worker.join()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0].global_position.alt_rel_m == 299.0, timeout=2000)
    assert all(on_gui for _s, on_gui in seen)
    assert len(seen) < 60  # ~0.3-0.6 s at <= 30 Hz, far fewer than the 300 published
    qtbot.waitUntil(lambda: bool(targets) and targets[-1].box.x == 299.0 - 20 and bool(health), timeout=2000)
    assert len(targets) < 60 and health[0].reason == "no frame for 1.2 s"
    assert texts[0][0] == 1 and texts[0][1].text == "hello"
    bridge.close()
    bus.publish(Topics.VEHICLE_STATE, state(alt=-1))
    qtbot.wait(100)
    assert seen[-1][0].global_position.alt_rel_m == 299.0  # nothing after close

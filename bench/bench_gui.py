"""The desktop GUI during a demo flight: frames shown, GUI-thread stalls and paint times.

Runs the real main window offscreen (QT_QPA_PLATFORM=offscreen unless set) over a GcsService
with the built-in PX4 simulator and the virtual camera. A script thread flies what a pilot
would: arm, take off to 20 m, restart the camera (the car drives into view), track the car, and
follow it. Once following, the GUI is measured for ``--seconds`` (default 30):

- frames shown per second by the video view, beside the rate the camera captured;
- the worst GUI-thread stall: the largest gap of a 10 ms QTimer beyond its period (and p99);
- video view paint time (median / p99), plot redraws per second (30 at most, fewer when the
  plots go over their share of the GUI thread), their setData and paint times.

The figures depend on what else the machine runs: the load average is printed with them.

``--plots-only`` measures the plots alone: 8 series of 10,000 points each, redrawn and painted
frame after frame as they scroll, through ``QtTelemetryPlots`` (a min/max per pixel column into
``PlotCurveItem``) and, as the baseline in the same run, through plain pyqtgraph
``PlotDataItem`` curves with its own peak downsampling and clip-to-view (what its docs advise).

Prints figures only; nothing is asserted (tests never time things).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.common import row  # noqa: E402
from gcs.ui.qt_plots import QtTelemetryPlots  # noqa: E402
from gcs.ui.qt_video import QtVideoView  # noqa: E402

TICK_MS = 10


def timed(samples: list[float], method: Callable[..., Any], cpu: list[float] | None = None) -> Callable[..., Any]:
    """Wrap a method so each call's wall time (ms) lands in ``samples``, its thread CPU time in ``cpu``."""

    def wrapper(self: Any, *args: Any) -> Any:
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return method(self, *args)
        finally:
            samples.append((time.perf_counter() - began) * 1000.0)
            if cpu is not None:
                cpu.append((time.thread_time() - began_cpu) * 1000.0)

    return wrapper


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100.0 * (len(ordered) - 1)))]


EIGHT = (("Altitude", ("global_position.alt_rel_m", "hud.climb_mps")), ("Speed", ("hud.groundspeed_mps",)),
         ("Attitude", ("derived.roll_deg", "derived.pitch_deg")), ("Battery", ("battery.voltage_v",)),
         ("Tracker error", ("tracker.error_x", "tracker.error_y")))
POINTS = 10_000


def bench_plots(frames: int) -> dict[str, float]:
    """ms per frame (wall, GUI-thread CPU) to redraw and paint 8 x 10k points, ours vs baseline."""
    import numpy as np

    app = QApplication.instance() or QApplication(sys.argv[:1])
    rng = np.random.default_rng(1)
    t = np.arange(POINTS) / 30.0
    data = {name: np.sin(t / (3 + i)) * (10 + i) + rng.normal(0, 0.3, POINTS)
            for i, name in enumerate(n for _title, names in EIGHT for n in names)}

    ours = QtTelemetryPlots(capacity=POINTS, window_s=POINTS / 30.0 + 2, plots=EIGHT)
    ours.stop()  # driven by hand below, frame by frame
    ours.resize(1400, 420)
    ours.show()
    for name, values in data.items():
        ours.series(name).buffer.extend(t, values)

    base = pg.GraphicsLayoutWidget()
    base.resize(1400 - 180, 420)
    base_curves: list[tuple[Any, Any]] = []
    for i, (title, names) in enumerate(EIGHT):
        item = base.addPlot(row=i // 4, col=i % 4, title=title)
        item.addLegend()
        for name in names:
            curve = item.plot(pen=pg.mkPen(PALETTE_BENCH[len(base_curves) % 8]), name=name, connect="finite")
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            base_curves.append((curve, data[name]))
        item.setXRange(-POINTS / 30.0, 0, padding=0)
    base.show()
    app.processEvents()

    def run(step: Callable[[float], None], widget: Any) -> tuple[float, float]:
        wall, cpu = [], []
        for k in range(frames):
            now = t[-1] + k / 30.0
            began, began_cpu = time.perf_counter(), time.thread_time()
            step(now)
            widget.grab()  # paint now, as a frame would
            wall.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
        return statistics.median(wall), statistics.median(cpu)

    def ours_step(now: float) -> None:
        ours._draw(now)
        ours._follow()

    def base_step(now: float) -> None:
        for curve, values in base_curves:
            curve.setData(t - now, values)

    figures: dict[str, float] = {}
    for label, step, widget in (("baseline", base_step, base), ("ours", ours_step, ours.graphics),
                                ("baseline2", base_step, base), ("ours2", ours_step, ours.graphics)):
        wall, cpu = run(step, widget)  # interleaved twice: a load spike hits both, not one
        key = label.rstrip("2")
        figures[f"{key}_wall_ms"] = min(figures.get(f"{key}_wall_ms", wall), wall)
        figures[f"{key}_cpu_ms"] = min(figures.get(f"{key}_cpu_ms", cpu), cpu)
    drawn = sum(len(s.curve.getData()[0]) for s in ours._series.values())
    figures["points_drawn"] = drawn
    figures["ratio_cpu"] = figures["baseline_cpu_ms"] / figures["ours_cpu_ms"]
    base.close()
    ours.close()
    return figures


PALETTE_BENCH = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292")


def fly(service: Any, ready: threading.Event, log: list[str]) -> None:
    """Script thread: take off, put the car in view, track it and follow (as a pilot would)."""
    from gcs.core.tracking.types import TrackState

    def wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            time.sleep(0.05)

    try:
        wait(lambda: service.vehicle_state().gps.has_fix, 15, "GPS fix")
        service.arm()
        service.takeoff(20.0)
        wait(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, 40, "climb to 20 m")
        service.start_video()  # the scene restarts: car-1 drives into view
        wait(lambda: service.latest_frame() is not None, 10, "first frame")
        source = service.vision._require()[0].source
        truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
        service.start_tracking(*truth["car-1"])
        wait(lambda: service.tracker_data().state is TrackState.LOCKED, 10, "lock on car-1")
        service.start_following()
        log.append("following car-1")
    except Exception as exc:  # noqa: BLE001 - reported, and the bench measures whatever state it reached
        log.append(f"demo flight stopped early: {type(exc).__name__}: {exc}")
    finally:
        ready.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time while following")
    parser.add_argument("--plots-only", action="store_true", help="only the plots: 8 x 10k points, ours vs baseline")
    parser.add_argument("--frames", type=int, default=60, help="frames per run with --plots-only")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    parser.add_argument("--no-plots", action="store_true", help="close the plots dock (what do the plots cost?)")
    parser.add_argument("--switch-ms", type=float, default=None,
                        help="sys.setswitchinterval for this run (Python's default is 5 ms)")
    args = parser.parse_args()
    if args.plots_only:
        QApplication(sys.argv[:1])
        f = bench_plots(args.frames)
        load = os.getloadavg()[0]
        print(f"Plots, 8 series x {POINTS:,} points each, 1400x420 px, {args.frames} frames per run "
              f"(median of each run, best of two), load {load:.1f}:")
        print(f"  baseline (PlotDataItem, peak downsampling + clip)  {f['baseline_wall_ms']:6.1f} ms/frame, "
              f"CPU {f['baseline_cpu_ms']:.1f} ms")
        print(f"  ours (min/max per pixel -> PlotCurveItem)          {f['ours_wall_ms']:6.1f} ms/frame, "
              f"CPU {f['ours_cpu_ms']:.1f} ms ({int(f['points_drawn']):,} points drawn)")
        print(f"  baseline / ours CPU: {f['ratio_cpu']:.2f}x   (a 30 fps frame is 33 ms)")
        if args.json:
            print(json.dumps({k: round(v, 2) for k, v in f.items()}))
        return 0
    if args.switch_ms is not None:
        sys.setswitchinterval(args.switch_ms / 1000.0)

    data = tempfile.mkdtemp(prefix="kestrel-bench-gui-")
    os.environ["KESTREL_CONFIG_DIR"] = str(Path(data) / "config")
    os.environ["KESTREL_DATA_DIR"] = str(Path(data) / "data")
    (Path(data) / "config").mkdir()

    paint_ms: list[float] = []
    redraw_ms: list[float] = []
    plot_paint_ms: list[float] = []
    paint_cpu: list[float] = []
    plot_paint_cpu: list[float] = []
    convert_ms: list[float] = []
    convert_cpu: list[float] = []
    QtVideoView.set_frame = timed(convert_ms, QtVideoView.set_frame, convert_cpu)  # type: ignore[method-assign]
    QtVideoView.paintEvent = timed(paint_ms, QtVideoView.paintEvent, paint_cpu)  # type: ignore[method-assign]
    pg.GraphicsView.paintEvent = timed(plot_paint_ms, pg.GraphicsView.paintEvent, plot_paint_cpu)
    QtTelemetryPlots._draw = timed(redraw_ms, QtTelemetryPlots._draw)  # type: ignore[method-assign]

    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService
    from gcs.ui.application import apply_dark_theme
    from gcs.ui.qt_main_window import QtMainWindow

    app = QApplication(sys.argv[:1])
    apply_dark_theme(app)
    store = ConfigStore(Path(data) / "config" / "config.yaml")
    store.load()
    store.set("follow", "profile", "hold_distance", source="bench")  # the profile the closed-loop test flies
    service = GcsService(store)
    service.start()
    service.start_demo("px4", port=0)
    service.wait_for_vehicle(10.0)
    window = QtMainWindow(service, api_url=None)
    window.resize(1440, 900)
    window.show()
    if args.no_plots:
        window.plots_dock.close()

    states: list[str] = []
    service.subscribe("tracking.target", lambda _t, target: states.append(target.state.value))
    ready = threading.Event()
    log: list[str] = []
    threading.Thread(target=fly, args=(service, ready, log), name="bench-pilot", daemon=True).start()
    ticks: list[float] = []
    tick = QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.timeout.connect(lambda: ticks.append(time.perf_counter()))
    marks: dict[str, Any] = {}

    def start_measuring() -> None:
        if not ready.is_set():
            QTimer.singleShot(100, start_measuring)
            return
        for samples in (paint_ms, redraw_ms, plot_paint_ms, paint_cpu, plot_paint_cpu, convert_ms, convert_cpu):
            samples.clear()
        states.clear()
        marks.update(t0=time.perf_counter(), shown0=window.video_panel.feed.frames_shown,
                     captured0=service.video_stats()[0].captured, redraws0=window.plots.redraws,
                     load0=os.getloadavg()[0], gui_cpu0=time.thread_time(), cpu0=time.process_time())
        tick.start(TICK_MS)
        QTimer.singleShot(int(args.seconds * 1000), stop_measuring)

    def stop_measuring() -> None:
        tick.stop()
        marks.update(t1=time.perf_counter(), shown1=window.video_panel.feed.frames_shown,
                     captured1=service.video_stats()[0].captured, tracker=service.tracker_data(),
                     follower=service.follower_data(), series=len(window.plots.series_names),
                     redraws1=window.plots.redraws, load1=os.getloadavg()[0],
                     gui_cpu1=time.thread_time(), cpu1=time.process_time())
        app.quit()

    QTimer.singleShot(0, start_measuring)
    app.exec()
    window.close()
    service.close()

    seconds = marks["t1"] - marks["t0"]
    gaps = [(b - a) * 1000.0 - TICK_MS for a, b in itertools.pairwise(ticks)]
    figures = {
        "seconds": round(seconds, 1),
        "flight": log[-1] if log else "?",
        "frames_shown_per_s": round((marks["shown1"] - marks["shown0"]) / seconds, 1),
        "frames_captured_per_s": round((marks["captured1"] - marks["captured0"]) / seconds, 1),
        "tracker_fps": round(marks["tracker"].fps, 1),
        "tracker_state": marks["tracker"].state.value,
        "following": marks["follower"].active,
        "locked_pct": round(100 * states.count("locked") / len(states), 1) if states else 0.0,
        "plotted_series": marks["series"],
        "worst_stall_ms": round(max(gaps), 1) if gaps else None,
        "stall_p99_ms": round(percentile(gaps, 99), 1),
        "stalls_over_50ms": sum(g > 50 for g in gaps),
        "video_paints": len(paint_ms),
        "video_paint_median_ms": round(statistics.median(paint_ms), 2) if paint_ms else None,
        "video_paint_p99_ms": round(percentile(paint_ms, 99), 2),
        "plot_redraws_per_s": round((marks["redraws1"] - marks["redraws0"]) / seconds, 1),
        "plot_redraw_median_ms": round(statistics.median(redraw_ms), 2) if redraw_ms else None,
        "plot_redraw_p99_ms": round(percentile(redraw_ms, 99), 2),
        "plot_paints": len(plot_paint_ms),
        "plot_paint_median_ms": round(statistics.median(plot_paint_ms), 2) if plot_paint_ms else None,
        "plot_paint_p99_ms": round(percentile(plot_paint_ms, 99), 2),
        "frame_convert_median_ms": round(statistics.median(convert_ms), 2) if convert_ms else None,
        "frame_convert_p99_ms": round(percentile(convert_ms, 99), 2),
        "frame_convert_cpu_median_ms": round(statistics.median(convert_cpu), 2) if convert_cpu else None,
        "video_paint_cpu_median_ms": round(statistics.median(paint_cpu), 2) if paint_cpu else None,
        "plot_paint_cpu_median_ms": round(statistics.median(plot_paint_cpu), 2) if plot_paint_cpu else None,
        "gui_thread_cpu_pct": round(100 * (marks["gui_cpu1"] - marks["gui_cpu0"]) / seconds, 1),
        "process_cpu_pct": round(100 * (marks["cpu1"] - marks["cpu0"]) / seconds, 1),
        "gui_busy_pct": round(100 * (sum(paint_ms) + sum(redraw_ms) + sum(plot_paint_ms)) / 1000 / seconds, 1),
        "load_avg_1min": (round(marks["load0"], 2), round(marks["load1"], 2)),
        "switch_interval_ms": round(sys.getswitchinterval() * 1000, 2),
        "platform": app.platformName(),
        "cpus": os.cpu_count(),
    }
    plots = bench_plots(30)  # the plots alone, ours vs pyqtgraph's own downsampling, same process
    figures["plots_8x10k"] = {k: round(v, 2) for k, v in plots.items()}
    figures["headline"] = [
        row("GUI worst event-loop stall (30 s demo flight, video + tracking + plots)", figures["worst_stall_ms"],
            "ms", baseline="10 ms timer period", baseline_value=10.0),
        row("GUI frames shown/s", figures["frames_shown_per_s"], "fps",
            baseline="frames captured/s", baseline_value=figures["frames_captured_per_s"]),
        row("plots 8 x 10k points: CPU per redraw+paint", plots["ours_cpu_ms"], "ms",
            baseline="pyqtgraph peak downsampling + clip", baseline_value=plots["baseline_cpu_ms"]),
    ]
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"GUI during a demo flight ({figures['flight']}), {seconds:.1f} s measured, "
          f"{figures['platform']}, {figures['cpus']} CPUs, load {marks['load0']:.1f}-{marks['load1']:.1f}, "
          f"GIL switch interval {figures['switch_interval_ms']:g} ms")
    print(f"  frames shown/s        {figures['frames_shown_per_s']:8.1f}   (camera captured "
          f"{figures['frames_captured_per_s']:.1f}/s; tracker {figures['tracker_state']} at "
          f"{figures['tracker_fps']:.1f} fps, locked in {figures['locked_pct']:.0f} % of its updates)")
    print(f"  worst GUI stall       {figures['worst_stall_ms']:8.1f} ms (10 ms timer; p99 "
          f"{figures['stall_p99_ms']:.1f} ms; {figures['stalls_over_50ms']} gaps > 50 ms)")
    print(f"  video paint           {figures['video_paint_median_ms']:8.2f} ms median, "
          f"{figures['video_paint_p99_ms']:.2f} ms p99 ({figures['video_paints']} paints; "
          f"CPU {figures['video_paint_cpu_median_ms']:.2f} ms median)")
    print(f"  frame convert         {figures['frame_convert_median_ms']:8.2f} ms median, "
          f"{figures['frame_convert_p99_ms']:.2f} ms p99 (BGR -> 32-bit, once per new frame; "
          f"CPU {figures['frame_convert_cpu_median_ms']:.2f} ms median)")
    print(f"  plot redraws/s        {figures['plot_redraws_per_s']:8.1f}   (30 at most; fewer when over budget)")
    print(f"  plot redraw (setData) {figures['plot_redraw_median_ms']:8.2f} ms median, "
          f"{figures['plot_redraw_p99_ms']:.2f} ms p99 ({figures['plotted_series']} series)")
    if figures["plot_paints"]:
        print(f"  plot paint            {figures['plot_paint_median_ms']:8.2f} ms median, "
              f"{figures['plot_paint_p99_ms']:.2f} ms p99 ({figures['plot_paints']} paints; "
              f"CPU {figures['plot_paint_cpu_median_ms']:.2f} ms median)")
    print(f"  GUI thread in these   {figures['gui_busy_pct']:8.1f} % of the wall time")
    print(f"  CPU                   {figures['gui_thread_cpu_pct']:8.1f} % GUI thread, "
          f"{figures['process_cpu_pct']:.1f} % whole process (of one core)")
    print(f"  plots 8 x 10k points  {plots['ours_cpu_ms']:8.2f} ms CPU per redraw+paint "
          f"(baseline, pyqtgraph's own downsampling: {plots['baseline_cpu_ms']:.2f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

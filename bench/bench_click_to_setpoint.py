"""Click-to-first-setpoint latency: a click on the car in the virtual camera -> the simulator moves.

What a pilot feels when they click a target while following: how long until the vehicle is told
to move. The whole real path runs in this process: GcsService, the built-in PX4 simulator over
MAVLink/UDP on loopback, the virtual camera, the tracking worker, the follow loop, the 20 Hz
commander. The vehicle hovers at 20 m in OFFBOARD with the follow loop on and nothing tracked
(the commander streams zero velocity: following starts on a locked car, then the track is
dropped); then the car's centre (the camera's ground truth, as a
pilot would click it) is clicked, and the time is taken to the first non-zero velocity setpoint
the simulator *receives*, with the steps on the way (tracker locked, first follow command).
Classic click (CSRT box grown around the click) and smart click (YOLO on onnxruntime, the model
loaded beforehand) are measured ``--clicks`` times each; the median is reported.

Baseline in the same run: a velocity handed straight to the commander -> first non-zero setpoint
at the simulator (the commander's tick and the UDP link: the floor of any click).

    .venv/bin/python bench/bench_click_to_setpoint.py [--clicks 3] [--json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import emit, load_average, row  # noqa: E402

HOME = Path(tempfile.mkdtemp(prefix="kestrel-bench-click-"))
os.environ["KESTREL_CONFIG_DIR"] = str(HOME / "config")
os.environ["KESTREL_DATA_DIR"] = str(HOME / "data")

from gcs.core.config import ConfigStore  # noqa: E402
from gcs.core.models import CommandIntent, VelocityBodyYawRate  # noqa: E402
from gcs.core.service import GcsService  # noqa: E402
from gcs.core.tracking.types import TrackState  # noqa: E402


def wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout_s:.0f} s")
        time.sleep(0.01)


def _moving(sp: Any) -> bool:
    return abs(sp.vx) + abs(sp.vy) + abs(sp.vz) + abs(sp.yaw_rate) > 1e-4


class Flight:
    """The service hovering in OFFBOARD with the follow loop on, and the probes the bench needs."""

    def __init__(self) -> None:
        store = ConfigStore(HOME / "config" / "config.yaml")
        store.load()
        store.set("video", "enabled", True, source="bench")
        store.set("tracking", "backend", "onnxruntime", source="bench")  # the packaged app's backend
        store.set("follow", "profile", "chase", source="bench")
        self.service = GcsService(store)
        self.service.start()
        self.service.start_demo("px4", port=0)
        self.service.wait_for_vehicle(15.0)
        self.sim = self.service.simulators[0]
        self._first_command: float | None = None
        self._armed_probe = threading.Event()

    def take_off_and_follow(self) -> None:
        s = self.service
        wait(lambda: s.vehicle_state().gps.has_fix, 20, "GPS fix")
        s.arm()
        s.takeoff(20.0)
        wait(lambda: s.vehicle_state().global_position.alt_rel_m > 19.0, 60, "climb to 20 m")
        s.start_video()  # the scene restarts: car-1 on its straight ahead of the vehicle
        wait(lambda: s.latest_frame() is not None, 15, "first virtual frame")
        s.start_tracking(*self.car_centre())  # follow is refused without a LOCKED target
        wait(lambda: s.tracker_data().state is TrackState.LOCKED, 10, "tracker locked")
        if not s.start_following().success:
            raise RuntimeError("could not start following")
        # settle() then forgets the target: the follower stays on, holding, until the next click
        s.bus.subscribe("follow.status", self._on_follow)

    def _on_follow(self, _topic: str, status: Any) -> None:
        if self._armed_probe.is_set() and self._first_command is None and getattr(status, "velocity", None):
            self._first_command = time.monotonic()

    def car_centre(self) -> tuple[float, float]:
        """Where a pilot would click: the centre of a car the camera sees now (car-1 if it can)."""
        for _ in range(2):
            source = self.service.vision._require()[0].source
            seen = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
            cars = [k for k in seen if k.startswith("car")]
            if cars:
                x, y, w, h = seen["car-1" if "car-1" in seen else cars[0]]
                return x + w / 2.0, y + h / 2.0
            self.service.start_video()  # the cars drove out of view: restart the scene
            wait(lambda: self.service.latest_frame() is not None, 15, "first virtual frame")
            time.sleep(0.5)
        raise RuntimeError("no car in view")

    def settle(self) -> None:
        """Nothing tracked and the simulator receiving zero velocity for half a second."""
        self.service.stop_tracking()
        time.sleep(0.8)  # the last follow command expires (setpoint lifetime 0.5 s)
        wait(lambda: not any(_moving(sp) for sp in self._setpoints_since(time.monotonic() - 0.5)), 10,
             "zero-velocity stream")

    def _setpoints_since(self, t0: float) -> list[Any]:
        return [sp for sp in self.sim.received_setpoints() if sp.time_s >= t0]

    def first_moving_setpoint(self, t0: float, timeout_s: float = 10.0) -> float:
        found: list[float] = []

        def seen() -> bool:
            moving = [sp.time_s for sp in self._setpoints_since(t0) if _moving(sp)]
            found[:] = moving[:1]
            return bool(found)

        wait(seen, timeout_s, "a non-zero setpoint at the simulator")
        return found[0] - t0

    def click(self, smart: bool) -> dict[str, float]:
        self.settle()
        x, y = self.car_centre()
        self._first_command = None
        self._armed_probe.set()
        t0 = time.monotonic()
        if smart:
            self.service.smart_click(x, y)
        else:
            self.service.start_tracking(x, y)
        t_click_returned = time.monotonic()
        to_setpoint = self.first_moving_setpoint(t0)
        wait(lambda: self.service.tracker_data().state is TrackState.LOCKED, 5, "tracker locked")
        self._armed_probe.clear()
        return {
            "click_call_ms": round((t_click_returned - t0) * 1000, 1),
            "first_follow_command_ms": round((self._first_command - t0) * 1000, 1) if self._first_command else None,
            "first_setpoint_at_sim_ms": round(to_setpoint * 1000, 1),
        }

    def direct_intent(self) -> float:
        """The floor: a velocity handed to the commander -> first non-zero setpoint at the simulator."""
        self.settle()
        t0 = time.monotonic()
        self.service.commander.set_intent(CommandIntent(VelocityBodyYawRate(0.0, 0.0, 0.0, 0.2), t0, "bench", 0.3))
        return self.first_moving_setpoint(t0) * 1000.0

    def close(self) -> None:
        self.service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=3, help="clicks of each kind (the median is reported)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    figures: dict[str, Any] = {"load_1min": load_average()}
    flight = Flight()
    try:
        flight.take_off_and_follow()
        floor = [flight.direct_intent() for _ in range(max(3, args.clicks))]
        classic = [flight.click(smart=False) for _ in range(args.clicks)]
        flight.service.set_smart_mode(True)
        wait(lambda: flight.service.vision.smart_detector.loaded, 60, "detector loaded")
        smart = [flight.click(smart=True) for _ in range(args.clicks)]
    finally:
        flight.close()
        shutil.rmtree(HOME, ignore_errors=True)
    floor_ms = statistics.median(floor)
    figures["commander_floor_ms"] = {"median": round(floor_ms, 1), "runs": [round(v, 1) for v in floor]}
    headline = []
    for label, runs in (("classic (CSRT)", classic), ("smart (YOLO, onnxruntime)", smart)):
        med = {k: statistics.median(r[k] for r in runs if r[k] is not None) for k in runs[0]}
        figures[label] = {"median": {k: round(v, 1) for k, v in med.items()}, "runs": runs}
        headline.append(row(f"click -> first setpoint at the simulator, {label}", med["first_setpoint_at_sim_ms"],
                            "ms", baseline="velocity straight to the commander", baseline_value=floor_ms))
    figures["load_1min_after"] = load_average()
    figures["headline"] = headline
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""tlog replay: the whole path (index, replay thread, fleet, reducer, bus) as fast as possible, vs real time.

Default log: the 1377 s real flight copter_real_2015_dronekit_flight.tlog (75,477 messages).
Goal (issue 3): speed-up >= 100x real time (under 14 s). Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gcs.core.bus import MessageBus, Topics  # noqa: E402
from gcs.core.logs.replay import ReplayLink, ReplayStatus  # noqa: E402
from gcs.core.vehicle.connection import parse_connection_string  # noqa: E402
from gcs.core.vehicle.fleet import Fleet  # noqa: E402

DEFAULT_LOG = ROOT.parent / "shared/data/tlogs/copter_real_2015_dronekit_flight.tlog"


def run_once(path: Path) -> dict[str, float]:
    bus = MessageBus()
    delivered = [0]
    bus.subscribe(Topics.VEHICLE_STATE, lambda _t, _v: delivered.__setitem__(0, delivered[0] + 1))
    bus.subscribe("vehicle.*.state", lambda _t, _v: None)  # a pattern subscriber, like the API streams
    fleet = Fleet(bus)
    fleet.start()
    done = threading.Event()

    def on_status(status: ReplayStatus) -> None:
        if status.ended:
            done.set()

    t0 = time.perf_counter()
    link = ReplayLink(
        parse_connection_string(f"replay:{path}"), fleet, link_id="bench", speed=None, on_status=on_status
    )
    t_index = time.perf_counter() - t0
    link.start()
    done.wait(600)
    wall = time.perf_counter() - t0
    counters = link.counters()
    duration = link.index.duration_s
    link.close()
    fleet.close()
    return {
        "log_duration_s": round(duration, 1),
        "messages": counters.received,
        "bad_frames": counters.bad_frames,
        "index_s": round(t_index, 3),
        "wall_s": round(wall, 3),
        "msgs_per_s": round(counters.received / wall),
        "states_published": delivered[0],
        "speedup_x": round(duration / wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [run_once(args.log) for _ in range(args.repeat)]
    best = max(runs, key=lambda r: r["speedup_x"])
    figures = {"log": args.log.name, **best, "goal_speedup_x": 100, "runs_speedup_x": [r["speedup_x"] for r in runs]}
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:20s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

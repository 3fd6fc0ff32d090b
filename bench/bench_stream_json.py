"""Hub JSON encoding: orjson against the stdlib ``json`` for the events every stream client gets.

Each hub event is encoded once and shared by every client, so this is the per-event cost of the
telemetry stream (and of the ``history`` message a client gets on connect). Measured on real
vehicle states: a real flight log (../shared/data) folded by the core's reducer. Three ways:

- ``stdlib``:        ``json.dumps(to_plain(state))``, what the hub did before;
- ``orjson+plain``:  ``orjson.dumps(to_plain(state))``: only the text step changes;
- ``orjson direct``: ``orjson.dumps(state)``: orjson walks the frozen dataclasses itself (what the
  hub does now for values whose plain form is ``to_plain``), skipping the Python-level walk.

All three give the same JSON (checked here after parsing). Prints figures and ratios to stdlib.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.common import emit, load_average, row  # noqa: E402
from embedded_api.stream.events import HubEvent, history_json  # noqa: E402
from gcs.core.logs.index import TlogIndex  # noqa: E402
from gcs.core.mavlink_env import mavlink  # noqa: E402
from gcs.core.models import VehicleState  # noqa: E402
from gcs.core.serialize import to_plain  # noqa: E402
from gcs.core.vehicle.reducer import initial_state, reduce  # noqa: E402

DEFAULT_LOG = ROOT.parent / "shared" / "data" / "tlogs" / "copter_real_2015_dronekit_flight.tlog"


def real_states(path: Path, count: int) -> list[VehicleState]:
    """``count`` successive states of the first vehicle in the log (from its middle on)."""
    index = TlogIndex(path)
    parser = mavlink.MAVLink(None)
    parser.robust_parsing = True
    states: list[VehicleState] = []
    state: VehicleState | None = None
    try:
        for i in range(len(index)):
            for msg in parser.parse_buffer(index.frame(i)) or ():
                if msg.get_type() == "BAD_DATA":
                    continue
                if state is None:
                    if msg.get_type() != "HEARTBEAT" or msg.type == mavlink.MAV_TYPE_GCS:
                        continue
                    state = initial_state(msg.get_srcSystem(), msg.get_srcComponent())
                if msg.get_srcSystem() != state.system_id:
                    continue
                new = reduce(state, msg, index.times_us[i] / 1e6)
                if new is not state:
                    state = new
                    states.append(new)
    finally:
        index.close()
    middle = len(states) // 2
    return states[middle : middle + count]


def stdlib(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), allow_nan=False)


def per_call_us(fn: Callable[[Any], Any], items: list[Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - t0)
    return best / len(items) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line with a headline (bench/run_all.py)")
    args = parser.parse_args()
    states = real_states(args.log, args.events)

    def envelope(state: VehicleState, data: Any) -> dict[str, Any]:
        return {"type": "telemetry", "id": 1, "time": state.last_update_s, "data": data}

    ways: dict[str, Callable[[VehicleState], Any]] = {
        "stdlib": lambda s: stdlib(envelope(s, to_plain(s))),
        "orjson+plain": lambda s: orjson.dumps(envelope(s, to_plain(s))).decode(),
        "orjson direct": lambda s: orjson.dumps(envelope(s, s)).decode(),
        "hub (HubEvent.json)": lambda s: HubEvent(1, "telemetry", s, s.last_update_s).json(),
    }
    reference = [json.loads(ways["stdlib"](s)) for s in states[:200]]
    for name, fn in ways.items():
        assert [json.loads(fn(s)) for s in states[:200]] == reference, f"{name} differs from stdlib"

    size = len(ways["stdlib"](states[0]))
    base = per_call_us(ways["stdlib"], states, args.repeat)
    us = {name: base if name == "stdlib" else per_call_us(fn, states, args.repeat) for name, fn in ways.items()}
    # the history message a new client gets: 100 events, each encoded already (reused), joined
    events = [HubEvent(i, "telemetry", s, s.last_update_s) for i, s in enumerate(states[:100])]
    for event in events:
        event.json()
    t_join = per_call_us(lambda _: history_json(events, 100, time.time()), [None] * 200, args.repeat)
    if args.json:
        headline = [
            row(f"hub JSON per telemetry event, {name} (speed-up)", us[name], "us", baseline="stdlib json",
                baseline_value=base, ratio=base / us[name])
            for name in ways if name != "stdlib"
        ]
        emit({"load_1min": load_average(), "events": len(states), "json_bytes": size, "us_per_event": us,
              "history_100_us": round(t_join), "headline": headline}, True)
        return 0
    print(f"{len(states)} real vehicle states from {args.log.name}; JSON {size} bytes each")
    for name, value in us.items():
        rate = f"({1e6 / value:,.0f} events/s on one core)"
        print(f"  {name:20s} {value:7.1f} us/event   {base / value:5.2f}x stdlib   {rate}")
    print(f"  history of 100 encoded events: {t_join:.0f} us (joined, not re-encoded)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

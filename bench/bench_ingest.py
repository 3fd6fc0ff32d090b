"""MAVLink ingest: messages/s through link + reducer + bus, as a ratio to raw pymavlink parsing.

Both sides get the same bytes (a real recorded flight, frames re-joined into 512-byte reads as a
socket would deliver them) in the same run. Goal (issue 2): ratio >= 0.5. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gcs.core.bus import MessageBus, Topics  # noqa: E402
from gcs.core.mavlink_env import mavlink, mavutil  # noqa: E402
from gcs.core.vehicle.connection import parse_connection_string  # noqa: E402
from gcs.core.vehicle.fleet import Fleet  # noqa: E402
from gcs.core.vehicle.link import MavlinkLink  # noqa: E402

DEFAULT_LOG = ROOT.parent / "shared/data/tlogs/copter_real_2015_dronekit_flight.tlog"


def recorded_reads(path: Path, read_size: int = 512) -> tuple[list[bytes], int]:
    conn = mavutil.mavlink_connection(str(path), robust_parsing=True)
    frames = []
    while (msg := conn.recv_msg()) is not None:
        if msg.get_type() != "BAD_DATA":
            frames.append(bytes(msg.get_msgbuf()))
    reads, chunk = [], bytearray()
    for frame in frames:
        chunk += frame
        if len(chunk) >= read_size:
            reads.append(bytes(chunk))
            chunk = bytearray()
    if chunk:
        reads.append(bytes(chunk))
    return reads, len(frames)


def raw_parse(reads: list[bytes]) -> int:
    parser = mavlink.MAVLink(None)
    parser.robust_parsing = True
    return sum(len(parser.parse_buffer(r) or ()) for r in reads)


def full_path(reads: list[bytes]) -> tuple[int, int]:
    bus = MessageBus()
    delivered = [0]
    bus.subscribe(Topics.VEHICLE_STATE, lambda _t, _v: delivered.__setitem__(0, delivered[0] + 1))
    fleet = Fleet(bus)
    link = MavlinkLink(parse_connection_string("udpin:127.0.0.1:0"), fleet, link_id="bench")
    now = time.time()
    count = sum(link.ingest(r, now) for r in reads)
    return count, delivered[0]


def best_of(n: int, fn, *args):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    reads, frames = recorded_reads(args.log)
    t_raw, n_raw = best_of(args.repeat, raw_parse, reads)
    t_full, (n_full, published) = best_of(args.repeat, full_path, reads)
    figures = {
        "log": args.log.name,
        "messages": frames,
        "raw_parse_msgs_per_s": round(n_raw / t_raw),
        "link_reducer_bus_msgs_per_s": round(n_full / t_full),
        "states_published": published,
        "ratio": round((n_full / t_full) / (n_raw / t_raw), 3),
        "goal_ratio": 0.5,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:30s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

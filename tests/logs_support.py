"""Helpers for the flight-log tests: real MAVLink frames packed by pymavlink, tlogs built from them,
and pymavlink's own reading of a tlog (the reference every test compares against)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcs.core.mavlink_env import mavlink, mavutil

ROOT = Path(__file__).resolve().parents[1]
TLOG_DIR = ROOT.parent / "shared" / "data" / "tlogs"
T0 = 1_700_000_000.0  # a plausible unix time for synthetic logs
ARDUCOPTER_LOITER = 5


def pack(msg: Any, sysid: int = 1, compid: int = 1, *, v1: bool = False, seq: int = 0) -> bytes:
    """One frame as a vehicle would send it (MAVLink 2 unless ``v1``)."""
    mav = mavlink.MAVLink(None, srcSystem=sysid, srcComponent=compid)
    mav.seq = seq & 0xFF
    return bytes(msg.pack(mav, force_mavlink1=v1))


def heartbeat(custom_mode: int = ARDUCOPTER_LOITER, armed: bool = False, mav_type: int = mavlink.MAV_TYPE_QUADROTOR,
              autopilot: int = mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA) -> Any:
    base = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | (mavlink.MAV_MODE_FLAG_SAFETY_ARMED if armed else 0)
    return mavlink.MAVLink_heartbeat_message(mav_type, autopilot, base, custom_mode, mavlink.MAV_STATE_ACTIVE, 3)


def attitude(t_ms: int, roll: float = 0.1) -> Any:
    return mavlink.MAVLink_attitude_message(t_ms, roll, 0.0, 0.5, 0.0, 0.0, 0.0)


def position(t_ms: int, lat: float, lon: float, rel_alt_m: float) -> Any:
    return mavlink.MAVLink_global_position_int_message(
        t_ms, int(lat * 1e7), int(lon * 1e7), int((rel_alt_m + 100) * 1000), int(rel_alt_m * 1000), 0, 0, 0, 0
    )


def record(t: float, frame: bytes) -> bytes:
    return struct.pack(">Q", int(t * 1e6)) + frame


def write_tlog(path: Path, records: list[tuple[float, bytes]], tail: bytes = b"") -> Path:
    path.write_bytes(b"".join(record(t, f) for t, f in records) + tail)
    return path


def synthetic_flight(seconds: float = 3.0, *, attitude_hz: int = 20, sysid: int = 1) -> list[tuple[float, bytes]]:
    """Heartbeat at 1 Hz and ATTITUDE at ``attitude_hz``, MAVLink 2, consecutive sequence numbers."""
    records: list[tuple[float, bytes]] = []
    seq = 0
    steps = int(seconds * attitude_hz)
    for i in range(steps):
        t = T0 + i / attitude_hz
        if i % attitude_hz == 0:
            records.append((t, pack(heartbeat(), sysid, seq=seq)))
            seq += 1
        records.append((t + 0.001, pack(attitude(int(i * 1000 / attitude_hz), roll=i * 0.001), sysid, seq=seq)))
        seq += 1
    return records


@dataclass
class PymavlinkView:
    """What pymavlink itself reads from a tlog: counts and the last messages of the main vehicle."""

    good: int = 0
    bad: int = 0
    messages: list[Any] = field(default_factory=list)


def read_with_pymavlink(path: Path) -> PymavlinkView:
    view = PymavlinkView()
    conn = mavutil.mavlink_connection(str(path), robust_parsing=True)
    try:
        while (msg := conn.recv_msg()) is not None:
            if msg.get_type() == "BAD_DATA":
                view.bad += 1
            else:
                view.good += 1
                view.messages.append(msg)
    finally:
        conn.close()
    return view


def is_vehicle_heartbeat(msg: Any) -> bool:
    return bool(
        msg.get_type() == "HEARTBEAT"
        and msg.type != mavlink.MAV_TYPE_GCS
        and msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID
    )


def last_before(view: PymavlinkView, sysid: int, until_s: float | None = None) -> dict[str, Any]:
    """The last message of each type from ``sysid`` (vehicle heartbeats only) before ``until_s``."""
    last: dict[str, Any] = {}
    for msg in view.messages:
        if until_s is not None and msg._timestamp >= until_s:
            break
        if msg.get_srcSystem() != sysid:
            continue
        kind = msg.get_type()
        if kind == "HEARTBEAT" and not is_vehicle_heartbeat(msg):
            continue
        last[kind] = msg
    return last


BRIDGED_GAP_S = 600.0  # the README's rule: a step back, or forward by more than this, is bridged


def tlog_records(path: Path) -> list[tuple[int, bytes]]:
    """(stamp µs, raw record bytes) of every whole record, walked by the frame lengths (a clean file only;
    an incomplete last record, as the 2015 flight has, is left out)."""
    data = path.read_bytes()
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 8 < len(data):
        magic = data[pos + 8]
        if magic == 0xFE:
            length = data[pos + 9] + 8
        elif magic == 0xFD:
            length = data[pos + 9] + 12 + (13 if data[pos + 10] & 1 else 0)
        else:
            raise ValueError(f"{path.name}: no frame at byte {pos + 8}")
        if pos + 8 + length > len(data):
            break
        (stamp,) = struct.unpack_from(">Q", data, pos)
        out.append((stamp, data[pos : pos + 8 + length]))
        pos += 8 + length
    return out


def reorder_tlog(src: Path, dst: Path, split_s: float) -> Path:
    """The real log ``src`` with its part from ``split_s`` on moved in front: its clock jumps back once."""
    records = tlog_records(src)
    cut = records[0][0] + int(split_s * 1e6)
    head = [r for _t, r in records if _t < cut]
    tail = [r for _t, r in records if _t >= cut]
    dst.write_bytes(b"".join(tail + head))
    return dst


def log_clock(view: PymavlinkView) -> list[float]:
    """The monotonic log clock of pymavlink's messages in record order (jumps bridged), from 0."""
    clock: list[float] = []
    now = 0.0
    last: float | None = None
    for msg in view.messages:
        stamp = msg._timestamp
        if last is not None and 0 <= stamp - last <= BRIDGED_GAP_S:
            now += stamp - last
        last = stamp
        clock.append(now)
    return clock


def last_before_clock(view: PymavlinkView, clock: list[float], sysid: int, until_s: float) -> dict[str, Any]:
    """Like ``last_before``, with ``until_s`` on the log clock (seconds from the start)."""
    last: dict[str, Any] = {}
    for msg, t in zip(view.messages, clock, strict=True):
        if t >= until_s:
            break
        if msg.get_srcSystem() != sysid:
            continue
        kind = msg.get_type()
        if kind == "HEARTBEAT" and not is_vehicle_heartbeat(msg):
            continue
        last[kind] = msg
    return last

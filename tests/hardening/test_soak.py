"""Soak: stream clients connecting and dropping in a loop while the simulator flies, against the
whole program (``python -m gcs --demo --headless``) as a subprocess.

Each cycle opens ``KESTREL_SOAK_CLIENTS`` clients at once (SSE telemetry, WebSocket telemetry and
every tenth a WebSocket video viewer), waits until each has real data, then drops them all, a
third by cutting the TCP connection without a goodbye. CI runs 60 cycles x 50 clients; the long
soak is ``KESTREL_SOAK_CYCLES=200 KESTREL_SOAK_CLIENTS=500 pytest tests/hardening/test_soak.py -s``.

What must hold, as a user would notice it:
- the program's open file descriptors return to the baseline (within ``FD_SLACK``) and its RSS
  to within ``RSS_SLACK_MB`` (or ``RSS_SLACK_FRACTION``) of it, measured after two warm-up cycles;
- an observer connected throughout keeps receiving telemetry; the link thread never went
  ``MAX_GAP_S`` without a heartbeat (from the tlog's own receive stamps); the vehicle link is
  never reported lost (neither on the stream nor in the flight session's events); the
  vehicle stays at its takeoff altitude, and it still obeys a command afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gcs.core.logs.tlog import STAMP, STAMP_LEN, frame_header, frame_length
from tests.conftest import wait_until
from tests.hardening.conftest import free_port, open_fds, rss_mb
from tests.hardening.soak_clients import CycleResult, Observer, run_cycle

pytestmark = pytest.mark.slow

CYCLES = int(os.environ.get("KESTREL_SOAK_CYCLES", "60"))
CLIENTS = int(os.environ.get("KESTREL_SOAK_CLIENTS", "50"))
WARMUP_CYCLES = 2
FD_SLACK = 4  # e.g. a log file rotated or a SQLite WAL opened meanwhile; a leak grows per cycle
RSS_SLACK_MB = 40.0
RSS_SLACK_FRACTION = 0.15
MAX_GAP_S = 3.0  # the watchdog's own limit (link.watchdog_timeout_s)
TAKEOFF_M = 15.0


def _settle(pid: int, limit: int, timeout_s: float = 30.0) -> int:
    """Closed sockets leave the process a moment after the client: wait for the count to come down."""
    deadline = time.monotonic() + timeout_s
    count = open_fds(pid)
    while count > limit and time.monotonic() < deadline:
        time.sleep(0.5)
        count = open_fds(pid)
    return count


def vehicle_frame_gaps(tlog: Path, since_s: float, until_s: float) -> tuple[float, float]:
    """Longest gaps (any frame, HEARTBEAT) between frames from the vehicle as the link thread
    stamped them in the tlog: a starved core shows here, whatever the API clients saw."""
    data = tlog.read_bytes()
    pos, times, beats = 0, [], []
    while pos + STAMP_LEN < len(data):
        length = frame_length(data, pos + STAMP_LEN)
        if length is None:
            break
        t = STAMP.unpack_from(data, pos)[0] / 1e6
        header = frame_header(data[pos + STAMP_LEN : pos + STAMP_LEN + length])
        pos += STAMP_LEN + length
        if header is None or header.system_id != 1 or not since_s <= t <= until_s:
            continue
        times.append(t)
        if header.msg_id == 0:
            beats.append(t)
    assert len(beats) >= (until_s - since_s) / 2, f"{len(beats)} heartbeats in {until_s - since_s:.0f} s of tlog"
    gap = max(b - a for a, b in itertools.pairwise(times))
    beat_gap = max(b - a for a, b in itertools.pairwise([since_s, *beats, until_s]))
    return gap, beat_gap


def _fly(program: Any) -> None:
    with program.client("operator") as c:
        wait_until(lambda: c.post("/api/vehicle/arm", json={}).status_code == 200, 60, "arm accepted (GPS fix)", 1.0)
        r = c.post("/api/vehicle/takeoff", json={"altitude_m": TAKEOFF_M})
        assert r.status_code == 200, r.text

        def airborne() -> bool:
            alt = c.get("/api/telemetry").json()["global_position"]["alt_rel_m"]
            return bool(alt > TAKEOFF_M - 2)

        wait_until(airborne, 90, f"the simulator climbed to ~{TAKEOFF_M} m", 0.5)


def test_stream_clients_come_and_go_without_leaks_or_harm_to_the_flight(run_program) -> None:
    config = f"api:\n  rate_limit_per_minute: 100000\nlink:\n  demo_port: {free_port()}\n"
    program = run_program(config_text=config)
    pid = program.proc.pid
    _fly(program)
    token = program.token("viewer")
    results: list[CycleResult] = []
    samples: list[tuple[int, int, float]] = []  # cycle, fds, rss
    baseline: dict[str, float] = {}

    observer = Observer()
    watching, stop = observer.start(f"{program.ws_url}/ws/telemetry?token={token}&rate=10")

    async def soak() -> None:
        for cycle in range(WARMUP_CYCLES + CYCLES):
            if cycle == WARMUP_CYCLES:
                await asyncio.sleep(2.0)
                baseline["fds"], baseline["rss"] = open_fds(pid), rss_mb(pid)
            results.append(await run_cycle(program.url, token, CLIENTS, cycle))
            samples.append((cycle, open_fds(pid), rss_mb(pid)))
            assert program.proc.poll() is None, f"gcs died during the soak:\n{program.log()[-3000:]}"

    started, started_unix = time.monotonic(), time.time()
    asyncio.run(soak())
    soak_s, ended_unix = time.monotonic() - started, time.time()
    stop.set()
    watching.join(timeout=10)
    time.sleep(1.0)  # the tlog is flushed twice a second
    (tlog,) = (program.data_dir / "tlogs").glob("*.tlog")
    frame_gap, beat_gap = vehicle_frame_gaps(tlog, started_unix, ended_unix)

    total = (WARMUP_CYCLES + CYCLES) * CLIENTS
    ok = sum(sum(r.ok.values()) for r in results)
    refused = sum(sum(r.refused.values()) for r in results)
    kinds = sum((r.ok for r in results), Counter())
    errors = [e for r in results for e in r.errors]
    fds_end = _settle(pid, int(baseline["fds"]) + FD_SLACK)
    time.sleep(1.0)
    rss_end = rss_mb(pid)
    peak_fds = max(s[1] for s in samples)
    peak_rss = max(s[2] for s in samples)
    print(
        f"\nsoak: {CYCLES} cycles x {CLIENTS} clients in {soak_s:.0f} s ({ok} served {dict(kinds)}, {refused} refused, "
        f"{len(errors)} errors); fds baseline {baseline['fds']:.0f} peak {peak_fds} end {fds_end}; "
        f"RSS baseline {baseline['rss']:.0f} MB peak {peak_rss:.0f} end {rss_end:.0f} MB; observer "
        f"{observer.telemetry} telemetry, longest arrival gap {observer.longest_arrival_gap_s:.2f} s, "
        f"{observer.dropped} dropped; core: longest silence in the tlog {frame_gap:.2f} s, between heartbeats "
        f"{beat_gap:.2f} s; load {os.getloadavg()[0]:.1f}"
    )

    assert not errors, f"{len(errors)} clients failed, e.g. {errors[:5]}"
    assert ok + refused == total, (ok, refused)
    assert ok >= 0.9 * total, f"only {ok} of {total} clients served"
    assert fds_end <= baseline["fds"] + FD_SLACK, f"file descriptors leak: {baseline['fds']} -> {fds_end}"
    rss_limit = baseline["rss"] + max(RSS_SLACK_MB, RSS_SLACK_FRACTION * baseline["rss"])
    assert rss_end <= rss_limit, f"memory grows: RSS {baseline['rss']:.0f} -> {rss_end:.0f} MB (limit {rss_limit:.0f})"

    assert observer.error is None, observer.error
    assert observer.telemetry >= 2 * soak_s, f"telemetry starved: {observer.telemetry} messages in {soak_s:.0f} s"
    assert beat_gap < MAX_GAP_S, f"the link thread heard no heartbeat for {beat_gap:.1f} s"
    assert not [e for e in observer.link_events if e.get("state") == "lost"], observer.link_events
    assert observer.last_alt_m is not None and abs(observer.last_alt_m - TAKEOFF_M) < 3.0, observer.last_alt_m
    with program.client("operator") as c:
        sessions = c.get("/api/sessions").json()["sessions"]
        events = c.get(f"/api/sessions/{sessions[0]['id']}").json()["events"]
        assert not [e for e in events if e["kind"] == "link_lost"], events
        assert c.post("/api/vehicle/land", json={}).status_code == 200  # still obeys

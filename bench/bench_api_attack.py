"""The API attacked: does the core still keep its rhythm, and does a good client still get its data?

The server is the real program core in this process: GcsService flying the built-in simulator over
UDP in offboard (the commander streaming setpoints at 20 Hz), uvicorn on its own thread with the
default ``ApiSettings`` (the limits a user gets). Two windows of the same length, in the same run:

1. unattacked: one good telemetry WebSocket client (20 Hz, its own process);
2. attacked: the same good client while ``tests/hardening/hostile_clients.py`` runs in another
   process: N attackers sending 100 MB bodies (declared and chunked), N trickling a body and a head
   a byte a second, N idle sockets, and 300 telemetry WebSockets that never read.

Figures, attacked vs unattacked: the worst gap between vehicle heartbeats the link received (read
from ``VehicleState.last_heartbeat_s``, the receipt wall time), the worst gap between setpoints the
simulator received (its own receipt log), the good client's telemetry rate and its p99 latency
(publish on the bus -> received). Goal (issue 15): gaps within 1.5x, the good client's rate >= 95%.
Prints figures only.

    .venv/bin/python bench/bench_api_attack.py [--seconds 10] [--attackers 4] [--ws 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit, machine, percentile, row  # noqa: E402

# ---- the good client (its own process) -------------------------------------------------------


async def _good_client(url: str, seconds: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    received, latency = 0, []
    stop_at = time.time() + seconds
    async with connect(url, max_queue=None, ping_interval=None, open_timeout=30) as ws:
        while time.time() < stop_at:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.01, stop_at - time.time()))
            except TimeoutError:
                break
            if isinstance(raw, str) and raw.startswith('{"type":"telemetry"'):
                message = json.loads(raw)
                latency.append(time.time() - float(message["time"]))
                received += 1
    return {"received": received, "latency": latency}


def _good_client_main(url: str, seconds: float, queue: Any) -> None:
    try:
        queue.put(asyncio.run(_good_client(url, seconds)))
    except Exception as exc:  # noqa: BLE001 - the parent reports it as a figure
        queue.put({"received": 0, "latency": [], "error": repr(exc)})


# ---- what the core sees (this process) -------------------------------------------------------


class CoreWatch:
    """Heartbeat receipt times (polled from the vehicle state) and link events, on one thread."""

    def __init__(self, service: Any) -> None:
        self._service = service
        self.heartbeats: list[float] = []
        self.lost: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-core-watch", daemon=True)
        service.fleet.add_link_listener(self._on_link)

    def _on_link(self, sysid: int, state: Any, reason: str) -> None:
        if getattr(state, "name", "") == "LOST":
            self.lost.append(f"{sysid}: {reason}")

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            seen = self._service.vehicle_state().last_heartbeat_s
            if seen is not None and (not self.heartbeats or seen != self.heartbeats[-1]):
                self.heartbeats.append(seen)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def worst_gap(times: list[float], start: float, end: float) -> float:
    """The longest interval between consecutive ``times`` inside [start, end] (s)."""
    inside = sorted(t for t in times if start <= t <= end)
    return max((b - a for a, b in itertools.pairwise(inside)), default=float("nan"))


def window(
    service: Any, sim: Any, watch: CoreWatch, url: str, token: str, seconds: float, attack: list[str] | None
) -> dict[str, Any]:
    """One measured window: the good client, and the attackers when ``attack`` names their args."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    ws_url = "ws" + url.removeprefix("http") + f"/ws/telemetry?token={token}&rate=20&history=0"
    attacker = None
    if attack is not None:
        cmd = [sys.executable, "-m", "tests.hardening.hostile_clients", url, "--seconds", str(seconds + 2), *attack]
        attacker = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)  # the attack is in full swing before the window opens
    client = ctx.Process(target=_good_client_main, args=(ws_url, seconds, queue))
    start_clock, start_wall = time.monotonic(), time.time()
    client.start()
    good = queue.get(timeout=seconds + 60)
    client.join(timeout=30)
    end_clock, end_wall = time.monotonic(), time.time()
    attacked: dict[str, Any] = {}
    if attacker is not None:
        out, err = attacker.communicate(timeout=seconds + 120)
        lines = out.strip().splitlines()
        attacked = json.loads(lines[-1]) if lines else {"error": err[-500:]}
    setpoints = [s.time_s for s in sim.received_setpoints()]
    lat_ms = [x * 1000.0 for x in good["latency"]]
    return {
        "heartbeat_gap_s": worst_gap(watch.heartbeats, start_wall, end_wall),  # receipt stamps: wall time
        "setpoint_gap_s": worst_gap(setpoints, start_clock, end_clock),  # the sim's clock: monotonic
        "setpoints_per_s": sum(1 for t in setpoints if start_clock <= t <= end_clock) / (end_clock - start_clock),
        "good_rate_hz": good["received"] / seconds,
        "good_p99_ms": percentile(lat_ms, 0.99),
        "good_error": good.get("error"),
        "attack": {k: v.get("statuses") for k, v in attacked.items() if isinstance(v, dict)},
        "link_lost": list(watch.lost),
        "engaged": service.commander_status().engaged,
    }


def fly(service: Any) -> Any:
    """Start the simulator, arm, take off to 5 m and stream offboard setpoints (the commander)."""
    sim = service.start_demo("px4", port=0)
    service.wait_for_vehicle(15)
    deadline = time.monotonic() + 20
    while not service.vehicle_state().gps.has_fix:
        if time.monotonic() > deadline:
            raise SystemExit("the simulator never got a GPS fix")
        time.sleep(0.1)
    service.arm()
    service.takeoff(5.0)
    while service.vehicle_state().global_position.alt_rel_m < 4.0:
        if time.monotonic() > deadline + 20:
            raise SystemExit("the simulator did not climb")
        time.sleep(0.1)
    service.start_offboard()
    return sim


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each window")
    parser.add_argument("--attackers", type=int, default=4, help="of each kind: big bodies, slow bodies/heads, idle")
    parser.add_argument("--ws", type=int, default=300, help="WebSockets that never read")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from embedded_api import ApiServer, create_app
    from embedded_api.auth import Role, TokenAuthority
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    store = ConfigStore(Path(tempfile.mkdtemp(prefix="kestrel-bench-attack-")) / "config.yaml")
    store.load()
    store.set("video", "enabled", False, source="bench")
    service = GcsService(store)
    service.start()
    server = None
    try:
        sim = fly(service)
        authority = TokenAuthority("bench-secret-" + "x" * 40)
        app = create_app(service, authority)
        server = ApiServer(app, port=0)
        server.start()
        token = authority.create(Role.VIEWER, ttl_hours=1)
        watch = CoreWatch(service)
        watch.start()
        calm = window(service, sim, watch, server.url, token, args.seconds, None)
        n = str(args.attackers)
        hostile = ["--big", n, "--slow", n, "--idle", str(args.attackers * 10), "--ws", str(args.ws), "--token", token]
        attacked = window(service, sim, watch, server.url, token, args.seconds, hostile)
        watch.stop()
    finally:
        if server is not None:
            server.stop()
        service.close()

    def ratio(key: str) -> float | None:
        a, b = attacked[key], calm[key]
        return a / b if b else None

    figures: dict[str, Any] = {
        "machine": machine(),
        "attackers": {"big_bodies": args.attackers * 2, "slow": args.attackers * 2, "idle": args.attackers * 10,
                      "non_reading_ws": args.ws},
        "unattacked": calm,
        "attacked": attacked,
        "headline": [
            row("worst heartbeat gap attacked", attacked["heartbeat_gap_s"], "s", baseline="unattacked",
                baseline_value=calm["heartbeat_gap_s"]),
            row("worst setpoint gap attacked", attacked["setpoint_gap_s"], "s", baseline="unattacked",
                baseline_value=calm["setpoint_gap_s"]),
            row("good client's telemetry rate attacked", attacked["good_rate_hz"], "Hz", baseline="unattacked",
                baseline_value=calm["good_rate_hz"]),
            row("good client's p99 latency attacked", attacked["good_p99_ms"], "ms", baseline="unattacked",
                baseline_value=calm["good_p99_ms"], ratio=ratio("good_p99_ms")),
        ],
    }
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

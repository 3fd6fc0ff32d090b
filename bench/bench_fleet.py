"""Fleet fan-out: N relays x M WebSocket viewers fed by 4 vehicles through a Mosquitto, vs one relay for all.

Everything is real and in its own process: the broker (Debian's Mosquitto on a loopback port), the
feeders (``--feed``: two GcsServices, each flying two built-in simulators, publishing protobuf states
at ``--rate`` Hz per vehicle), N relays (``python -m gcs relay``), and viewer processes (websockets,
asyncio) reading ``/ws/telemetry``. A relay stamps each relayed state's ``last_update_s`` with its
publisher's clock, so a viewer's receive time minus it is publish -> broker -> relay -> viewer (the
broker hop on loopback is well under a millisecond of it). Phase 1: N relays, M viewers each.
Phase 2, same run, same feeders: relay 0 alone serves all N x M viewers. CPU per relay from
/proc (psutil) over each window. Prints figures only.

    .venv/bin/python bench/bench_fleet.py [--relays 2] [--viewers 200] [--seconds 15] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit, free_port, machine, percentile, row  # noqa: E402

SECRET = "bench-fleet-secret-" + "b" * 40


# ---- feeders: 4 simulated vehicles on 2 GCS ------------------------------------------------------


def feed(url: str, rate: float, home: Path) -> None:
    """Run until killed: two GCS, two simulators each (system ids 1-4), publishing to ``url``."""
    from tests.integration.mqtt_support import fleet_gcs

    os.environ["KESTREL_DATA_DIR"] = str(home / "data")
    services = []
    for i, gcs in enumerate(("alpha", "bravo")):
        service = fleet_gcs(home / gcs, url, gcs, "px4", 1 + 2 * i, fleet__mqtt_rate_hz=rate)
        service.start_demo("px4", port=0, system_id=2 + 2 * i)
        services.append(service)
    for service in services:
        for sysid in service.vehicle_ids():
            service.wait_for_vehicle(15, sysid)
        service.arm()
        service.takeoff(10.0)
    while True:
        time.sleep(1)


# ---- viewers -------------------------------------------------------------------------------------


def _age(text: str) -> float | None:
    start = text.find('"last_update_s":')
    if start < 0:
        return None
    start += 16
    end = start
    while end < len(text) and text[end] not in ",}":
        end += 1
    return time.time() - float(text[start:end])


async def _viewer(url: str, warm_until: float, stop_at: float, out: dict[str, Any]) -> None:
    from websockets.asyncio.client import connect

    try:
        async with connect(url, max_queue=None, ping_interval=None, open_timeout=60) as ws:
            out["connected"] += 1
            received = 0
            while True:
                left = stop_at - time.time()
                if left <= 0:
                    break
                try:
                    raw = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
                now = time.time()
                if now < warm_until or not isinstance(raw, str) or not raw.startswith('{"type":"telemetry"'):
                    continue
                age = _age(raw)
                if age is not None:
                    out["latency"].append(age)
                received += 1
            out["per_viewer"].append(received)
    except Exception as exc:  # noqa: BLE001 - a bench counts every kind of failed viewer
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])


def _viewers_main(urls: list[str], warm_s: float, seconds: float, queue: Any) -> None:
    out: dict[str, Any] = {"connected": 0, "latency": [], "per_viewer": [], "errors": []}
    start = time.time()

    async def run() -> None:
        await asyncio.gather(*(_viewer(u, start + warm_s, start + warm_s + seconds, out) for u in urls))

    asyncio.run(run())
    queue.put(out)


def measure(urls: list[str], relays: list[subprocess.Popen[bytes]], warm_s: float, seconds: float,
            procs: int = 2) -> dict[str, Any]:  # fmt: skip
    """Connect every viewer (split over ``procs`` processes), then read for ``seconds`` after ``warm_s``."""
    import psutil

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_viewers_main, args=(urls[i::procs], warm_s, seconds, queue)) for i in range(procs)]
    for w in workers:
        w.start()
    ps = [psutil.Process(r.pid) for r in relays]
    time.sleep(warm_s)
    cpu0 = [p.cpu_times() for p in ps]
    t0 = time.perf_counter()
    time.sleep(seconds)
    dt = time.perf_counter() - t0
    cpu1 = [p.cpu_times() for p in ps]
    results = [queue.get(timeout=seconds + warm_s + 120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    per_viewer = [n for r in results for n in r["per_viewer"]]
    latency_ms = [x * 1000 for r in results for x in r["latency"]]
    return {
        "viewers": len(urls),
        "connected": sum(r["connected"] for r in results),
        "errors": sum(len(r["errors"]) for r in results),
        "first_errors": [e for r in results for e in r["errors"]][:3],
        "rate_per_viewer_hz": sum(per_viewer) / seconds / max(1, len(per_viewer)),
        "rate_min_viewer_hz": min(per_viewer) / seconds if per_viewer else 0.0,
        "p50_ms": percentile(latency_ms, 0.5),
        "p99_ms": percentile(latency_ms, 0.99),
        "cpu_pct_per_relay": [round(100 * ((b.user + b.system) - (a.user + a.system)) / dt, 1)
                              for a, b in zip(cpu0, cpu1, strict=True)],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--viewers", type=int, default=200, help="WebSocket viewers per relay (issue: 500)")
    parser.add_argument("--rate", type=float, default=10.0, help="states per second per vehicle")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--feed", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.feed:
        feed(args.feed, args.rate, args.home)
        return 0

    import httpx

    from gcs.core.tokens import Role, TokenAuthority
    from tests.integration.mqtt_support import Broker

    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "KESTREL_API_SECRET": SECRET, "PYTHONPATH": str(ROOT), "HOME": str(home)}
        broker = Broker(home)
        broker.start()
        try:
            started.append(subprocess.Popen([sys.executable, __file__, "--feed", broker.url, "--rate", str(args.rate),
                                             "--home", str(home / "feed")], env=env, cwd=ROOT,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
            relays, urls = [], []
            for i in range(args.relays):
                port = free_port()
                renv = {**env, "KESTREL_CONFIG_DIR": str(home / f"relay{i}"), "KESTREL_DATA_DIR": str(home / f"rd{i}")}
                relay = subprocess.Popen([sys.executable, "-m", "gcs", "relay", "--mqtt", broker.url, "--api-port",
                                          str(port), "--log-level", "WARNING"], env=renv, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
                started.append(relay)
                relays.append(relay)
                urls.append(f"http://127.0.0.1:{port}")
            token = TokenAuthority(SECRET).create(Role.VIEWER, ttl_hours=2)
            auth = {"Authorization": f"Bearer {token}"}
            deadline = time.monotonic() + 120
            for url in urls:
                while True:
                    try:
                        lines = httpx.get(f"{url}/api/vehicles", headers=auth, timeout=2).json()["vehicles"]
                        if len(lines) == 4 and all(v["link"] == "ok" for v in lines):
                            break
                    except (httpx.HTTPError, KeyError, ValueError):
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{url} never listed the 4 vehicles")
                    time.sleep(0.5)
            # one token per viewer, as distinct viewers have: the API's rate limit keeps a bucket per
            # token, and 1,000 connects on one token would be refused (429) as one client's burst
            total = args.relays * args.viewers
            tokens = [TokenAuthority(SECRET).create(Role.VIEWER, subject=f"viewer-{i}", ttl_hours=2)
                      for i in range(total)]  # fmt: skip

            def ws(url: str, i: int) -> str:
                return url.replace("http", "ws", 1) + f"/ws/telemetry?token={tokens[i]}&rate=50"

            spread = measure([ws(urls[i % args.relays], i) for i in range(total)], relays, args.warmup, args.seconds)
            single = measure([ws(urls[0], i) for i in range(total)], relays[:1], args.warmup, args.seconds)
        finally:
            for proc in started:
                proc.terminate()
            for proc in started:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            broker.stop()
    figures: dict[str, Any] = {
        "machine": machine(),
        "setup": {"vehicles": 4, "gcs": 2, "state_rate_hz": args.rate, "relays": args.relays,
                  "viewers_per_relay": args.viewers, "seconds": args.seconds},
        f"{args.relays}_relays": spread,
        "1_relay_all_viewers": single,
        "headline": [
            row(f"telemetry per viewer, {args.relays} relays x {args.viewers}", spread["rate_per_viewer_hz"], "Hz",
                baseline=f"1 relay x {total}", baseline_value=single["rate_per_viewer_hz"]),
            row(f"publish->viewer p99, {args.relays} relays x {args.viewers}", spread["p99_ms"], "ms",
                baseline=f"1 relay x {total}", baseline_value=single["p99_ms"]),
            row("CPU per relay", max(spread["cpu_pct_per_relay"]), "% of a core",
                baseline=f"1 relay x {total}", baseline_value=single["cpu_pct_per_relay"][0]),
        ],
    }
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

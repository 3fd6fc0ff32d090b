"""MJPEG fan-out through the real API: 1, 10 and 50 ``GET /video_feed`` clients, fps each and the
server's CPU as a ratio to one client.

(``bench_video_fanout.py`` measures the core's encode-once fan-out with in-process consumer
threads; this one goes through everything a browser meets: uvicorn, the video pump, the hub,
multipart framing and TCP.) The server is the real program in this process (GcsService with the
virtual camera at 640x480, 30 fps, and the API on loopback); the clients are asyncio sockets in
another process, so their reading does not share this process's GIL or CPU accounting. Each
round: connect N clients, let them settle, then count each client's frames and this process's
CPU time over the same window. A round with no client gives the cost of the camera itself.
Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MARKER = b"--kestrelframe"


# ---- client process --------------------------------------------------------------------------


async def _reader(host: str, port: int, path: str, warm_until: float, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    await writer.drain()
    tail, index = b"", len(counts)
    counts.append(0)
    try:
        while (now := time.time()) < stop_at:
            chunk = await reader.read(262144)
            if not chunk:
                break
            if now >= warm_until:
                counts[index] += (tail + chunk).count(MARKER)
            tail = chunk[-len(MARKER) :]
    finally:
        writer.close()


async def _clients(args: dict[str, Any]) -> dict[str, Any]:
    counts: list[int] = []
    start = time.time()
    warm_until = start + args["warmup_s"]
    stop_at = warm_until + args["seconds"]
    path = f"/video_feed?token={args['token']}"
    tasks = [
        asyncio.create_task(_reader(args["host"], args["port"], path, warm_until, stop_at, counts))
        for _ in range(args["clients"])
    ]
    cpu0 = time.process_time()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(e) for e in done if isinstance(e, BaseException)]
    return {"counts": counts, "errors": errors[:3], "client_cpu_s": time.process_time() - cpu0}


def _client_main(args: dict[str, Any], queue: Any) -> None:
    queue.put(asyncio.run(_clients(args)))


# ---- server (this process) -------------------------------------------------------------------


def _round(server: Any, token: str, clients: int, seconds: float, warmup: float, channel: Any) -> dict[str, Any]:
    host, port = server.url.removeprefix("http://").split(":")
    if clients == 0:
        time.sleep(warmup)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        return {"clients": 0, "server_cpu_pct": 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)}
    args = {"host": host, "port": int(port), "token": token, "clients": clients, "seconds": seconds,
            "warmup_s": warmup}
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_client_main, args=(args, queue))
    proc.start()
    time.sleep(1.0 + warmup)  # the client process starts (spawn: ~1 s), connects and settles
    stats0 = channel().stats() if channel() is not None else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds - 1.0)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    stats1 = channel().stats()
    outcome = queue.get(timeout=120)
    proc.join(timeout=30)
    fps = [c / seconds for c in outcome["counts"]]
    return {
        "clients": clients,
        "fps_per_client_median": round(statistics.median(fps), 1) if fps else 0.0,
        "fps_per_client_min": round(min(fps), 1) if fps else 0.0,
        "server_cpu_pct": 100 * (cpu1 - cpu0) / (wall1 - wall0),
        "server_mbytes_per_s": round((stats1["bytes_sent"] - (stats0 or {"bytes_sent": 0})["bytes_sent"])
                                     / (wall1 - wall0) / 1e6, 2),
        "dropped": stats1["messages_dropped"] - (stats0 or {"messages_dropped": 0})["messages_dropped"],
        "client_errors": outcome["errors"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", default="1,10,50", help="clients per round")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured time per round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import Role, TokenAuthority
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    folder = Path(tempfile.mkdtemp(prefix="kestrel-bench-"))
    os.environ.setdefault("KESTREL_DATA_DIR", str(folder / "data"))
    store = ConfigStore(folder / "config.yaml")
    store.load()
    store.set("api", "rate_limit_per_minute", 100000, source="bench")
    store.set("video", "enabled", True, source="bench")
    service = GcsService(store)
    service.start()
    authority = TokenAuthority("bench-secret-" + "x" * 40)
    app = create_app(service, authority)
    server = ApiServer(app, port=0)
    server.start()
    token = authority.create(Role.VIEWER, ttl_hours=1)
    deadline = time.monotonic() + 15
    while service.latest_frame() is None and time.monotonic() < deadline:
        time.sleep(0.1)

    def channel() -> Any:
        pump = getattr(app.state, "video_pump", None)
        return pump.channel if pump is not None else None

    rounds = [_round(server, token, 0, args.seconds, args.warmup, channel)]
    for n in (int(x) for x in args.counts.split(",")):
        rounds.append(_round(server, token, n, args.seconds, args.warmup, channel))
        time.sleep(1.0)
    capture, encoder = service.video_stats()
    server.stop()
    service.close()

    idle = rounds[0]["server_cpu_pct"]
    one = next((r for r in rounds if r["clients"] == 1), rounds[1])
    for r in rounds:
        r["server_cpu_pct"] = round(r["server_cpu_pct"])
        if r["clients"]:
            r["cpu_ratio_to_one_client"] = round(r["server_cpu_pct"] / max(1.0, one["server_cpu_pct"]), 2)
            # what streaming costs above the camera itself (render + capture + one encode per frame)
            r["streaming_cpu_pct"] = round(r["server_cpu_pct"] - idle)
    figures = {
        "machine_load_1min": round(load_before, 2),
        "source": f"virtual camera {capture.width}x{capture.height}, {capture.fps:.1f} fps measured",
        "jpeg_quality": encoder.quality,
        "rounds": rounds,
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"machine load (1 min) before: {figures['machine_load_1min']}; {figures['source']}; "
          f"JPEG quality {encoder.quality}")
    print(f"{'clients':>8} {'fps each (median/min)':>22} {'server CPU %':>13} {'ratio to 1':>11} "
          f"{'MB/s out':>9} {'dropped':>8}")
    for r in rounds:
        if not r["clients"]:
            print(f"{0:>8} {'-':>22} {r['server_cpu_pct']:>13} {'-':>11} {'-':>9} {'-':>8}  (camera, no client)")
            continue
        fps = f"{r['fps_per_client_median']} / {r['fps_per_client_min']}"
        print(f"{r['clients']:>8} {fps:>22} {r['server_cpu_pct']:>13} {r['cpu_ratio_to_one_client']:>11} "
              f"{r['server_mbytes_per_s']:>9} {r['dropped']:>8}" + (f"  errors: {r['client_errors']}"
                                                                      if r["client_errors"] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

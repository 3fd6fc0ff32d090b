"""Telemetry fan-out: N WebSocket + M SSE clients at R Hz each, against the real server and simulator.

The server is the real thing in this process (GcsService flying the built-in simulator over UDP,
uvicorn on its own thread, the stream hub); the clients run in another process (websockets and
httpx, asyncio) so their parsing does not share this process's GIL. Each telemetry message
carries the wall time at which the core published it on the bus; clients subtract it from the
time they receive it: that is the bus-publish-to-client latency. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---- client process --------------------------------------------------------------------------


def _sent_time(text: str) -> float:
    """The "time" field of a hub message without parsing the whole JSON (clients must stay cheap)."""
    start = text.index('"time":') + 7
    return float(text[start : text.index(",", start)])


async def _ws_client(url: str, warm_until: float, stop_at: float, out: dict[str, Any]) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_queue=None, ping_interval=None, open_timeout=30) as ws:
        out["connected"] += 1
        async for raw in ws:
            now = time.time()
            if now >= stop_at:
                break
            if now < warm_until:
                continue
            if raw.startswith('{"type":"telemetry"'):
                out["latency"].append(now - _sent_time(raw))
                out["received"] += 1


async def _sse_client(client: Any, url: str, warm_until: float, stop_at: float, out: dict[str, Any]) -> None:
    async with client.stream("GET", url) as response:
        out["connected"] += 1
        event = ""
        async for line in response.aiter_lines():
            now = time.time()
            if now >= stop_at:
                break
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "telemetry" and now >= warm_until:
                out["latency"].append(now - _sent_time(line))
                out["received"] += 1


async def _clients(args: dict[str, Any]) -> dict[str, Any]:
    import httpx

    base, token = args["url"], args["token"]
    ws_url = "ws" + base.removeprefix("http") + f"/ws/telemetry?token={token}&rate={args['rate']}&history=0"
    sse_url = f"/sse/telemetry?token={token}&rate={args['rate']}&history=0"
    results = {kind: {"connected": 0, "received": 0, "latency": []} for kind in ("ws", "sse")}
    start = time.time()
    warm_until = start + args["connect_s"] + args["warmup_s"]
    stop_at = warm_until + args["seconds"]
    limits = httpx.Limits(max_connections=args["sse"] + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None), limits=limits) as http:
        tasks = []
        for i in range(max(args["ws"], args["sse"])):
            if i < args["ws"]:
                tasks.append(asyncio.create_task(_ws_client(ws_url, warm_until, stop_at, results["ws"])))
            if i < args["sse"]:
                tasks.append(asyncio.create_task(_sse_client(http, sse_url, warm_until, stop_at, results["sse"])))
            if i % 20 == 19:
                await asyncio.sleep(0.05)  # do not flood the listen backlog
        connected_after = time.time() - start
        await asyncio.sleep(max(0.0, warm_until - time.time()))
        cpu_start = time.process_time()
        await asyncio.sleep(max(0.0, stop_at - time.time()))
        cpu_used = time.process_time() - cpu_start
        done = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(e) for e in done if isinstance(e, BaseException)]
    return {
        "results": results,
        "errors": errors[:5],
        "error_count": len(errors),
        "connect_s": connected_after,
        "client_process_cpu_pct": round(100 * cpu_used / args["seconds"]),
    }


def _client_main(args: dict[str, Any], queue: Any) -> None:
    queue.put(asyncio.run(_clients(args)))


# ---- server (this process) -------------------------------------------------------------------


def _age_window(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Server share of the latency (bus publish -> socket write) within the measured window."""
    from embedded_api.stream.meters import AgeHistogram

    window = AgeHistogram()
    old, new = before["age_at_send"]["buckets_ms"], after["age_at_send"]["buckets_ms"]
    window.counts = [new[k] - old[k] for k in new]
    return {"p50_ms_at_most": window.percentile_ms(0.5), "p99_ms_at_most": window.percentile_ms(0.99)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ws", type=int, default=200, help="WebSocket clients")
    parser.add_argument("--sse", type=int, default=200, help="SSE clients")
    parser.add_argument("--rate", type=int, default=20, help="telemetry Hz asked by each client")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import Role, TokenAuthority
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    folder = Path(tempfile.mkdtemp(prefix="kestrel-bench-"))
    store = ConfigStore(folder / "config.yaml")
    store.load()
    store.set("api", "rate_limit_per_minute", 100000, source="bench")
    store.set("video", "enabled", False, source="bench")
    service = GcsService(store)
    service.start()
    service.start_demo("px4", port=0)
    service.wait_for_vehicle(10)
    authority = TokenAuthority("bench-secret-" + "x" * 40)
    app = create_app(service, authority)
    server = ApiServer(app, port=0)
    server.start()
    channel = app.state.runtime.telemetry
    client_args = {
        "url": server.url,
        "token": authority.create(Role.VIEWER, ttl_hours=1),
        "ws": args.ws,
        "sse": args.sse,
        "rate": args.rate,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "connect_s": 3.0,
    }
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_client_main, args=(client_args, queue))
    proc.start()
    time.sleep(client_args["connect_s"] + args.warmup)
    cpu0, wall0, stats0 = time.process_time(), time.perf_counter(), channel.stats()
    time.sleep(args.seconds)
    cpu1, wall1, stats1 = time.process_time(), time.perf_counter(), channel.stats()
    outcome = queue.get(timeout=120)
    proc.join(timeout=30)
    server.stop()
    service.close()

    figures: dict[str, Any] = {
        "machine_load_1min": round(load_before, 2),  # other work on the machine skews every figure
        "clients": {"ws": args.ws, "sse": args.sse, "rate_hz": args.rate},
        "connected": {k: v["connected"] for k, v in outcome["results"].items()},
        "client_errors": outcome["error_count"],
        "bus_states_per_s": round((stats1["events_published"] - stats0["events_published"]) / (wall1 - wall0)),
        "server_msgs_sent_per_s": round((stats1["messages_sent"] - stats0["messages_sent"]) / (wall1 - wall0)),
        "server_dropped": stats1["messages_dropped"] - stats0["messages_dropped"],
        "server_mbytes_per_s": round((stats1["bytes_sent"] - stats0["bytes_sent"]) / (wall1 - wall0) / 1e6, 2),
        "server_process_cpu_pct": round(100 * (cpu1 - cpu0) / (wall1 - wall0)),
        "server_age_at_write": _age_window(stats0, stats1),
        "client_process_cpu_pct": outcome["client_process_cpu_pct"],
    }
    for kind, res in outcome["results"].items():
        n = max(1, res["connected"])
        lat_ms = [x * 1000 for x in res["latency"]]
        figures[kind] = {
            "delivered_hz_per_client": round(res["received"] / args.seconds / n, 2),
            "delivered_msgs_per_s": round(res["received"] / args.seconds),
            "latency_p50_ms": round(_percentile(lat_ms, 0.50), 2),
            "latency_p99_ms": round(_percentile(lat_ms, 0.99), 2),
            "latency_max_ms": round(max(lat_ms), 2) if lat_ms else None,
        }
    if outcome["errors"]:
        figures["first_errors"] = outcome["errors"]
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:26s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

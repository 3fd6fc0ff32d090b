"""Telemetry latency from the bus to one client (WebSocket and SSE), against a bare push server.

What a remote operator sees: how old a telemetry message is when it reaches their browser, with
nobody else connected (bench_api_fanout measures hundreds of clients). The program is the real
one, ``gcs --demo --headless`` in its own process; each message carries the wall time at which
the core published it on the bus, the client subtracts it from the time it received it (same
machine, same clock). Baseline in the same run: a bare uvicorn/Starlette server in its own
process that pushes a message of the same size from a publisher thread at the same rate through
the same kind of thread -> loop hand-off: the floor any Python server here has.

    .venv/bin/python bench/bench_telemetry_latency.py [--seconds 10] [--rate 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import emit, free_port, gcs_command, load_average, percentile, program_env, row  # noqa: E402


def _sent_time(text: str) -> float:
    start = text.index('"time":') + 7
    end = min(i for i in (text.find(",", start), text.find("}", start)) if i >= 0)
    return float(text[start:end])


async def _ws(url: str, seconds: float, warmup: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    latencies, sizes = [], []
    async with connect(url, max_queue=None, ping_interval=None, open_timeout=30) as ws:
        warm_until = time.time() + warmup
        stop_at = warm_until + seconds
        async for raw in ws:
            now = time.time()
            if now >= stop_at:
                break
            if now >= warm_until and isinstance(raw, str) and raw.startswith('{"type":"telemetry"'):
                latencies.append(now - _sent_time(raw))
                sizes.append(len(raw))
    return {"latency_s": latencies, "bytes": sizes}


async def _sse(url: str, seconds: float, warmup: float) -> dict[str, Any]:
    latencies = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as client, client.stream("GET", url) as resp:
        warm_until = time.time() + warmup
        stop_at = warm_until + seconds
        event = ""
        async for line in resp.aiter_lines():
            now = time.time()
            if now >= stop_at:
                break
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "telemetry" and now >= warm_until:
                latencies.append(now - _sent_time(line))
    return {"latency_s": latencies}


async def _measure(ws_url: str, sse_url: str, seconds: float, warmup: float) -> dict[str, Any]:
    ws, sse = await asyncio.gather(_ws(ws_url, seconds, warmup), _sse(sse_url, seconds, warmup))
    return {"ws": ws, "sse": sse}


def _summary(res: dict[str, Any], seconds: float) -> dict[str, Any]:
    ms = [x * 1000.0 for x in res["latency_s"]]
    return {
        "messages": len(ms),
        "rate_hz": round(len(ms) / seconds, 1),
        "p50_ms": round(percentile(ms, 0.5), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2) if ms else None,
    }


# ---- the baseline: a bare push server ----------------------------------------------------------


def _bare_server(port: int, rate: float, size: int) -> None:
    """Starlette + uvicorn pushing {"type":"telemetry","time":...} from a thread at ``rate`` Hz."""
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route, WebSocketRoute

    queues: set[asyncio.Queue[str]] = set()
    loop_box: list[asyncio.AbstractEventLoop] = []
    pad = "x" * max(0, size - 60)

    def fan(text: str) -> None:
        for q in list(queues):
            q.put_nowait(text)

    def publisher() -> None:
        while True:
            time.sleep(1.0 / rate)
            text = f'{{"type":"telemetry","id":1,"time":{time.time()},"data":"{pad}"}}'
            if loop_box:
                loop_box[0].call_soon_threadsafe(fan, text)

    async def ws_endpoint(websocket: Any) -> None:
        await websocket.accept()
        loop_box[:] = [asyncio.get_running_loop()]
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.add(q)
        try:
            while True:
                await websocket.send_text(await q.get())
        except Exception:  # noqa: BLE001 - the client went away
            queues.discard(q)

    async def sse_endpoint(_request: Any) -> StreamingResponse:
        loop_box[:] = [asyncio.get_running_loop()]
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.add(q)

        async def body() -> Any:
            try:
                while True:
                    yield f"event: telemetry\ndata: {await q.get()}\n\n"
            finally:
                queues.discard(q)

        return StreamingResponse(body(), media_type="text/event-stream")

    app = Starlette(routes=[WebSocketRoute("/ws", ws_endpoint), Route("/sse", sse_endpoint)])
    threading.Thread(target=publisher, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def measure_bare(seconds: float, warmup: float, rate: float, size: int) -> dict[str, Any]:
    port = free_port()
    proc = mp.get_context("spawn").Process(target=_bare_server, args=(port, rate, size), daemon=True)
    proc.start()
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/nothing", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        res = asyncio.run(_measure(f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}/sse", seconds, warmup))
    finally:
        proc.terminate()
        proc.join(10)
    return {kind: _summary(r, seconds) for kind, r in res.items()}


# ---- the program -------------------------------------------------------------------------------


def measure_gcs(seconds: float, warmup: float, rate: int) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as home:
        env = program_env(Path(home))
        token_out = subprocess.run([*gcs_command(), "token", "create", "--role", "viewer"], env=env,
                                   capture_output=True, text=True, check=True, timeout=60)
        token = token_out.stdout.strip().splitlines()[-1]
        proc = subprocess.Popen([*gcs_command(), "--demo", "--headless", "--api-port", str(port),
                                 "--log-level", "WARNING"], env=env, cwd=home,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    if httpx.get(base + "/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            query = f"token={token}&rate={rate}&history=0"
            res = asyncio.run(_measure(f"ws://127.0.0.1:{port}/ws/telemetry?{query}",
                                       f"{base}/sse/telemetry?{query}", seconds, warmup))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    sizes = res["ws"].pop("bytes", [])
    out = {kind: _summary(r, seconds) for kind, r in res.items()}
    out["message_bytes"] = round(sum(sizes) / len(sizes)) if sizes else 0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per server")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=int, default=20, help="telemetry Hz asked by the client (1-50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    load = load_average()
    gcs = measure_gcs(args.seconds, args.warmup, args.rate)
    bare = measure_bare(args.seconds, args.warmup, args.rate, gcs["message_bytes"] or 1000)
    figures: dict[str, Any] = {"load_1min": load, "rate_asked_hz": args.rate, "gcs": gcs, "bare_push_server": bare}
    figures["headline"] = [
        row(f"telemetry bus->client, 1 {kind.upper()} client, p50 (p99 {gcs[kind]['p99_ms']} ms)",
            gcs[kind]["p50_ms"], "ms", baseline="bare uvicorn push p50", baseline_value=bare[kind]["p50_ms"])
        for kind in ("ws", "sse")
    ]
    figures["load_1min_after"] = load_average()
    emit(figures, args.json)
    ok = all(gcs[k]["messages"] > 0 for k in ("ws", "sse"))
    if not ok:
        print(json.dumps({"error": "no telemetry received"}), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

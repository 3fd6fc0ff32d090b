"""Run every bench/bench_*.py once and write bench/latest.json plus a short Markdown table.

    .venv/bin/python bench/run_all.py [NAME ...] [--timeout S]      (make bench)

Each bench runs in its own process with ``--json`` and prints one JSON object on its last line
(see bench/common.py). Its ``headline`` rows (a figure, the baseline measured in the same run,
the ratio) go into the table as they are; for benches that print no headline, a small adapter
below picks their main figures. A bench that does not take ``--json`` is run again without it
and its text is kept. The table starts with the machine it ran on and its load, because two
shared cores make every figure depend on what else runs. Figures only; nothing passes or fails
on a number, but a bench that crashes makes the exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import machine, row  # noqa: E402

Row = dict[str, Any]


@dataclass
class BenchResult:
    name: str
    returncode: int
    seconds: float
    figures: dict[str, Any] | None = None
    text: str = ""
    error: str = ""
    rows: list[Row] = field(default_factory=list)


# ---- adapters for benches that print figures without a headline ------------------------------


def _get(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _ingest(f: dict[str, Any]) -> list[Row]:
    return [row("MAVLink ingest (link+reducer+bus)", _get(f, "link_reducer_bus_msgs_per_s"), "msgs/s",
                baseline="raw pymavlink parse_buffer", baseline_value=_get(f, "raw_parse_msgs_per_s"))]


def _replay(f: dict[str, Any]) -> list[Row]:
    return [row("tlog replay, as fast as possible", _get(f, "speedup_x"), "x real time",
                baseline="real time", baseline_value=1.0)]


def _api_fanout(f: dict[str, Any]) -> list[Row]:
    rate = _get(f, "clients.rate_hz")
    rows = []
    for kind in ("ws", "sse"):
        n = _get(f, f"clients.{kind}")
        rows.append(row(f"telemetry fan-out {kind.upper()} x{n}: rate per client",
                        _get(f, f"{kind}.delivered_hz_per_client"), "Hz", baseline="rate asked", baseline_value=rate))
        rows.append(row(f"telemetry fan-out {kind.upper()} x{n}: bus->client p50 / p99",
                        _get(f, f"{kind}.latency_p50_ms"), f"ms (p99 {_get(f, f'{kind}.latency_p99_ms')})"))
    return rows


def _video_fanout(f: dict[str, Any]) -> list[Row]:
    rows_in = [r for r in (_get(f, "fanout") or []) if isinstance(r, dict)]
    one = next((r for r in rows_in if r.get("consumers") == 1), None)
    most = max(rows_in, key=lambda r: r.get("consumers", 0), default=None)
    if not most or not one:
        return []
    return [
        row(f"JPEG fan-out CPU, {most['consumers']} consumers", most.get("cpu_s_per_s"), "CPU s/s",
            baseline="1 consumer", baseline_value=one.get("cpu_s_per_s")),
        row(f"JPEG encodes/s, {most['consumers']} consumers", most.get("encodes_per_s"), "/s",
            baseline="frames captured/s", baseline_value=most.get("captured_per_s")),
    ]


def _mjpeg_fanout(f: dict[str, Any]) -> list[Row]:
    rounds = [r for r in (_get(f, "rounds") or []) if isinstance(r, dict) and r.get("clients")]
    one = next((r for r in rounds if r["clients"] == 1), None)
    most = max(rounds, key=lambda r: r["clients"], default=None)
    if not most or not one:
        return []
    n = most["clients"]
    return [
        row(f"MJPEG /video_feed, {n} clients: fps each (median)", most.get("fps_per_client_median"), "fps",
            baseline="1 client", baseline_value=one.get("fps_per_client_median")),
        row(f"MJPEG /video_feed, {n} clients: server CPU", most.get("server_cpu_pct"), "%",
            baseline="1 client", baseline_value=one.get("server_cpu_pct"), ratio=most.get("cpu_ratio_to_one_client")),
    ]


def _gui(f: dict[str, Any]) -> list[Row]:
    return [
        row("GUI worst event-loop stall (demo flight)", _get(f, "worst_stall_ms"), "ms",
            baseline="10 ms timer period", baseline_value=10.0),
        row("GUI frames shown/s", _get(f, "frames_shown_per_s"), "fps",
            baseline="frames captured/s", baseline_value=_get(f, "frames_captured_per_s")),
    ]


ADAPTERS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "bench_ingest": _ingest,
    "bench_replay": _replay,
    "bench_api_fanout": _api_fanout,
    "bench_video_fanout": _video_fanout,
    "bench_gui": _gui,
    "bench_mjpeg_fanout": _mjpeg_fanout,
}


CAMERA_FPS = 30.0  # the virtual camera's rate: what a per-frame step must keep up with


def _trackers_text(text: str) -> list[Row]:
    """bench_trackers' table: fps of each tracker on the 96 px click box."""
    found = re.findall(r"^(\S+)\s+click 96x96(?:\s+[\d.]+){4}\s+([\d.]+)\s+\d+\s*$", text, re.M)
    return [row(f"tracker fps, {name}, 96 px click box, 640x480", float(fps), "fps",
                baseline="camera rate", baseline_value=CAMERA_FPS) for name, fps in found]


def _detectors_text(text: str) -> list[Row]:
    """bench_detectors' table: fps of each backend / model / input (the last column)."""
    found = re.findall(r"^(\S.*?\S)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s*$", text, re.M)
    return [row(f"detector fps, {' '.join(label.split())}", float(fps), "fps", baseline="camera rate",
                baseline_value=CAMERA_FPS) for label, fps in found]


def _stream_json_text(text: str) -> list[Row]:
    """bench_stream_json: microseconds per telemetry event for each way of making the hub's JSON."""
    found = re.findall(r"^\s+(\S.*?)\s+([\d.]+) us/event", text, re.M)
    base = next((float(us) for name, us in found if name == "stdlib"), None)
    return [row(f"hub JSON per telemetry event, {name}", float(us), "us", baseline="stdlib json", baseline_value=base)
            for name, us in found if name != "stdlib"]


# benches that print a table and take no --json: their figures are read off the text
TEXT_ADAPTERS: dict[str, Callable[[str], list[Row]]] = {
    "bench_trackers": _trackers_text,
    "bench_detectors": _detectors_text,
    "bench_stream_json": _stream_json_text,
}


def headline_rows(name: str, figures: dict[str, Any]) -> list[Row]:
    """The table rows of one bench: its own headline, else its adapter, else its top-level numbers."""
    if isinstance(figures.get("headline"), list):
        return [r for r in figures["headline"] if isinstance(r, dict) and "figure" in r]
    if name in ADAPTERS:
        try:
            return ADAPTERS[name](figures)
        except (TypeError, ValueError, KeyError, ZeroDivisionError) as exc:
            return [row(f"(figures not understood: {exc})", None)]
    numbers = [(k, v) for k, v in figures.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return [row(k, float(v)) for k, v in numbers[:6]]


# ---- running ---------------------------------------------------------------------------------


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_bench(script: Path, timeout_s: float) -> BenchResult:
    """Run one bench with --json (without it if the bench refuses the option)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH_DIR.parent), env.get("PYTHONPATH", "")) if p)

    def call(args: list[str]) -> tuple[subprocess.CompletedProcess[str] | None, float, str]:
        started = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                                  cwd=BENCH_DIR.parent, env=env, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return None, time.perf_counter() - started, f"timed out after {timeout_s:.0f} s"
        return proc, time.perf_counter() - started, ""

    name = script.stem
    proc, took, error = call(["--json"])
    if proc is not None and proc.returncode == 2 and "unrecognized arguments: --json" in proc.stderr:
        proc, took, error = call([])  # a bench that prints a table only
    if proc is None:
        return BenchResult(name, -1, round(took, 1), error=error, rows=[row(f"(failed: {error})", None)])
    figures = _last_json(proc.stdout)
    result = BenchResult(name, proc.returncode, round(took, 1), figures=figures,
                         error=proc.stderr[-2000:] if proc.returncode else "")
    if proc.returncode != 0:
        result.text = proc.stdout[-4000:]
        result.rows = [row(f"(failed: exit {proc.returncode})", None)]
    elif figures is None:
        result.text = proc.stdout
        adapter = TEXT_ADAPTERS.get(name)
        result.rows = (adapter(proc.stdout) if adapter else []) or [
            row("(no --json: figures only in its text output)", None)
        ]
    else:
        result.rows = headline_rows(name, figures)
    return result


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def markdown(results: list[BenchResult], info: dict[str, Any]) -> str:
    """The short table: the machine first, then one line per figure with its same-run baseline."""
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['platform']}; "
        f"load average {_fmt(info.get('load_before'))} before, {_fmt(info.get('load_after'))} after; "
        f"{info['time_utc']}, commit {info.get('commit', 'unknown')}.",
        "",
        "| bench | figure | value | baseline (same run) | ratio |",
        "|---|---|---|---|---|",
    ]
    for res in results:
        for r in res.rows or [row("(no figures)", None)]:
            value = f"{_fmt(r.get('value'))} {r.get('unit') or ''}".strip()
            base = f"{r['baseline']}: {_fmt(r.get('baseline_value'))}" if r.get("baseline") else ""
            ratio = _fmt(r.get("ratio")) if r.get("ratio") is not None else ""
            lines.append(f"| {res.name.removeprefix('bench_')} | {r['figure']} | {value} | {base} | {ratio} |")
    return "\n".join(lines) + "\n"


def git_commit(folder: Path) -> str:
    """The checkout's commit (short), so a table can be traced to the code it measured."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these benches (e.g. bench_ingest or ingest)")
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR, help="where the bench_*.py are")
    parser.add_argument("--out", type=Path, default=None, help="folder for latest.json/latest.md (--bench-dir)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per bench before it is stopped")
    args = parser.parse_args(argv)
    wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in args.names}
    scripts = sorted(p for p in args.bench_dir.glob("bench_*.py") if not wanted or p.stem in wanted)
    if not scripts:
        print(f"no bench_*.py to run in {args.bench_dir}", file=sys.stderr)
        return 2
    info = machine()
    info["load_before"] = info.pop("load_1min")
    info["commit"] = git_commit(BENCH_DIR)
    results = []
    for script in scripts:
        print(f"== {script.stem} ...", end=" ", flush=True)
        res = run_bench(script, args.timeout)
        print(f"{res.seconds:.0f} s{'' if res.returncode == 0 else f'  FAILED: {res.error[-300:]}'}", flush=True)
        results.append(res)
    info["load_after"] = machine()["load_1min"]
    out = args.out or args.bench_dir
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(results, info)
    doc = {"machine": info, "benches": {r.name: {k: v for k, v in vars(r).items() if k != "name"} for r in results}}
    (out / "latest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "latest.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    print(f"wrote {out / 'latest.json'} and {out / 'latest.md'}")
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

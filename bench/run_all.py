"""Run every benchmark in bench/ and keep what each printed, with the machine it ran on.

Each bench prints its own figures (ratios against a baseline measured in the same run); this
runner only collects them into bench/results/latest.json and prints one summary. Tests never
assert on these numbers.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def main() -> int:
    only = set(sys.argv[1:])
    scripts = sorted(p for p in BENCH_DIR.glob("bench_*.py") if not only or p.stem in only)
    results: dict[str, object] = {"machine": machine(), "benches": {}}
    benches: dict[str, object] = {}
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=BENCH_DIR.parent, timeout=1800
        )
        took = time.perf_counter() - started
        print(proc.stdout.rstrip())
        if proc.returncode:
            print(proc.stderr.rstrip()[-2000:], file=sys.stderr)
        benches[script.stem] = {"returncode": proc.returncode, "seconds": round(took, 1), "output": proc.stdout}
    results["benches"] = benches
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0 if all(b["returncode"] == 0 for b in benches.values()) else 1  # type: ignore[index]


if __name__ == "__main__":
    raise SystemExit(main())

"""bench/run_all.py on a folder of fake benches: what lands in latest.json and the Markdown table.

Correctness of the runner only (which bench said what, baselines and ratios beside the figures,
text kept for benches without --json, failures reported); no timing is asserted.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from bench import run_all

HEADLINE_BENCH = """
import argparse, json, sys
sys.path.insert(0, {root!r})
from bench.common import emit, row
p = argparse.ArgumentParser(); p.add_argument("--json", action="store_true"); a = p.parse_args()
print("warming up...")
emit({{"speed": 40.0, "headline": [row("widgets per second", 40.0, "/s", baseline="raw widgets",
      baseline_value=80.0)]}}, a.json)
"""

ADAPTED_BENCH = """
import argparse, json
p = argparse.ArgumentParser(); p.add_argument("--json", action="store_true"); a = p.parse_args()
print(json.dumps({"link_reducer_bus_msgs_per_s": 50000, "raw_parse_msgs_per_s": 62500, "ratio": 0.8}))
"""

TEXT_ONLY_BENCH = """
import argparse
p = argparse.ArgumentParser(); p.add_argument("--frames", type=int, default=3); a = p.parse_args()
print("KCF  6.9 ms per update")
"""

TRACKERS_TEXT_BENCH = """
print("tracker     box           init ms  mean ms  p50 ms  p95 ms    fps failed")
print("KCF         cup 110x258       3.0      5.0     5.0     6.0  200.0      0")
print("KCF         click 96x96       2.0      6.0     6.0     7.0  150.0      0")
"""

CRASHING_BENCH = """
raise SystemExit("camera on fire")
"""


def _bench_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "benches"
    folder.mkdir()
    root = str(Path(run_all.__file__).resolve().parents[1])
    (folder / "bench_alpha.py").write_text(textwrap.dedent(HEADLINE_BENCH.format(root=root)), encoding="utf-8")
    (folder / "bench_ingest.py").write_text(textwrap.dedent(ADAPTED_BENCH), encoding="utf-8")
    (folder / "bench_text.py").write_text(textwrap.dedent(TEXT_ONLY_BENCH), encoding="utf-8")
    (folder / "bench_trackers.py").write_text(textwrap.dedent(TRACKERS_TEXT_BENCH), encoding="utf-8")
    (folder / "bench_zcrash.py").write_text(textwrap.dedent(CRASHING_BENCH), encoding="utf-8")
    (folder / "helper.py").write_text("raise SystemExit('not a bench: never run')\n", encoding="utf-8")
    return folder


def test_runner_collects_every_bench_with_baselines_and_failures(tmp_path: Path) -> None:
    folder = _bench_dir(tmp_path)
    out = tmp_path / "out"
    code = run_all.main(["--bench-dir", str(folder), "--out", str(out), "--timeout", "120"])
    assert code == 1, "a crashing bench must make the run fail"

    doc = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert set(doc["benches"]) == {"bench_alpha", "bench_ingest", "bench_text", "bench_trackers", "bench_zcrash"}
    machine = doc["machine"]
    assert machine["cores"] >= 1 and machine["python"].startswith("3.") and machine["cpu"]

    alpha = doc["benches"]["bench_alpha"]
    assert alpha["returncode"] == 0 and alpha["figures"]["speed"] == 40.0
    assert alpha["rows"] == [{"figure": "widgets per second", "value": 40.0, "unit": "/s",
                              "baseline": "raw widgets", "baseline_value": 80.0, "ratio": 0.5}]
    ingest = doc["benches"]["bench_ingest"]["rows"][0]
    assert (ingest["value"], ingest["baseline_value"], ingest["ratio"]) == (50000, 62500, 0.8)
    text = doc["benches"]["bench_text"]
    assert text["returncode"] == 0 and "KCF  6.9 ms" in text["text"] and text["figures"] is None
    crash = doc["benches"]["bench_zcrash"]
    assert crash["returncode"] != 0 and "camera on fire" in crash["error"]

    table = (out / "latest.md").read_text(encoding="utf-8")
    assert table.startswith(f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    lines = table.splitlines()
    assert "| alpha | widgets per second | 40 /s | raw widgets: 80 | 0.5 |" in lines
    assert "| ingest | MAVLink ingest (link+reducer+bus) | 50,000 msgs/s | raw pymavlink parse_buffer: 62,500 | 0.8 |" \
        in lines
    assert any(line.startswith("| text | (no --json") for line in lines)
    assert "| trackers | tracker fps, KCF, 96 px click box, 640x480 | 150 fps | camera rate: 30 | 5 |" in lines
    assert any(line.startswith("| zcrash | (failed: exit 1)") for line in lines)


def test_runner_runs_only_the_benches_named(tmp_path: Path) -> None:
    folder = _bench_dir(tmp_path)
    out = tmp_path / "out"
    assert run_all.main(["alpha", "--bench-dir", str(folder), "--out", str(out)]) == 0
    doc = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert list(doc["benches"]) == ["bench_alpha"]
    assert run_all.main(["nothing_here", "--bench-dir", str(folder), "--out", str(out)]) == 2

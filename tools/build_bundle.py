"""Build the packaged Kestrel GCS (PyInstaller, pyinstaller.spec) and say how big it came out.

    .venv/bin/python tools/build_bundle.py [--dist DIR] [--work DIR] [--onefile]
    make bundle

The result runs with no Python beside it: ``dist/kestrel-gcs/kestrel-gcs --demo --headless``.
Without torch in the bundle, smart mode runs on onnxruntime with the shipped ONNX model. The
build takes about three minutes on two cores; tests/integration/test_bundle.py builds it into a
temporary folder and launches it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "pyinstaller.spec"
NAME = "kestrel-gcs"


class BuildError(RuntimeError):
    """PyInstaller failed or produced no executable; the message carries the end of its log."""


def folder_size(path: Path) -> int:
    """Bytes in ``path`` (a file, or every file under a folder; symlinks not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def executable_path(dist: Path, onefile: bool = False) -> Path:
    """Where the build puts the program: dist/kestrel-gcs/kestrel-gcs, or dist/kestrel-gcs (one-file)."""
    return dist / NAME if onefile else dist / NAME / NAME


def build(dist: Path, work: Path, *, onefile: bool = False, log_file: Path | None = None) -> Path:
    """Run PyInstaller on the spec; return the executable. BuildError (with the log's tail) on failure."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["KESTREL_ONEFILE"] = "1" if onefile else "0"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    if log_file is not None:
        log_file.write_text(output, encoding="utf-8")
    exe = executable_path(dist, onefile)
    if proc.returncode != 0 or not exe.is_file():
        raise BuildError(f"PyInstaller exited {proc.returncode}, {exe} {'exists' if exe.exists() else 'missing'}:\n"
                         + output[-4000:])
    return exe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder (build/)")
    parser.add_argument("--onefile", action="store_true", help="one executable instead of a folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        exe = build(args.dist, args.work, onefile=args.onefile)
    except BuildError as exc:
        print(f"build_bundle: {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - started
    shipped = exe if args.onefile else exe.parent
    print(f"built {exe} in {took:.0f} s; {'file' if args.onefile else 'folder'} size "
          f"{folder_size(shipped) / 1e6:.0f} MB")
    print(f"try it: {exe} --demo --headless   (then http://127.0.0.1:8080/api/health)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

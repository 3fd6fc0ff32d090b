"""gcs/core must stay Qt-free and web-free: importing all of it pulls in no face library."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import gcs.core

FACE_MODULES = ("PySide6", "pyqtgraph", "qasync", "fastapi", "uvicorn", "starlette")


def test_importing_every_core_module_loads_no_gui_or_web_library() -> None:
    names = [m.name for m in pkgutil.walk_packages(gcs.core.__path__, "gcs.core.")]
    assert "gcs.core.service" in names and "gcs.core.vehicle.link" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    if name.endswith('__main__'): continue\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FACE_MODULES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "", f"gcs.core imported face modules: {out.stdout.strip()}"

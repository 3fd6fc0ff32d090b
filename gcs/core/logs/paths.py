"""Where flight logs and the session index live, what a tlog is called, and whether the disk has room.

Everything goes under the user data dir (``platformdirs.user_data_dir("kestrel-gcs")``, e.g.
``~/.local/share/kestrel-gcs`` on Linux): ``tlogs/`` and ``sessions.sqlite3``. ``KESTREL_DATA_DIR``
moves all of it (tests, portable installs); the config's ``logging.tlog_dir`` moves the tlogs only.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import platformdirs

from gcs.core.errors import RecordingError
from gcs.core.logs.tlog import HeartbeatIdentity
from gcs.core.mavlink_env import enum_name

ENV_DATA_DIR = "KESTREL_DATA_DIR"
APP_NAME = "kestrel-gcs"
SESSIONS_DB = "sessions.sqlite3"


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME))


def tlog_dir(configured: str = "") -> Path:
    """The tlog folder: the config's ``logging.tlog_dir`` if set, else ``<data dir>/tlogs``."""
    return Path(configured).expanduser() if configured else data_dir() / "tlogs"


def sessions_db_path() -> Path:
    return data_dir() / SESSIONS_DB


def check_free_disk(directory: Path, min_free_mb: int) -> None:
    """Refuse (RecordingError) when the disk holding ``directory`` has less than ``min_free_mb`` free."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        raise RecordingError(f"cannot check free disk space at {directory}: {exc}") from exc
    if free < min_free_mb * 1024 * 1024:
        raise RecordingError(
            f"not recording to {directory}: only {free / 2**20:.0f} MB free, below the "
            f"{min_free_mb} MB set in logging.min_free_disk_mb"
        )


def tlog_name(start_s: float, vehicle: HeartbeatIdentity) -> str:
    """``2024-05-01_14-03-22_sys1_ardupilotmega_quadrotor.tlog``: local start time, then the vehicle."""
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(start_s))
    autopilot = enum_name("MAV_AUTOPILOT", vehicle.autopilot).lower()
    kind = enum_name("MAV_TYPE", vehicle.mav_type).lower()
    return f"{stamp}_sys{vehicle.system_id}_{autopilot}_{kind}.tlog"


def unique_path(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name-2``, ``name-3``... if a file of that name already exists."""
    path = directory / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = directory / f"{stem}-{n}{suffix}"
        n += 1
    return path

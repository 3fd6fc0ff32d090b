"""The settings folder on disk: config file, backups, history, and files set aside.

    <dir>/config.yaml                                  the settings (atomic replace on every write)
    <dir>/backups/config-YYYYmmdd-HHMMSS-ffffff.yaml   the file as it was before each change (UTC)
    <dir>/history.jsonl                                one JSON line per changed setting
    <dir>/config.yaml.bad-YYYYmmdd-HHMMSS-ffffff       a file that could not be loaded

Only ``ConfigStore`` uses this, under its lock; nothing here validates settings.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gcs.core.errors import ConfigError

log = logging.getLogger(__name__)

MAX_BACKUPS = 20
HISTORY_MAX_BYTES = 2_000_000  # then the older half is dropped
_STAMP = "%Y%m%d-%H%M%S-%f"
_BACKUP_ID = re.compile(r"^\d{8}-\d{6}-\d{6}$")


@dataclass(frozen=True)
class BackupInfo:
    """A saved copy of the settings file; ``id`` is what ``restore()`` takes."""

    id: str
    time: datetime  # UTC
    path: Path
    size: int


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class ConfigFiles:
    """Reads and writes one settings folder; raises ConfigError when the disk refuses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.directory = path.parent
        self.backup_dir = self.directory / "backups"
        self.history_path = self.directory / "history.jsonl"

    # -- the settings file -------------------------------------------------------------------
    def read(self) -> str | None:
        """The file's text, or None if there is none. OSError/UnicodeDecodeError propagate."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return data.decode("utf-8")

    def write(self, text: str) -> None:
        """Back up the current file (if any), then replace it atomically with ``text``."""
        self.backup()
        try:
            atomic_write(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise ConfigError(f"could not write settings to {self.path}: {exc}") from exc

    def set_aside(self) -> Path:
        """Rename the current file to ``config.yaml.bad-<time>`` and return the new path."""
        target = self._unique(lambda stamp: self.path.with_name(f"{self.path.name}.bad-{stamp}"))
        os.replace(self.path, target)
        return target

    # -- backups -----------------------------------------------------------------------------
    def backup(self) -> BackupInfo | None:
        """Copy the current file into backups/ (None if there is no file); keep the newest 20.

        A change is never written over a file that could not be backed up."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"could not back up {self.path} before changing it: {exc}") from exc
        target = self._unique(lambda stamp: self.backup_dir / f"config-{stamp}.yaml")
        try:
            atomic_write(target, data)
        except OSError as exc:
            raise ConfigError(f"could not back up {self.path} to {target}: {exc}") from exc
        for old in self.backups()[MAX_BACKUPS:]:
            try:
                old.path.unlink()
            except OSError as exc:
                log.warning("could not remove old settings backup %s: %s", old.path, exc)
        return self._info(target)

    def backups(self) -> list[BackupInfo]:
        """Saved copies, newest first."""
        if not self.backup_dir.is_dir():
            return []
        found = []
        for entry in self.backup_dir.glob("config-*.yaml"):
            backup_id = entry.name.removeprefix("config-").removesuffix(".yaml")
            if _BACKUP_ID.match(backup_id):
                with contextlib.suppress(OSError):  # removed meanwhile
                    found.append(self._info(entry))
        return sorted(found, key=lambda b: b.id, reverse=True)

    def read_backup(self, backup_id: str) -> str:
        """The text of one backup; ConfigError if the id is malformed or unknown."""
        if not _BACKUP_ID.match(backup_id):
            raise ConfigError(f"{backup_id!r} is not a backup id (expected YYYYmmdd-HHMMSS-ffffff)")
        path = self.backup_dir / f"config-{backup_id}.yaml"
        try:
            return path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"there is no settings backup {backup_id!r}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings backup {backup_id!r} cannot be read: {exc}") from exc

    def _info(self, path: Path) -> BackupInfo:
        backup_id = path.name.removeprefix("config-").removesuffix(".yaml")
        time = datetime.strptime(backup_id, _STAMP).replace(tzinfo=UTC)
        return BackupInfo(id=backup_id, time=time, path=path, size=path.stat().st_size)

    # -- history -----------------------------------------------------------------------------
    def append_history(self, entries: list[dict[str, Any]]) -> None:
        """Append one JSON line per entry. A failure is logged: the change itself is saved."""
        lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.history_path.open("a", encoding="utf-8") as f:
                f.write(lines)
            if self.history_path.stat().st_size > HISTORY_MAX_BYTES:
                kept = self.history_path.read_text(encoding="utf-8").splitlines(keepends=True)
                atomic_write(self.history_path, "".join(kept[len(kept) // 2 :]).encode("utf-8"))
        except OSError as exc:
            log.warning("could not record settings history in %s: %s", self.history_path, exc)

    def read_history(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` entries, newest first; unreadable lines are skipped."""
        try:
            lines = self.history_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(f"could not read settings history {self.history_path}: {exc}") from exc
        entries: list[dict[str, Any]] = []
        for line in reversed(lines):
            if len(entries) >= limit:
                break
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut short by a crash
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _unique(name_for: Callable[[str], Path]) -> Path:
        """A path from ``name_for(stamp)`` that does not exist yet (stamps are UTC, to the µs)."""
        now = datetime.now(UTC)
        while True:
            candidate = name_for(now.strftime(_STAMP))
            if not candidate.exists():
                return candidate
            now += timedelta(microseconds=1)

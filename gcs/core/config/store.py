"""ConfigStore: the one owner of the settings, shared by the GUI thread, the API thread and the core.

Every change is validated against the whole schema first; a refused change raises ConfigError and
leaves both the settings in force and the file untouched. An accepted change backs the file up,
replaces it atomically, appends to the history and tells the listeners which keys changed::

    store = ConfigStore()            # <user config dir>/config.yaml, or $KESTREL_CONFIG_DIR
    store.load()                     # a bad file is set aside; store.load_warning says why
    store.set("safety", "max_speed_mps", "6.5", source="gui")
    store.subscribe(lambda changed: bus.publish(Topics.CONFIG, changed))

Threads: changes (and their listener calls) are serialized by one re-entrant lock; reads take no
lock because the settings object is replaced on change, never mutated, and readers get copies.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from gcs.core.config import fields as _fields
from gcs.core.config.fields import FieldInfo, changed_keys, field_info, refusal
from gcs.core.config.files import BackupInfo, ConfigFiles
from gcs.core.config.schema import SECTIONS, GcsConfig
from gcs.core.config.yaml_text import dump_config_yaml, parse_config_yaml
from gcs.core.errors import ConfigError

log = logging.getLogger(__name__)

ConfigListener = Callable[[dict[str, Any]], None]
ENV_CONFIG_DIR = "KESTREL_CONFIG_DIR"


def default_config_path() -> Path:
    """``$KESTREL_CONFIG_DIR/config.yaml`` if set, else the platform's user config folder."""
    override = os.environ.get(ENV_CONFIG_DIR)
    folder = Path(override).expanduser() if override else Path(platformdirs.user_config_dir("kestrel-gcs"))
    return folder / "config.yaml"


class ConfigStore:
    """Validated, persisted, observable settings. Nothing touches the disk before the first use."""

    def __init__(self, path: Path | None = None) -> None:
        self._files = ConfigFiles(path if path is not None else default_config_path())
        self._lock = threading.RLock()  # serializes load and every change with its notifications
        self._listeners: list[ConfigListener] = []
        self._listeners_lock = threading.Lock()
        self._config = GcsConfig()
        self._started: GcsConfig | None = None  # as first loaded: what restart-only parts run with
        self._loaded = False
        self._load_warning: str | None = None

    @property
    def path(self) -> Path:
        return self._files.path

    @property
    def directory(self) -> Path:
        return self._files.directory

    @property
    def load_warning(self) -> str | None:
        """Why the settings file was refused at the last load (the app shows it), else None."""
        return self._load_warning

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> GcsConfig:
        """(Re)read the file. Missing: defaults, nothing written. Unreadable or refused: defaults,
        the file renamed to ``config.yaml.bad-<time>`` and ``load_warning`` set. Never raises
        for a bad file. Listeners hear of keys that differ from the settings before the load."""
        with self._lock:
            before = self._config
            self._config, self._load_warning = self._read_file()
            self._loaded = True
            if self._started is None:
                self._started = self._config
            self._notify({key: new for key, (_, new) in changed_keys(before, self._config).items()})
            return self._config.model_copy(deep=True)

    def _read_file(self) -> tuple[GcsConfig, str | None]:
        try:
            text = self._files.read()
        except (OSError, UnicodeDecodeError) as exc:
            return GcsConfig(), self._refuse_file(f"settings file {self.path} cannot be read: {exc}")
        if text is None:
            return GcsConfig(), None
        try:
            return parse_config_yaml(text, origin=f"settings file {self.path}"), None
        except ConfigError as exc:
            return GcsConfig(), self._refuse_file(str(exc))

    def _refuse_file(self, problem: str) -> str:
        try:
            kept = self._files.set_aside()
        except OSError as exc:
            warning = (
                f"{problem}. Started on default settings; the file could not be moved aside ({exc}), "
                "so it stays in place and is backed up before any change replaces it."
            )
        else:
            warning = f"{problem}. Started on default settings; your file was kept as {kept}."
        log.warning("%s", warning)
        return warning[0].upper() + warning[1:]

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self.load()

    # -- reading -----------------------------------------------------------------------------
    @property
    def current(self) -> GcsConfig:
        """A private copy of the settings in force (changing it changes nothing)."""
        self._ensure_loaded()
        return self._config.model_copy(deep=True)

    def get(self, section: str, param: str) -> Any:
        """One value; ConfigError if ``section.param`` is not a setting."""
        field_info(f"{section}.{param}")
        self._ensure_loaded()
        return copy.deepcopy(getattr(getattr(self._config, section), param))

    def diff_from_defaults(self) -> dict[str, tuple[Any, Any]]:
        """``{"section.param": (default, current)}`` for every setting not at its default."""
        self._ensure_loaded()
        return changed_keys(GcsConfig(), self._config)

    def schema(self) -> dict[str, Any]:
        """JSON schema of the settings; every field has description, default, bounds and apply."""
        return GcsConfig.model_json_schema()

    def fields(self) -> list[FieldInfo]:
        """Every setting described plainly, in schema order, for generated editors."""
        return _fields.describe_fields()

    def requires_restart(self, keys: Iterable[str]) -> list[str]:
        """Those of the dotted ``keys`` that take effect only after a restart."""
        return _fields.requires_restart(keys)

    def restart_pending(self) -> list[str]:
        """Restart-only keys changed since the settings were first loaded (what a restart would apply)."""
        self._ensure_loaded()
        started = self._started if self._started is not None else self._config
        return _fields.requires_restart(changed_keys(started, self._config))

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` changes, newest first: {time, key, old, new, source}."""
        return self._files.read_history(max(0, limit))

    def backups(self) -> list[BackupInfo]:
        """Saved copies of the settings file (the 20 latest), newest first."""
        return self._files.backups()

    # -- changing ----------------------------------------------------------------------------
    def set(self, section: str, param: str, value: Any, source: str = "api") -> GcsConfig:
        """Change one setting; strings are coerced ("6.5", "true"). ConfigError if refused."""
        return self.update(section, {param: value}, source=source)

    def update(self, section: str, values: dict[str, Any], source: str = "api") -> GcsConfig:
        """Change several settings of one section together: all are applied or none."""
        with self._lock:
            return self._commit(self._candidate(section, values), source)

    def check(self, section: str, values: dict[str, Any]) -> str | None:
        """Why ``update(section, values)`` would be refused (the same words), or None; changes nothing.

        For editors that tell the pilot at once, under the field, rather than at Apply."""
        try:
            with self._lock:
                self._candidate(section, values)
        except ConfigError as exc:
            return str(exc)
        return None

    def _candidate(self, section: str, values: dict[str, Any]) -> GcsConfig:
        """The settings in force with ``values`` put in ``section``, validated; ConfigError if refused."""
        if section not in SECTIONS:
            raise ConfigError(f"{section!r} is not a settings section (one of {', '.join(SECTIONS)})")
        attempted = {f"{section}.{param}": value for param, value in values.items()}
        for key in attempted:
            field_info(key)
        self._ensure_loaded()
        data = self._config.model_dump()
        data[section].update(values)
        try:
            return GcsConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(refusal(exc, attempted)) from exc

    def reset(self, section: str | None = None, source: str = "api") -> GcsConfig:
        """Put one section (or everything, when None) back to its defaults."""
        if section is not None and section not in SECTIONS:
            raise ConfigError(f"{section!r} is not a settings section (one of {', '.join(SECTIONS)})")
        with self._lock:
            self._ensure_loaded()
            if section is None:
                candidate = GcsConfig()
            else:
                data = self._config.model_dump()
                data[section] = getattr(GcsConfig(), section).model_dump()
                candidate = GcsConfig.model_validate(data)
            return self._commit(candidate, source)

    def restore(self, backup_id: str, source: str = "api") -> GcsConfig:
        """Bring back a backup (validated first); the file it replaces is backed up in turn."""
        with self._lock:
            self._ensure_loaded()
            text = self._files.read_backup(backup_id)
            candidate = parse_config_yaml(text, origin=f"settings backup {backup_id}")
            return self._commit(candidate, f"{source} (restore {backup_id})")

    def _commit(self, candidate: GcsConfig, source: str) -> GcsConfig:
        """Persist and announce a validated config; called with the lock held."""
        changes = changed_keys(self._config, candidate)
        if changes:
            self._files.write(dump_config_yaml(candidate))  # ConfigError: nothing changed
            self._config = candidate
            now = datetime.now(UTC).isoformat(timespec="milliseconds")
            self._files.append_history(
                [
                    {"time": now, "key": key, "old": old, "new": new, "source": source}
                    for key, (old, new) in changes.items()
                ]
            )
            log.info(
                "settings changed by %s: %s",
                source,
                ", ".join(f"{key}={new!r}" for key, (_, new) in changes.items()),
            )
            self._notify({key: new for key, (_, new) in changes.items()})
        return self._config.model_copy(deep=True)

    # -- listeners ---------------------------------------------------------------------------
    def subscribe(self, callback: ConfigListener) -> Callable[[], None]:
        """Call ``callback({"section.param": new_value})`` after every change, with only the keys
        that changed. It runs on the changing thread while changes are serialized: keep it quick
        and never wait in it for another thread that changes settings. Returns an unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _notify(self, changed: dict[str, Any]) -> None:
        if not changed:
            return
        with self._listeners_lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback(copy.deepcopy(changed))
            except Exception:  # one faulty listener must not undo a saved change nor stop the others
                log.exception("settings listener %r failed", callback)

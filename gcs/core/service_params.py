"""Vehicle parameters for GcsService (a mixin): list with metadata, download, set, files, diff.

The faces call these; the protocol is in ``vehicle/params``. A set outside the metadata's range is
refused locally (ParamNeedsConfirm, HTTP 409) unless the caller confirms it; a value that is not
one of the parameter's type is ParamInvalid (422). Every change is logged (python logging) and
written to the flight session of the vehicle's link, with who made it; progress and changes are
published on the bus (``Topics.PARAMS_PROGRESS``, ``Topics.PARAM_CHANGED``) for every face.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus, Topics
from gcs.core.errors import GcsError, ParamError, ParamInvalid, ParamNeedsConfirm, ParamUnknown
from gcs.core.logs import FlightRecorder
from gcs.core.logs.stats import EventKind
from gcs.core.models import Autopilot
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.params import (
    DownloadState,
    FileFormat,
    Param,
    ParamChange,
    ParamDiff,
    ParamManager,
    ParamMeta,
    ParamProgress,
    coerce,
    diff,
    metadata_for,
    parse,
    write,
)
from gcs.core.vehicle.params.encoding import text

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class ParamRow:
    """A parameter with its metadata (None where there is none offline)."""

    param: Param
    meta: ParamMeta | None


@dataclass(frozen=True)
class ParamsView:
    progress: ParamProgress
    rows: tuple[ParamRow, ...]  # sorted by name
    metadata_source: str  # which offline metadata applies ("ardupilot", "px4" or "")


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Param, ...]
    failed: tuple[tuple[str, str], ...]  # (name, why)
    diff: ParamDiff


class ParamsFacade:
    """Mixed into GcsService, which sets the attributes below."""

    bus: MessageBus
    fleet: Fleet
    recorder: FlightRecorder | None
    _vehicle: Callable[[int | None], Any]
    _params_hooked: set[int]
    _params_lock: threading.Lock

    # ---- helpers ---------------------------------------------------------------------------

    def _param_manager(self, system_id: int | None) -> tuple[Any, ParamManager]:
        vehicle = self._vehicle(system_id)
        manager: ParamManager = vehicle.params
        with self._params_lock:
            hooked = id(manager) in self._params_hooked
            self._params_hooked.add(id(manager))
        if not hooked:
            manager.add_change_listener(self._on_param_change)
            manager.add_progress_listener(lambda p: self.bus.publish(Topics.PARAMS_PROGRESS, p))
        return vehicle, manager

    def _metadata_source(self, vehicle: Any) -> str:
        autopilot = vehicle.state.autopilot
        return autopilot.value if autopilot in (Autopilot.ARDUPILOT, Autopilot.PX4) else ""

    def param_metadata(self, name: str, system_id: int | None = None) -> ParamMeta | None:
        return metadata_for(self._metadata_source(self._vehicle(system_id))).get(name)

    def _on_param_change(self, change: ParamChange) -> None:
        """Link thread (a vehicle-side change) or a caller's thread (our own set): log it, never block."""
        old = "?" if change.old is None else text(change.old, change.ptype)
        words = f"parameter {change.name} {old} -> {text(change.new, change.ptype)}"
        words += " (changed on the vehicle)" if change.source == "vehicle" else f" (set by {change.source})"
        if self.recorder is not None:
            self.recorder.note(change.system_id, words, EventKind.PARAM)
        self.bus.publish(Topics.PARAM_CHANGED, change)

    # ---- reading ---------------------------------------------------------------------------

    def param_progress(self, system_id: int | None = None) -> ParamProgress:
        return self._param_manager(system_id)[1].progress()

    def params(self, system_id: int | None = None, query: str = "") -> ParamsView:
        """Every parameter heard so far (filtered by ``query``: a name part or a description word)."""
        vehicle, manager = self._param_manager(system_id)
        source = self._metadata_source(vehicle)
        meta = metadata_for(source)
        needle = query.strip().upper()
        rows = []
        for name, param in sorted(manager.params().items()):
            m = meta.get(name)
            if needle and needle not in name and not (m is not None and needle in m.description.upper()):
                continue
            rows.append(ParamRow(param, m))
        return ParamsView(manager.progress(), tuple(rows), source)

    def param(self, name: str, system_id: int | None = None) -> ParamRow:
        """One parameter as last heard, with its metadata; ParamUnknown if it was never heard."""
        vehicle, manager = self._param_manager(system_id)
        param = manager.get(name)
        if param is None:
            raise ParamUnknown(f"vehicle {vehicle.system_id} has no parameter {name!r} (download the list first)")
        return ParamRow(param, metadata_for(self._metadata_source(vehicle)).get(name))

    def refresh_params(
        self, system_id: int | None = None, *, wait: bool = False, timeout_s: float | None = None
    ) -> ParamProgress:
        """Download the full list again; ``wait=False`` starts it on a thread of its own and returns
        at once (progress on ``Topics.PARAMS_PROGRESS``); a download already running is not doubled."""
        _, manager = self._param_manager(system_id)
        if wait:
            return manager.download(timeout_s)
        if manager.progress().state is not DownloadState.DOWNLOADING:
            thread = threading.Thread(
                target=self._download_quietly, args=(manager, timeout_s), name=f"params-{manager.system_id}",
                daemon=True,
            )
            thread.start()
        return manager.progress()

    @staticmethod
    def _download_quietly(manager: ParamManager, timeout_s: float | None) -> None:
        try:
            manager.download(timeout_s)
        except GcsError as exc:  # a link that went away under the download, a replay: logged, shown as FAILED
            log.warning("vehicle %d: parameter download stopped: %s", manager.system_id, exc)

    def ensure_params(self, system_id: int | None = None) -> ParamProgress:
        """Start a download unless one ran or runs (what a face does when it first shows the list)."""
        progress = self.param_progress(system_id)
        if progress.state is DownloadState.IDLE:
            return self.refresh_params(system_id)
        return progress

    # ---- setting ---------------------------------------------------------------------------

    def check_param(self, name: str, value: object, system_id: int | None = None, *, confirm: bool = False) -> Any:
        """The value ``set_param`` would send; ParamInvalid / ParamNeedsConfirm / ParamUnknown otherwise."""
        vehicle, manager = self._param_manager(system_id)
        param = manager.get(name)
        if param is None:
            raise ParamUnknown(f"vehicle {vehicle.system_id} has no parameter {name!r} (download the list first)")
        wanted = coerce(name, value, param.ptype)
        meta = metadata_for(self._metadata_source(vehicle)).get(name)
        if meta is not None and not meta.in_range(float(wanted)) and not confirm:
            low = "" if meta.min is None else f"{meta.min:g}"
            high = "" if meta.max is None else f"{meta.max:g}"
            raise ParamNeedsConfirm(
                f"{name} = {text(wanted, param.ptype)} is outside its documented range {low}..{high}"
                f"{' ' + meta.units if meta.units else ''}: confirm to set it anyway"
            )
        return wanted

    def set_param(
        self, name: str, value: object, system_id: int | None = None, *, confirm: bool = False, source: str = ""
    ) -> ParamRow:
        """Set one parameter, confirmed by the vehicle's echo; returns it as the vehicle now has it."""
        vehicle, manager = self._param_manager(system_id)
        wanted = self.check_param(name, value, system_id, confirm=confirm)
        param = manager.set(name, wanted, source=source)
        return ParamRow(param, metadata_for(self._metadata_source(vehicle)).get(name))

    # ---- files -----------------------------------------------------------------------------

    def export_params(self, fmt: FileFormat | str = FileFormat.QGC, system_id: int | None = None) -> str:
        """The vehicle's parameters as a QGC ``.params`` or MAVProxy ``.parm`` file."""
        vehicle, manager = self._param_manager(system_id)
        state = vehicle.state
        return write(manager.params().values(), FileFormat(fmt), system_id=vehicle.system_id,
                     component_id=vehicle.component_id, autopilot=state.autopilot.value,
                     vehicle=str(state.vehicle_type))

    def diff_params(self, content: str, system_id: int | None = None) -> ParamDiff:
        """What applying a parameter file's text would change (nothing is sent)."""
        if len(content) > MAX_FILE_BYTES:
            raise ParamInvalid(f"parameter file larger than {MAX_FILE_BYTES} bytes")
        _, manager = self._param_manager(system_id)
        if not manager.params():
            raise ParamUnknown("the vehicle's parameters are not downloaded yet: nothing to compare with")
        return diff(parse(content), manager.params())

    def apply_params(
        self, content: str, system_id: int | None = None, *, names: Iterable[str] | None = None,
        confirm: bool = False, source: str = "",
    ) -> ApplyResult:
        """Set every parameter the file changes (or only ``names`` of them); one failure does not stop
        the others, and each is reported. Out-of-range values need ``confirm`` as a single set does."""
        delta = self.diff_params(content, system_id)
        chosen = set(names) if names is not None else None
        applied: list[Param] = []
        failed: list[tuple[str, str]] = []
        for entry in delta.changed:
            if chosen is not None and entry.name not in chosen:
                continue
            if entry.error is not None:
                failed.append((entry.name, entry.error))
                continue
            try:
                applied.append(self.set_param(entry.name, entry.file, system_id, confirm=confirm,
                                              source=source).param)
            except ParamError as exc:
                failed.append((entry.name, str(exc)))
        return ApplyResult(tuple(applied), tuple(failed), delta)

    def save_param_file(self, path: str | Path, fmt: FileFormat | str | None = None,
                        system_id: int | None = None) -> Path:
        """Write the parameters to ``path`` (format from ``fmt``, else its suffix: .params QGC, else MAVProxy)."""
        target = Path(path)
        chosen = FileFormat(fmt) if fmt is not None else (
            FileFormat.QGC if target.suffix == ".params" else FileFormat.MAVPROXY)
        target.write_text(self.export_params(chosen, system_id), encoding="utf-8")
        return target

    def load_param_file(self, path: str | Path, system_id: int | None = None) -> ParamDiff:
        """Read a parameter file and diff it against the vehicle (apply with ``apply_params``)."""
        try:
            content = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ParamInvalid(f"cannot read {path}: {exc.strerror or exc}") from exc
        return self.diff_params(content, system_id)

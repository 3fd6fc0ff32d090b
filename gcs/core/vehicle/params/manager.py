"""One vehicle's parameters: download the full list, read, set with confirmation, report changes.

Threads: the link thread calls ``on_message`` for every message of the vehicle; it only decodes,
stores under a lock and wakes the waiters, never sends or waits. Everything that waits (a download,
a read, a set) runs on its caller's thread (a face's worker, the service's download thread).

Download, as QGC and MAVProxy do it: PARAM_REQUEST_LIST (sent again if nothing answers within
``list_timeout_s``); PARAM_VALUEs are counted by index against their ``param_count``; when the
stream has been silent for ``gap_s`` (or the last re-requests were all answered) the indices still
missing are asked for by PARAM_REQUEST_READ, ``read_batch`` at a time, each at most
``index_retries`` times. A PARAM_VALUE outside the list (index 65535: a set's echo, another GCS's
change) updates the value by name.

Set: PARAM_SET with the value encoded for the vehicle (``encoding``), confirmed by the PARAM_VALUE
it echoes. An echo with another value is a refusal (ParamRefused, with the vehicle's STATUSTEXT
when it sent one); no echo after every retry is ParamTimeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcs.core.errors import ParamRefused, ParamTimeout, ParamUnknown
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.params.encoding import Value, bytewise_for, coerce, decode, encode, same, text
from gcs.core.vehicle.params.model import DownloadState, Param, ParamChange, ParamProgress
from gcs.core.vehicle.refusals import RecentTexts

log = logging.getLogger(__name__)

NO_INDEX = 65535
REFUSAL_GRACE_S = 0.3  # after an echo with another value, how long a matching one may still come
PROGRESS_PERIOD_S = 0.2

Sender = Callable[[Any], None]


@dataclass(frozen=True)
class ParamSettings:
    list_timeout_s: float = 3.0  # for the first PARAM_VALUE after PARAM_REQUEST_LIST
    list_retries: int = 2
    gap_s: float = 1.0  # silence after which missing indices are asked for again
    read_batch: int = 10
    index_retries: int = 5
    read_timeout_s: float = 1.0
    set_timeout_s: float = 1.0
    set_retries: int = 3
    download_timeout_s: float = 180.0


def _name(raw: Any) -> str:
    value = raw.decode("ascii", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    return value.split("\x00", 1)[0]


class ParamManager:
    """Parameters of one vehicle (its autopilot component)."""

    def __init__(
        self,
        system_id: int,
        component_id: int,
        send: Sender,
        is_px4: Callable[[], bool],
        texts: RecentTexts,
        settings: ParamSettings | None = None,
    ) -> None:
        self.system_id = system_id
        self.component_id = component_id
        self.settings = settings or ParamSettings()
        self._send = send
        self._is_px4 = is_px4
        self._texts = texts
        self._cond = threading.Condition()
        self._params: dict[str, Param] = {}
        self._heard: dict[str, int] = {}  # name -> PARAM_VALUEs heard (waiters watch it grow)
        self._capabilities: int | None = None
        self._setting: dict[str, str] = {}  # name -> who sets it, while a set() of ours waits on it
        self._state = DownloadState.IDLE
        self._indices: dict[int, str] = {}
        self._total: int | None = None
        self._last_rx = 0.0
        self._started = 0.0
        self._finished: float | None = None
        self._re_requested = 0
        self._list_requests = 0
        self._error: str | None = None
        self._change_listeners: list[Callable[[ParamChange], None]] = []
        self._progress_listeners: list[Callable[[ParamProgress], None]] = []

    # ---- listeners -------------------------------------------------------------------------

    def add_change_listener(self, callback: Callable[[ParamChange], None]) -> None:
        """``callback(change)`` for every value that changed after it was first heard (link thread)."""
        self._change_listeners.append(callback)

    def add_progress_listener(self, callback: Callable[[ParamProgress], None]) -> None:
        """``callback(progress)`` during a download, about 5 times a second and at its end (caller's thread)."""
        self._progress_listeners.append(callback)

    # ---- the link thread -------------------------------------------------------------------

    @property
    def bytewise(self) -> bool:
        """Whether this vehicle puts integers byte-wise in the float field (see ``encoding``)."""
        return bytewise_for(self._capabilities, self._is_px4())

    def on_message(self, msg: Any) -> None:
        """Take a PARAM_VALUE (or AUTOPILOT_VERSION's encoding bits) of this vehicle; never blocks."""
        kind = msg.get_type()
        if kind == "AUTOPILOT_VERSION":
            self._capabilities = int(msg.capabilities)
            return
        if kind != "PARAM_VALUE" or msg.get_srcComponent() != self.component_id:
            return
        name = _name(msg.param_id)
        if not name or name.startswith("_HASH_CHECK"):
            return
        ptype = int(msg.param_type)
        value = decode(float(msg.param_value), ptype, self.bytewise)
        index = int(msg.param_index)
        change: ParamChange | None = None
        with self._cond:
            old = self._params.get(name)
            listed = index != NO_INDEX and index < int(msg.param_count)
            own_index = index if listed else (old.index if old is not None else -1)
            self._params[name] = Param(name, value, ptype, own_index)
            self._heard[name] = self._heard.get(name, 0) + 1
            if old is not None and not same(old.value, value, ptype):
                source = self._setting.get(name, "vehicle")
                change = ParamChange(self.system_id, name, old.value, value, ptype, source)
            if self._state is DownloadState.DOWNLOADING:
                self._last_rx = time.monotonic()
                count = int(msg.param_count)
                if count and count != self._total:
                    self._total = count
                if listed:
                    self._indices[index] = name
            self._cond.notify_all()
        if change is not None:
            if change.source == "vehicle":
                log.info("vehicle %d: parameter %s changed on the vehicle: %s -> %s", self.system_id, name,
                         text(change.old or 0, ptype), text(value, ptype))
            for listener in self._change_listeners:
                listener(change)

    # ---- reading ---------------------------------------------------------------------------

    def params(self) -> dict[str, Param]:
        with self._cond:
            return dict(self._params)

    def get(self, name: str) -> Param | None:
        with self._cond:
            return self._params.get(name)

    def progress(self) -> ParamProgress:
        with self._cond:
            return self._progress_locked()

    def _progress_locked(self) -> ParamProgress:
        duration = None
        if self._finished is not None:
            duration = self._finished - self._started
        elif self._state is DownloadState.DOWNLOADING:
            duration = time.monotonic() - self._started
        return ParamProgress(
            self.system_id, self._state, len(self._indices), self._total, self._re_requested,
            self._list_requests, duration, self._error,
        )

    def _emit_progress(self) -> None:
        progress = self.progress()
        for listener in self._progress_listeners:
            listener(progress)

    # ---- download (caller's thread) --------------------------------------------------------

    def download(self, timeout_s: float | None = None) -> ParamProgress:
        """Fetch the full list; returns the final progress (state COMPLETE or FAILED, never raises
        for missing indices: what arrived is kept). A download already running is waited for."""
        limit = self.settings.download_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + limit
        with self._cond:
            if self._state is DownloadState.DOWNLOADING:
                while self._state is DownloadState.DOWNLOADING and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
                return self._progress_locked()
            self._state = DownloadState.DOWNLOADING
            self._indices = {}
            self._total = None
            self._re_requested = 0
            self._list_requests = 0
            self._error = None
            self._started = self._last_rx = time.monotonic()
            self._finished = None
        log.info("vehicle %d: downloading parameters", self.system_id)
        try:
            error = self._download(deadline)
        except BaseException as exc:
            self._finish(f"download stopped: {exc}")
            raise
        progress = self._finish(error)
        if error is None:
            log.info("vehicle %d: %d parameters in %.2f s (%d re-requested)", self.system_id, progress.received,
                     progress.duration_s or 0.0, progress.re_requested)
        else:
            log.warning("vehicle %d: parameter download failed: %s", self.system_id, error)
        return progress

    def _finish(self, error: str | None) -> ParamProgress:
        with self._cond:
            self._state = DownloadState.FAILED if error else DownloadState.COMPLETE
            self._error = error
            self._finished = time.monotonic()
            self._cond.notify_all()
            progress = self._progress_locked()
        for listener in self._progress_listeners:
            listener(progress)
        return progress

    def _download(self, deadline: float) -> str | None:
        s = self.settings
        tries: dict[int, int] = {}
        outstanding: set[int] = set()
        self._request_list()
        list_sent = time.monotonic()
        next_progress = 0.0
        while True:
            to_read: list[int] = []
            with self._cond:
                now = time.monotonic()
                total, got = self._total, self._indices
                if total is not None and len(got) >= total:
                    return None
                if now >= deadline:
                    return f"timed out with {len(got)} of {total if total is not None else '?'} parameters"
                if total is None:
                    if now - list_sent >= s.list_timeout_s:
                        if self._list_requests > s.list_retries:
                            return f"no PARAM_VALUE answered {self._list_requests} PARAM_REQUEST_LISTs"
                        to_read = [-1]
                else:
                    outstanding -= got.keys()
                    if (not outstanding and self._re_requested) or now - self._last_rx >= s.gap_s:
                        missing = [i for i in range(total) if i not in got]
                        to_read = missing[: s.read_batch]
                        for index in to_read:
                            tries[index] = tries.get(index, 0) + 1
                            if tries[index] > s.index_retries:
                                return (f"{len(missing)} of {total} parameters never came (index {index} asked "
                                        f"{s.index_retries} times)")
                        outstanding = set(to_read)
                        self._re_requested += len(to_read)
                        self._last_rx = now
                if not to_read:
                    self._cond.wait(0.05)
            if to_read == [-1]:
                self._request_list()
                list_sent = time.monotonic()
            else:
                for index in to_read:
                    self._request_read(index=index)
            if time.monotonic() >= next_progress:
                next_progress = time.monotonic() + PROGRESS_PERIOD_S
                self._emit_progress()

    def _request_list(self) -> None:
        with self._cond:
            self._list_requests += 1
        self._send(mavlink.MAVLink_param_request_list_message(self.system_id, self.component_id))

    def _request_read(self, *, index: int = -1, name: str = "") -> None:
        self._send(mavlink.MAVLink_param_request_read_message(
            self.system_id, self.component_id, name.encode("ascii"), index))

    # ---- read and set one (caller's thread) ------------------------------------------------

    def read(self, name: str) -> Param:
        """Ask the vehicle for one parameter by name (PARAM_REQUEST_READ), with retries."""
        since = time.monotonic()
        for _ in range(self.settings.set_retries + 1):
            with self._cond:
                mark = self._heard.get(name, 0)
            self._request_read(name=name)
            deadline = time.monotonic() + self.settings.read_timeout_s
            with self._cond:
                while self._heard.get(name, 0) == mark and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
                if self._heard.get(name, 0) > mark:
                    return self._params[name]
        reasons = self._texts.reasons(since, wait_s=0.0)
        why = f" ({'; '.join(reasons)})" if reasons else ""
        raise ParamUnknown(f"vehicle {self.system_id} has no parameter {name!r}: no answer to PARAM_REQUEST_READ{why}")

    def set(self, name: str, value: object, source: str = "") -> Param:
        """Set ``name`` to ``value`` and return it as the vehicle echoed it; raises ParamInvalid (not a
        value of its type), ParamUnknown, ParamRefused (another value echoed) or ParamTimeout."""
        current = self.get(name) or self.read(name)
        wanted: Value = coerce(name, value, current.ptype)
        wire = encode(wanted, current.ptype, self.bytewise)
        sent_at = time.monotonic()
        refused: Param | None = None
        with self._cond:
            self._setting[name] = source or "gcs"
        try:
            for _ in range(self.settings.set_retries + 1):
                with self._cond:
                    mark = self._heard.get(name, 0)
                self._send(mavlink.MAVLink_param_set_message(
                    self.system_id, self.component_id, name.encode("ascii"), wire, current.ptype))
                confirmed, refused = self._await_echo(name, wanted, current.ptype, mark)
                if confirmed is not None:
                    log.info("vehicle %d: parameter %s set %s -> %s%s", self.system_id, name,
                             current.text, confirmed.text, f" by {source}" if source else "")
                    return confirmed
                if refused is not None:
                    break  # the vehicle answered: asking again would get the same answer
        finally:
            with self._cond:
                self._setting.pop(name, None)
        reasons = self._texts.reasons(sent_at, wait_s=0.2 if refused is not None else 0.0)
        why = f": {'; '.join(reasons)}" if reasons else ""
        if refused is not None:
            message = f"{name} = {text(wanted, current.ptype)} refused: the vehicle kept {refused.text}{why}"
            log.warning("vehicle %d: %s", self.system_id, message)
            raise ParamRefused(message)
        raise ParamTimeout(f"{name}: no PARAM_VALUE echoed after {self.settings.set_retries + 1} PARAM_SETs{why}")

    def _await_echo(self, name: str, wanted: Value, ptype: int, mark: int) -> tuple[Param | None, Param | None]:
        """(the echo with ``wanted``, or None; the last echo with another value, or None)."""
        deadline = time.monotonic() + self.settings.set_timeout_s
        other: Param | None = None
        with self._cond:
            while True:
                if self._heard.get(name, 0) > mark:
                    mark = self._heard[name]
                    echoed = self._params[name]
                    if same(echoed.value, wanted, ptype):
                        return echoed, None
                    other = echoed
                    deadline = min(deadline, time.monotonic() + REFUSAL_GRACE_S)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, other
                self._cond.wait(left)

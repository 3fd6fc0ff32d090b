"""ReplayLink: a tlog played through the live path (fleet, reducer, bus) with play/pause/seek/speed.

It has the surface of a live link (``Link``), so the fleet, the vehicles, the GUI plots and the API
cannot tell it from one: messages reach the sink on the replay's own thread at the times the log
says (a 20 Hz stream plays at 20 Hz at 1x), with loss and bad frames counted the same way. Two
things differ. ``clock()`` runs on log time: it stands still while paused, so a paused or slowed
replay is never declared lost, while a real silence in the recording still shows as LOST. And
``send`` refuses: a replay is read-only.

Seeking rebuilds the state as it was at the target time: the vehicles of this link are blanked,
then the last record of each (system, component, message id) before the target, plus the recent
STATUSTEXT lines, is fed through without waiting; playback goes on from the target.

Controls may come from any thread. They are queued to the replay thread, run between records, and
the caller waits for them, so ``seek`` returns with the state already rebuilt.

The timing thread, the replay clock and seeking live in ``replay_player.ReplayPlayer``; this module
is the ``Link`` surface over it and the control calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gcs.core.errors import LinkError, ReadOnlyLink
from gcs.core.logs.replay_player import (
    SPEED_MAX,
    SPEED_MIN,
    ReplayPlayer,
    ReplaySink,
    ReplayStatus,
    check_speed,
)
from gcs.core.vehicle.link import Link, LinkCounters, RawTap

CONTROL_TIMEOUT_S = 10.0


class ReplayLink(ReplayPlayer):
    """A tlog as a read-only link with its own timing thread; implements ``Link``."""

    def _link(self) -> Link:
        return self

    # ---- the Link surface ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._anchor(self.clock())
            self._thread = threading.Thread(target=self._run, name=f"replay-{self.link_id}", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self.index.close()

    @property
    def is_open(self) -> bool:
        return not self._stop.is_set()

    @property
    def local_port(self) -> int | None:
        return None

    def send(self, msg: object) -> None:
        raise ReadOnlyLink(f"read-only replay: {self.spec.url} cannot send to a vehicle")

    def send_raw(self, frame: bytes) -> None:
        raise ReadOnlyLink(f"read-only replay: {self.spec.url} cannot send to a vehicle")

    def add_tap(self, tap: RawTap) -> None:
        self._taps.append(tap)

    def remove_tap(self, tap: RawTap) -> None:
        if tap in self._taps:
            self._taps.remove(tap)

    def counters(self) -> LinkCounters:
        return LinkCounters(
            link_id=self.link_id,
            url=self.spec.url,
            kind=self.spec.kind.value,
            is_open=self.is_open,
            received=self._received,
            lost=self._lost,
            bad_frames=self._bad + self.index.resyncs,
            bytes_in=self._bytes_in,
            sent=0,
            bytes_out=0,
            reconnects=0,
            last_rx_monotonic=self._last_rx,
            error=None,
        )

    # ---- controls (any thread) -------------------------------------------------------------

    def play(self) -> ReplayStatus:
        def run() -> None:
            if self._ended:
                self._seek_to(0)
            self._playing = True
            self._anchor(self.clock())

        return self._control(run)

    def pause(self) -> ReplayStatus:
        return self._control(self._pause)

    def set_speed(self, speed: float | None) -> ReplayStatus:
        checked = check_speed(speed)

        def run() -> None:
            now = self._now_log_s()
            self._speed = checked
            self._anchor(now)

        return self._control(run)

    def seek(self, *, time_s: float | None = None, fraction: float | None = None) -> ReplayStatus:
        """Go to ``time_s`` seconds from the start, or to ``fraction`` (0-1) of the duration."""
        duration = self.index.duration_s
        if (time_s is None) == (fraction is None):
            raise LinkError("seek needs exactly one of time_s or fraction")
        if fraction is not None:
            if not 0.0 <= fraction <= 1.0:
                raise LinkError(f"seek fraction {fraction:g} is outside 0-1")
            time_s = fraction * duration
        assert time_s is not None
        if not -1e-6 <= time_s <= duration + 1e-6:
            raise LinkError(f"seek time {time_s:.3f} s is outside this log's 0-{duration:.3f} s")
        target = self.index.index_at(time_s)
        return self._control(lambda: self._seek_to(target))

    def step(self, count: int = 1) -> ReplayStatus:
        """Pause, then play the next ``count`` records at once."""
        if count < 1:
            raise LinkError(f"step count must be at least 1, not {count}")

        def run() -> None:
            self._pause()
            end = min(len(self.index), self._pos + count)
            self._feed_range(end)
            self._clock_ref = (self.index.times_us[self._pos - 1] / 1e6, 0.0, 0.0)
            self._ended = self._pos >= len(self.index)

        return self._control(run)

    def _control(self, action: Callable[[], None]) -> ReplayStatus:
        thread = self._thread
        if thread is None or thread is threading.current_thread() or not thread.is_alive():
            action()
        else:
            done = threading.Event()
            with self._cond:
                self._commands.append((action, done))
                self._cond.notify_all()
            if not done.wait(CONTROL_TIMEOUT_S):
                raise LinkError(f"replay {self.link_id} did not answer within {CONTROL_TIMEOUT_S:.0f} s")
        status = self.status()
        self._publish(status)
        return status


__all__ = ["SPEED_MAX", "SPEED_MIN", "ReplayLink", "ReplaySink", "ReplayStatus", "check_speed"]

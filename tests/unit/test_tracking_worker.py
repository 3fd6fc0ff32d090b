"""The tracking worker thread with real OpenCV trackers on a real clip and on synthetic scenes.

Two in-test frame sources stand in for the capture worker (same ``wait_newer`` contract):
``LockstepSource`` hands out frames one by one as far as the test has released them, so results
do not depend on CPU speed; ``LiveSource`` plays frames in real time and keeps only the newest,
like a camera, to show that the worker drops rather than queues.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from gcs.core.bus import MessageBus
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.types import BBox, Image, TrackedTarget, TrackState, TrackStateChange
from gcs.core.tracking.worker import STATE_TOPIC, TARGET_TOPIC, TrackingWorker

CUP = Path(__file__).resolve().parents[2].parent / "shared/data/video/opencv_cup.mp4"
CUP_END_BOX = BBox(118, 118, 132, 272)  # the cup at frame 85, placed by hand (see test_tracking_trackers)


@dataclass(frozen=True)
class ClipFrame:
    image: Image
    seq: int
    capture_time_s: float


class LockstepSource:
    """Frames in order, each once, but only up to ``release(n)``; timestamps at ``fps``."""

    def __init__(self, images: list[Image], fps: float = 30.0) -> None:
        self._frames = [ClipFrame(image, i, i / fps) for i, image in enumerate(images)]
        self._released = 0
        self._cond = threading.Condition()

    def release(self, count: int | None = None) -> None:
        with self._cond:
            self._released = len(self._frames) if count is None else count
            self._cond.notify_all()

    def wait_newer(self, seq: int, timeout: float) -> ClipFrame | None:
        with self._cond:
            if not self._cond.wait_for(lambda: seq + 1 < self._released, timeout):
                return None
            return self._frames[seq + 1]


class LiveSource:
    """Plays frames at ``fps`` in its own thread and keeps only the newest, like a capture worker."""

    def __init__(self, images: list[Image], fps: float) -> None:
        self._images, self._period = images, 1.0 / fps
        self._newest: ClipFrame | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._play, daemon=True)

    @property
    def newest_seq(self) -> int:
        with self._cond:
            return self._newest.seq if self._newest else -1

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _play(self) -> None:
        start = time.monotonic()
        for i, image in enumerate(self._images):
            time.sleep(max(0.0, start + i * self._period - time.monotonic()))
            with self._cond:
                self._newest = ClipFrame(image, i, time.monotonic())
                self._cond.notify_all()

    def wait_newer(self, seq: int, timeout: float) -> ClipFrame | None:
        with self._cond:
            ok = self._cond.wait_for(lambda: self._newest is not None and self._newest.seq > seq, timeout)
            return self._newest if ok else None


class Recorder:
    """Collects what the worker publishes (on the worker thread)."""

    def __init__(self, bus: MessageBus) -> None:
        self.targets: list[TrackedTarget] = []
        self.changes: list[TrackStateChange] = []
        bus.subscribe(TARGET_TOPIC, lambda _t, v: self.targets.append(v))
        bus.subscribe(STATE_TOPIC, lambda _t, v: self.changes.append(v))

    def states(self) -> list[tuple[TrackState, TrackState]]:
        return [(c.previous, c.state) for c in self.changes]


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.005)


def done(worker: TrackingWorker, last_seq: int) -> Callable[[], bool]:
    return lambda: worker.latest().frame_seq >= last_seq or worker.latest().state is TrackState.LOST


@pytest.fixture(scope="module")
def cup_frames() -> list[Image]:
    if not CUP.exists():
        pytest.skip(f"test clip {CUP} is missing (../shared/data/video is not checked out)")
    cap = cv2.VideoCapture(str(CUP))
    frames = []
    for _ in range(86):
        ok, frame = cap.read()
        assert ok
        frames.append(frame)
    return frames


# ---- a synthetic scene: a two-colour square on a fixed noise background ------------------------

W, H, SIDE, ROW = 320, 240, 40, 100
_rng = np.random.default_rng(7)
BACKGROUND = cv2.GaussianBlur(_rng.integers(60, 120, (H, W, 3)).astype(np.uint8), (5, 5), 0)


def scene(x: float | None) -> Image:
    """The background with the square's left edge at ``x`` (None: no square)."""
    image = BACKGROUND.copy()
    if x is not None:
        x0 = round(x)
        cv2.rectangle(image, (x0, ROW), (x0 + SIDE - 1, ROW + SIDE - 1), (0, 0, 230), -1)
        cv2.rectangle(image, (x0 + 10, ROW + 10), (x0 + 29, ROW + 29), (0, 230, 230), -1)
    return image


@pytest.fixture
def bus() -> MessageBus:
    return MessageBus()


@pytest.fixture
def running() -> Iterator[list[TrackingWorker]]:
    workers: list[TrackingWorker] = []
    yield workers
    for worker in workers:
        worker.close()


def make(running: list[TrackingWorker], source: Any, **kwargs: Any) -> TrackingWorker:
    worker = TrackingWorker(source, **kwargs)
    running.append(worker)
    return worker


# ---- tests ---------------------------------------------------------------------------------------


def test_click_to_track_follows_the_cup(cup_frames: list[Image], bus: MessageBus, running: list[Any]) -> None:
    rec = Recorder(bus)
    source = LockstepSource(cup_frames, fps=26.8)
    worker = make(running, source, bus=bus, tracker_name="KCF")
    worker.start_click(360, 320)  # the cup's body below the fingers, in frame 0
    source.release()
    wait_until(done(worker, 85))

    assert rec.states()[0] == (TrackState.IDLE, TrackState.LOCKED)
    assert [t.frame_seq for t in rec.targets] == list(range(86))  # lockstep: every frame, in order
    assert all(t.state is TrackState.LOCKED for t in rec.targets)
    first, last = rec.targets[0], rec.targets[-1]
    assert first.box == BBox(312, 272, 96, 96)  # 0.2 x 480 px square around the click
    assert last.box is not None
    cx, cy = last.box.centre
    assert CUP_END_BOX.x < cx < CUP_END_BOX.x + CUP_END_BOX.w and CUP_END_BOX.y < cy < CUP_END_BOX.y + CUP_END_BOX.h
    assert cx < 360 - 120  # moved left with the cup
    assert last.tracker == "KCF" and last.latency_ms > 0 and last.fps > 0
    assert last.frame_w == 640 and last.frame_h == 480 and last.frame_time_s == pytest.approx(85 / 26.8)


@pytest.mark.parametrize("name", ["CSRT", "KCF", "MIL", "MedianFlow"])
def test_a_square_leaving_the_frame_is_searched_for_then_lost(name: str, bus: MessageBus, running: list[Any]) -> None:
    # The square moves 6 px per frame; its right edge nears the frame edge at frame 21, it is
    # half out at frame 25 and gone from frame 29 on; 30 fps, lost after 1 s (31 frames).
    xs = [150 + 6 * i for i in range(65)]
    rec = Recorder(bus)
    source = LockstepSource([scene(x) for x in xs])
    worker = make(running, source, bus=bus, tracker_name=name, lost_timeout_s=1.0)
    worker.start_box(BBox(xs[0], ROW, SIDE, SIDE))
    source.release()
    wait_until(done(worker, 64))

    assert worker.latest().state is TrackState.LOST
    seen = {t.frame_seq: t for t in rec.targets}
    lost_at = min(s for s, t in seen.items() if t.state is TrackState.LOST)
    # the last run of SEARCHING (MedianFlow flickers between LOCKED and SEARCHING before it)
    first_search = 1 + max(s for s, t in seen.items() if t.state is TrackState.LOCKED)
    assert 20 <= first_search <= 29, f"{name} noticed the exit at frame {first_search}"
    assert lost_at == first_search + 30  # the 31st refused frame: > 30 frames and > 1.0 s
    assert all(t.state is TrackState.SEARCHING for s, t in seen.items() if first_search <= s < lost_at)
    assert all(t.box is None for s, t in seen.items() if s >= first_search)
    while_inside = [t for s, t in seen.items() if s <= 18]
    assert sum(t.state is TrackState.LOCKED for t in while_inside) >= len(while_inside) - 2
    assert rec.states()[-1] == (TrackState.SEARCHING, TrackState.LOST)
    assert rec.changes[-1].reason.startswith("lost after")
    assert max(seen) == lost_at  # once lost, the worker stops tracking and publishing


def test_occlusion_is_bridged_or_lost(bus: MessageBus, running: list[Any]) -> None:
    # The square is hidden for frames 8-15, then visible again 16 px further on.
    images = [scene(100 + 2 * i) if not 8 <= i < 16 else scene(None) for i in range(40)]

    rec = Recorder(bus)
    source = LockstepSource(images)
    mil = make(running, source, bus=bus, tracker_name="MIL")
    mil.start_box(BBox(100, ROW, SIDE, SIDE))
    source.release()
    wait_until(done(mil, 39))
    states = rec.states()
    assert states[:2] == [(TrackState.IDLE, TrackState.LOCKED), (TrackState.LOCKED, TrackState.SEARCHING)]
    assert rec.changes[1].frame_seq == 8  # the occlusion is noticed on its first frame
    # MIL samples at random: most runs re-find the square when it reappears (frame 16), some
    # never do and are LOST after the timeout. Either is honest; a box on the background is not.
    if states[2] == (TrackState.SEARCHING, TrackState.LOCKED):
        # back from frame 18: the square is free from 16 and LOCKED needs 3 plausible updates in a row;
        # MIL's first box on the reappeared square is not always plausible (19 seen once in CI)
        assert len(states) == 3 and 18 <= rec.changes[2].frame_seq <= 21 and rec.changes[-1].reason == "reacquired"
        box = mil.latest().box
        # back on the square: the box centre lies inside it (MIL's re-found box lags by 0-14 px run to run)
        assert box is not None and abs(box.centre[0] - (100 + 2 * 39 + SIDE / 2)) < SIDE / 2
    else:
        assert states[2:] == [(TrackState.SEARCHING, TrackState.LOST)] and mil.latest().box is None
    assert all(t.box is None for t in rec.targets if 8 <= t.frame_seq < 16)  # nothing while hidden

    # CSRT reports failure on the first hidden frame and does not recover by itself: LOST.
    bus2 = MessageBus()
    rec2 = Recorder(bus2)
    source2 = LockstepSource(images)
    csrt = make(running, source2, bus=bus2, tracker_name="CSRT")
    csrt.start_box(BBox(100, ROW, SIDE, SIDE))
    source2.release()
    wait_until(done(csrt, 39))
    assert [(c.frame_seq, c.state) for c in rec2.changes] == [
        (0, TrackState.LOCKED),
        (8, TrackState.SEARCHING),
        (38, TrackState.LOST),
    ]


def test_switch_tracker_restarts_on_the_current_box_and_stop_ends_it(bus: MessageBus, running: list[Any]) -> None:
    xs = [40 + 3 * i for i in range(40)]
    rec = Recorder(bus)
    source = LockstepSource([scene(x) for x in xs])
    worker = make(running, source, bus=bus, tracker_name="KCF")
    worker.start_box(BBox(xs[0], ROW, SIDE, SIDE))
    source.release(15)
    wait_until(lambda: worker.latest().frame_seq == 14)

    worker.switch_tracker("MedianFlow")
    assert worker.tracker_name == "MedianFlow"
    source.release(30)
    wait_until(lambda: worker.latest().frame_seq == 29)
    after = [t for t in rec.targets if t.frame_seq >= 15]
    assert after[0].tracker == "MedianFlow" and after[0].reason == "switched to MedianFlow"
    assert all(t.state is TrackState.LOCKED and t.tracker == "MedianFlow" for t in after)
    box = worker.latest().box
    assert box is not None and math.dist(box.centre, (xs[29] + SIDE / 2, ROW + SIDE / 2)) < 10
    assert (TrackState.LOCKED, TrackState.LOCKED) in rec.states()  # the restart is announced

    worker.stop()
    assert worker.latest().state is TrackState.IDLE and worker.latest().box is None
    assert rec.changes[-1].state is TrackState.IDLE and rec.changes[-1].reason == "stopped by operator"
    published = len(rec.targets)
    source.release(40)
    time.sleep(0.3)
    assert len(rec.targets) == published  # nothing tracked after stop


def test_bad_requests_raise_in_the_callers_thread(running: list[Any]) -> None:
    source = LockstepSource([scene(100)] * 3)
    with pytest.raises(TrackerError, match="unknown tracker 'Nope'"):
        TrackingWorker(source, tracker_name="Nope")
    worker = make(running, source)
    with pytest.raises(TrackerError, match="unknown tracker"):
        worker.switch_tracker("Nope")
    with pytest.raises(TrackerError, match="above its maximum"):
        worker.switch_tracker("CSRT", padding=100.0)
    with pytest.raises(TrackerError, match="empty box"):
        worker.start_box(BBox(10, 10, 0, 10))
    with pytest.raises(TrackerError, match="too small"):
        worker.start_click(10, 10, size_px=2)
    source.release(1)
    wait_until(lambda: worker._frame_size is not None)  # the worker now knows the frame size
    with pytest.raises(TrackerError, match="outside the 320x240 frame"):
        worker.start_box(BBox(400, 10, 20, 20))


def test_a_start_that_fails_on_the_frame_is_reported(bus: MessageBus, running: list[Any]) -> None:
    rec = Recorder(bus)
    source = LockstepSource([scene(100)] * 3)
    worker = make(running, source, bus=bus, tracker_name="KCF")
    worker.start_box(BBox(400, 300, 50, 50))  # frame size not known yet: checked on the frame
    source.release(1)
    wait_until(lambda: bool(rec.changes))
    assert rec.changes == [
        TrackStateChange(
            TrackState.IDLE,
            TrackState.IDLE,
            rec.changes[0].reason,
            "KCF",
            -1,
        )
    ]
    assert rec.changes[0].reason.startswith("could not start: KCF: box")
    assert worker.latest().state is TrackState.IDLE


class FinishedSource:
    """A source whose file has ended: wait_newer answers None at once, forever."""

    def __init__(self) -> None:
        self.calls = 0

    def wait_newer(self, seq: int, timeout: float) -> ClipFrame | None:
        self.calls += 1
        return None


def test_a_finished_source_does_not_make_the_worker_spin(running: list[Any]) -> None:
    source = FinishedSource()
    make(running, source, poll_timeout_s=0.1)
    time.sleep(0.5)
    assert source.calls <= 8  # about one call per poll period, not a busy loop


def test_newest_frame_is_taken_and_late_frames_are_dropped(
    cup_frames: list[Image], bus: MessageBus, running: list[Any]
) -> None:
    # The first 41 cup frames (little motion) there and back, played at 150 fps: faster than any
    # CSRT update (19-90 ms on the machines we know). A queueing worker would process all 82
    # frames and fall ever further behind; this one skips to the newest frame after each update.
    clip = cup_frames[:41] + cup_frames[40::-1]
    source = LiveSource(clip, fps=150.0)
    lags: list[tuple[int, int, float]] = []
    bus.subscribe(TARGET_TOPIC, lambda _t, v: lags.append((v.frame_seq, source.newest_seq - v.frame_seq, v.latency_ms)))
    worker = make(running, source, bus=bus, tracker_name="CSRT")
    worker.start_box(BBox(305, 125, 110, 258))
    source.start()
    source.join()
    wait_until(lambda: worker.latest().frame_seq == len(clip) - 1, timeout_s=10.0)  # the newest, at last

    seqs = [seq for seq, _, _ in lags]
    assert seqs == sorted(set(seqs)), "frames were processed twice or out of order"
    assert len(seqs) < 0.75 * len(clip), f"processed {len(seqs)} of {len(clip)} frames: nothing dropped"
    assert any(b - a > 1 for a, b in itertools.pairwise(seqs))
    # frames that arrived while an update ran are skipped, not owed: the lag is bounded by one update
    for _, lag, latency_ms in lags:
        assert lag <= latency_ms * 150.0 / 1000.0 + 8
    latest = worker.latest()
    assert latest.state is TrackState.LOCKED
    assert latest.fps > 0.0 and latest.latency_ms > 0.0


def test_a_start_can_be_waited_for_and_says_why_it_failed(bus: MessageBus, running: list[Any]) -> None:
    # what a smart click's answer is built on: the first result of this very start
    source = LockstepSource([scene(150)] * 5)
    worker = make(running, source, bus=bus, tracker_name="CSRT")
    request = worker.start_box(BBox(150, ROW, SIDE, SIDE))
    assert worker.wait_started(request, 0.05) is None  # no frame yet: no outcome
    source.release(1)
    outcome = worker.wait_started(request, 10)
    assert outcome is not None and outcome.state is TrackState.LOCKED and outcome.box == BBox(150, ROW, SIDE, SIDE)

    refused = worker.start_box(BBox(W - 2, ROW, 40, 40))  # 2 px inside: nothing usable to start on
    source.release(2)
    outcome = worker.wait_started(refused, 10)
    assert outcome is not None and outcome.state is TrackState.IDLE
    assert outcome.reason.startswith("could not start") and "no usable part" in outcome.reason

    replaced = worker.start_click(170, ROW + 20)
    worker.stop()  # the start is dropped before any frame: its outcome will never come
    assert worker.wait_started(replaced, 1.0) is None


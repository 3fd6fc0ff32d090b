"""JpegFanout: one encode per frame shared by all consumers, newest-only slots, adaptive quality."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gcs.core.video.capture import CaptureWorker
from gcs.core.video.encoder import JpegFanout
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import EncodedFrame
from gcs.core.video.sources import SourceOptions
from tests.conftest import wait_until

VIDEO = Path(__file__).resolve().parents[2].parent / "shared/data/video"


def clip(name: str) -> Path:
    path = VIDEO / name
    if not path.is_file():
        pytest.skip(f"test clip {path} is missing (shared data not mounted)")
    return path


@pytest.fixture
def capture() -> Iterator[CaptureWorker]:
    """The real 10 fps pedestrian clip, looping."""
    with CaptureWorker(str(clip("opencv_vtest_first30s.avi")), options=SourceOptions(speed=2.0)) as worker:
        assert worker.wait_newer(0, timeout=5.0) is not None
        yield worker


def collect(fanout: JpegFanout, n_consumers: int, seconds: float) -> list[list[EncodedFrame]]:
    consumers = [fanout.subscribe() for _ in range(n_consumers)]
    got: list[list[EncodedFrame]] = [[] for _ in consumers]
    stop = threading.Event()

    def pull(i: int) -> None:
        while not stop.is_set():
            frame = consumers[i].get(timeout=0.1)
            if frame is not None:
                got[i].append(frame)

    threads = [threading.Thread(target=pull, args=(i,)) for i in range(n_consumers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    for c in consumers:
        fanout.unsubscribe(c)
    stop.set()
    for t in threads:
        t.join()
    return got


def test_ten_consumers_share_one_encode_per_frame(capture: CaptureWorker) -> None:
    with JpegFanout(capture) as fanout:
        got = collect(fanout, 10, 1.5)
        stats = fanout.stats()
    seqs = {f.seq for frames in got for f in frames}
    assert len(seqs) >= 10
    # One encode per distinct frame (not one per consumer): the only slack is a last frame encoded
    # while the consumers were unsubscribing, which nobody pulled.
    assert stats.encodes == stats.frames_encoded
    assert len(seqs) <= stats.encodes <= len(seqs) + 1
    by_seq: dict[int, set[int]] = {}
    for frames in got:
        assert [f.seq for f in frames] == sorted({f.seq for f in frames})  # no repeats, in order
        for f in frames:
            by_seq.setdefault(f.seq, set()).add(id(f.jpeg))
    assert all(len(ids) == 1 for ids in by_seq.values())  # the very same bytes object for everyone
    assert stats.frames_sent == sum(len(frames) for frames in got)
    assert stats.bytes_sent == sum(len(f.jpeg) for frames in got for f in frames)
    image = cv2.imdecode(np.frombuffer(got[0][0].jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (576, 768, 3)


def test_nothing_is_encoded_without_consumers(capture: CaptureWorker) -> None:
    with JpegFanout(capture) as fanout:
        time.sleep(0.5)
        assert fanout.stats().encodes == 0
        consumer = fanout.subscribe()
        assert consumer.get(timeout=2.0) is not None
        assert fanout.stats().encodes >= 1


def test_identical_frames_are_not_sent_again() -> None:
    options = SourceOptions(loop=False, speed=math.inf)  # 68 frames, decoded as fast as possible
    worker = CaptureWorker(str(clip("opencv_tree_bad_framecount.avi")), options=options)
    with JpegFanout(worker) as fanout:
        consumer = fanout.subscribe()
        worker.start()
        frames = []
        while (frame := consumer.get(timeout=1.0)) is not None:
            frames.append(frame)
        assert worker.finished
        stats = fanout.stats()
        # every frame went out at most once (or was dropped for this slow reader), and the last
        # one is not repeated after the end
        assert len({f.seq for f in frames}) == len(frames)
        assert len(frames) + consumer.stats().dropped == stats.frames_encoded == stats.encodes
        assert frames[-1].seq == worker.stats().captured == 68
        assert consumer.get(timeout=0.3) is None
        assert fanout.stats().encodes == stats.encodes
    worker.stop()


def test_slow_consumer_gets_newest_and_counts_drops(capture: CaptureWorker) -> None:
    with JpegFanout(capture, adaptive=False) as fanout:
        slow = fanout.subscribe()
        first = slow.get(timeout=2.0)
        assert first is not None
        time.sleep(0.8)  # ~16 frames go by
        newest = slow.get(timeout=1.0)
        assert newest is not None and newest.seq > first.seq + 5
        stats = slow.stats()
        assert stats.dropped >= newest.seq - first.seq - 3 and stats.delivered == 2
        assert stats.lag_s >= 0.0


def test_fixed_quality_consumers_get_their_own_encoding(capture: CaptureWorker) -> None:
    with JpegFanout(capture, quality=85, adaptive=False) as fanout:
        low, default = fanout.subscribe(quality=30), fanout.subscribe()
        a, b = low.get(timeout=2.0), default.get(timeout=2.0)
        assert a is not None and b is not None
        assert a.quality == 30 and b.quality == 85 and len(a.jpeg) < len(b.jpeg)
        stats = fanout.stats()
        assert stats.encodes >= stats.frames_encoded + 1  # two qualities in use
    with pytest.raises(VideoError):
        fanout.subscribe(quality=0)


def test_quality_steps_down_for_lagging_consumers_and_back_up() -> None:
    with CaptureWorker("virtual", options=SourceOptions(width=320, height=240, fps=100)) as worker, \
            JpegFanout(worker, quality=80, min_quality=40) as fanout:
        stalled = fanout.subscribe()  # never reads: every frame it is given is dropped
        wait_until(lambda: fanout.quality == 40, 5.0, "quality down to min_quality")
        fanout.unsubscribe(stalled)
        healthy = fanout.subscribe()  # a reader that keeps up
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                healthy.get(timeout=0.1)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            wait_until(lambda: fanout.quality == 80, 5.0, "quality back up")
        finally:
            stop.set()
            reader.join()


def test_snapshot_without_consumers_and_unsubscribe_wakes_a_waiter(capture: CaptureWorker) -> None:
    with JpegFanout(capture) as fanout:
        snap = fanout.snapshot()
        assert snap is not None and (snap.width, snap.height) == (768, 576)
        again = fanout.snapshot()
        assert again is not None and again.seq >= snap.seq
        assert again is snap or again.seq > snap.seq  # one encoding per frame, cached
        consumer = fanout.subscribe()
        done: list[EncodedFrame | None] = []
        consumer.get(timeout=2.0)
        waiter = threading.Thread(target=lambda: done.append(consumer.get(timeout=None)))
        fanout.unsubscribe(consumer)
        waiter.start()
        waiter.join(2.0)
        assert not waiter.is_alive() and done == [None] and consumer.closed

"""The capture-time stamp survives what carries the picture, and a picture without one reads as None."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from gcs.core.video import CaptureWorker
from gcs.core.video.sources import SourceOptions
from gcs.core.video.stamp import GlassMeter, age_ms, crc8, read_stamp, stamp_ms, write_stamp
from tests.conftest import wait_until


def _noise(w: int = 640, h: int = 480, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_round_trip_and_wrap() -> None:
    image = _noise()
    t = 1_797_000_000.123
    assert write_stamp(image, t)
    assert read_stamp(image) == stamp_ms(t)
    assert age_ms(stamp_ms(t), t + 0.0456) == pytest.approx(45.6, abs=1.0)
    wrapped = (1 << 32) / 1000.0  # the millisecond counter wraps: the age is still right
    assert age_ms(stamp_ms(wrapped - 0.010), wrapped + 0.020) == pytest.approx(30, abs=1.0)
    assert age_ms(stamp_ms(t + 0.5), t) == pytest.approx(-500, abs=1.0)  # reader's clock behind


@pytest.mark.parametrize("quality", [40, 80])
def test_survives_jpeg(quality: int) -> None:
    image = _noise(seed=quality)
    write_stamp(image, 1_800_000_000.5)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    assert read_stamp(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)) == stamp_ms(1_800_000_000.5)


def test_survives_h264() -> None:
    av = pytest.importorskip("av")
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "30"}
    decoder = av.CodecContext.create("h264", "r")
    got = []
    for i in range(5):
        image = _noise(seed=i)
        write_stamp(image, 1_800_000_000 + i)
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
        for packet in codec.encode(frame):
            for decoded in decoder.decode(packet):
                got.append(read_stamp(decoded.to_ndarray(format="bgr24")))
    for packet in codec.encode(None):
        for decoded in decoder.decode(packet):
            got.append(read_stamp(decoded.to_ndarray(format="bgr24")))
    assert got == [stamp_ms(1_800_000_000 + i) for i in range(5)]


def test_no_stamp_reads_none() -> None:
    assert read_stamp(_noise()) is None
    assert read_stamp(np.zeros((480, 640, 3), np.uint8)) is None  # all dark
    assert read_stamp(np.full((480, 640, 3), 255, np.uint8)) is None  # all light
    assert crc8(0) != 0 and crc8(0xFFFFFFFF) != 0xFF
    assert read_stamp(np.zeros((10, 10, 3), np.uint8)) is None  # too small
    image = _noise()
    write_stamp(image, 1_800_000_000.0)
    image[-16:, -160:-150] = 255 - image[-16:, -160:-150]  # one block flipped: the CRC refuses it
    assert read_stamp(image) is None


def test_capture_stamps_every_frame_and_meter() -> None:
    with CaptureWorker("virtual", options=SourceOptions(width=320, height=240, fps=30)) as worker:
        worker.latency_stamp = True
        wait_until(lambda: (f := worker.latest()) is not None and read_stamp(f.image) is not None, 10,
                   "a stamped frame")
        frame = worker.latest()
        assert frame is not None
        assert read_stamp(frame.image) == stamp_ms(frame.capture_time_s)
        meter = GlassMeter()
        age = meter.shown(frame.image, time.time())
        assert age is not None and age >= 0
        assert meter.p50_ms() == age

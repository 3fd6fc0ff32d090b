"""Source specs and the real clips in ../shared/data/video: open, sizes, pacing, ends, dead URLs."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.video.errors import VideoError
from gcs.core.video.sources import (
    CameraSource,
    FileSource,
    SourceOptions,
    UrlSource,
    gstreamer_available,
    parse_source,
)
from gcs.core.video.virtual_source import VirtualSource

VIDEO = Path(__file__).resolve().parents[2].parent / "shared/data/video"
# name -> (width, height, fps as the data README gives it)
CLIPS = {
    "opencv_cup.mp4": (640, 480, 26.8),
    "opencv_box.mp4": (640, 480, 30.0),
    "opencv_vtest_first30s.avi": (768, 576, 10.0),
    "opencv_tree_bad_framecount.avi": (320, 240, 15.0),
}
BAD_FRAMECOUNT = "opencv_tree_bad_framecount.avi"


def clip(name: str) -> Path:
    path = VIDEO / name
    if not path.is_file():
        pytest.skip(f"test clip {path} is missing (shared data not mounted)")
    return path


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_each_real_clip_opens_with_its_resolution(name: str) -> None:
    width, height, fps = CLIPS[name]
    source = parse_source(str(clip(name)), SourceOptions(speed=math.inf))
    assert isinstance(source, FileSource)
    info = source.open()
    try:
        assert (info.width, info.height) == (width, height)
        assert info.reported_fps == pytest.approx(fps, rel=0.02)
        assert info.kind == "file" and not info.live
        for _ in range(5):
            image = source.read()
            assert image is not None and image.shape == (height, width, 3)
    finally:
        source.close()


def test_file_plays_at_its_own_frame_rate_not_decode_speed() -> None:
    source = parse_source(str(clip("opencv_vtest_first30s.avi")))  # 10 fps
    info = source.open()
    assert info.nominal_fps == pytest.approx(10.0)
    started = time.monotonic()
    for _ in range(6):
        assert source.read() is not None
    source.close()
    # six frames at 10 fps span five periods; decoding alone takes a few milliseconds
    assert time.monotonic() - started >= 0.45


def test_lying_frame_count_ends_cleanly_without_loop() -> None:
    source = parse_source(str(clip(BAD_FRAMECOUNT)), SourceOptions(loop=False, speed=math.inf))
    info = source.open()
    assert info.frame_count == 444  # what the header claims
    frames = 0
    while source.read() is not None:
        frames += 1
        assert frames < 444
    assert frames == 68 and source.ended
    assert source.read() is None  # stays ended, does not raise
    source.close()


def test_lying_frame_count_loops_past_the_real_end() -> None:
    source = parse_source(str(clip(BAD_FRAMECOUNT)), SourceOptions(loop=True, speed=math.inf))
    source.open()
    assert all(source.read() is not None for _ in range(150))
    assert isinstance(source, FileSource) and source.loops >= 2 and not source.ended
    source.close()


def test_spec_forms_pick_the_right_source(tmp_path: Path) -> None:
    assert isinstance(parse_source("0"), CameraSource)
    assert isinstance(parse_source(2), CameraSource)
    assert isinstance(parse_source("/dev/video3"), CameraSource)
    for url in ("rtsp://10.0.0.2:8554/live", "http://cam.local/stream.mjpg", "udp://@:5600"):
        assert isinstance(parse_source(url), UrlSource)
    assert isinstance(parse_source("virtual"), VirtualSource)
    tilted = parse_source("virtual?seed=2&tilt_deg=60&gimbal=1")
    assert isinstance(tilted, VirtualSource) and tilted.camera.gimbal and tilted.camera.seed == 2
    assert tilted.camera.camera_model().tilt_deg == 60.0
    path = clip(BAD_FRAMECOUNT)
    assert isinstance(parse_source(f"file://{path}"), FileSource)


@pytest.mark.parametrize("spec, words", [
    ("", "empty"),
    ("ftp://host/clip.mp4", "unsupported stream scheme"),
    ("/no/such/clip.mp4", "no such video file"),
    ("virtual?zoom=2", "unknown virtual camera option"),
    ("virtual?seed=x", "bad virtual camera option"),
])
def test_bad_specs_raise_a_clear_error(spec: str, words: str) -> None:
    with pytest.raises(VideoError, match=words):
        parse_source(spec)


def test_gstreamer_pipeline_without_gstreamer_says_so() -> None:
    if gstreamer_available():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(VideoError, match="no GStreamer support"):
        parse_source("videotestsrc ! videoconvert ! appsink")


def test_missing_camera_fails_fast() -> None:
    source = parse_source("97")
    started = time.monotonic()
    with pytest.raises(VideoError, match="cannot open camera"):
        source.open()
    assert time.monotonic() - started < 5.0


def test_dead_urls_fail_within_the_open_timeout(blackhole_port: int) -> None:
    options = SourceOptions(open_timeout_s=1.0, read_timeout_s=1.0)
    for url in (f"http://127.0.0.1:{blackhole_port}/stream.mjpg", f"rtsp://127.0.0.1:{blackhole_port}/live",
                f"udp://127.0.0.1:{blackhole_port}"):  # udp: nothing ever arrives
        source = parse_source(url, options)
        started = time.monotonic()
        with pytest.raises(VideoError, match="cannot open url"):
            source.open()
        assert time.monotonic() - started < 4.0, url
    with socket.socket() as s:  # a port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(VideoError):
        parse_source(f"http://127.0.0.1:{free}/x.mjpg", options).open()


def test_virtual_source_delivers_requested_size() -> None:
    source = parse_source("virtual", SourceOptions(width=320, height=240, fps=60))
    info = source.open()
    assert (info.width, info.height, info.nominal_fps) == (320, 240, 60.0)
    image = source.read()
    assert image is not None and image.shape == (240, 320, 3)
    source.close()

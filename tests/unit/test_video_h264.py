"""H.264 out: the RTP stream on UDP decoded by FFmpeg's own demuxer matches our frames.

Real parts only: the virtual camera through a capture worker, our encoder and RTP output on a
free UDP port of loopback, and on the other side PyAV reading the SDP file the output wrote
(FFmpeg's RTP depacketiser and H.264 decoder, as VLC or ffplay use them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gcs.core.video.capture import CaptureWorker
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Frame
from gcs.core.video.h264 import H264Encoder, H264Settings, h264_available
from gcs.core.video.rtp_out import RtpOutput
from gcs.core.video.sources import SourceOptions, parse_source
from tests.conftest import wait_until
from tests.video_support import MarkedSource, SdpReceiver, free_udp_port, psnr

pytestmark = pytest.mark.skipif(not h264_available(), reason="PyAV with libx264 is not installed")

BOX = (200, 150, 120, 90)


def draw_track(image: np.ndarray, _frame: Frame) -> None:
    """What the tracking overlay draws: a box and a state line (fixed here, so a test can redraw it)."""
    x, y, w, h = BOX
    cv2.rectangle(image, (x, y), (x + w, y + h), (60, 220, 60), 2)
    cv2.putText(image, "CSRT locked", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)


@pytest.fixture
def marked() -> Iterator[tuple[MarkedSource, CaptureWorker]]:
    source = MarkedSource(parse_source("virtual", SourceOptions(width=640, height=480, fps=30)))
    with CaptureWorker(source) as capture:
        assert capture.wait_newer(0, timeout=10.0) is not None
        yield source, capture


def test_the_udp_stream_decodes_to_our_frames_with_the_box_drawn(marked, tmp_path: Path) -> None:
    source, capture = marked
    port = free_udp_port()
    sdp = tmp_path / "stream.sdp"
    encoder = H264Encoder(capture, H264Settings(), overlay=draw_track).start()
    rtp = RtpOutput("127.0.0.1", port, sdp_path=sdp)
    try:
        encoder.add_output(rtp)
        wait_until(lambda: sdp.is_file(), 5, "the SDP file, written at the first keyframe")
        text = sdp.read_bytes().decode()
        assert f"m=video {port} RTP/AVP 96" in text and "H264/90000" in text and "sprop-parameter-sets=" in text
        assert rtp.sdp == text
        receiver = SdpReceiver(sdp).start()  # joins late, as QGC started after us would
        try:
            wait_until(lambda: len(receiver.frames) >= 45 or receiver.error is not None, 15,
                       "45 decoded frames from the UDP stream")
        finally:
            receiver.stop()
        assert receiver.error is None, receiver.error
    finally:
        encoder.stop()
        rtp.close()

    frames = receiver.frames
    assert (frames[0].image.shape[1], frames[0].image.shape[0]) == (640, 480)
    scores = []
    for got in frames:
        reference = source.picture(got.number)
        assert reference is not None, f"decoded frame carries mark {got.number}, which we never made"
        expected = reference.copy()
        draw_track(expected, None)  # type: ignore[arg-type]
        scores.append(psnr(got.image, expected))
    numbers = [f.number for f in frames]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)  # in order, none twice
    assert min(scores) > 30.0, f"PSNR min {min(scores):.1f} dB, median {np.median(scores):.1f} dB"
    x, y, w, _h = BOX
    assert frames[-1].image[y, x + w // 2, 1] > 150  # the overlay's green box is in the picture
    stats = encoder.stats()
    assert stats.frames_encoded >= len(frames) and stats.keyframes >= 2
    assert rtp.error is None and rtp.packets >= len(frames)


def test_nobody_listening_is_fine_and_a_bad_host_is_a_clear_error(marked) -> None:
    _source, capture = marked
    encoder = H264Encoder(capture).start()
    rtp = RtpOutput("127.0.0.1", free_udp_port())  # nobody has this port: UDP does not care
    try:
        encoder.add_output(rtp)
        wait_until(lambda: rtp.packets >= 20, 10, "20 frames sent to a port nobody listens on")
        with pytest.raises(VideoError, match=r"cannot send video to nowhere\.invalid:5600: host not found"):
            RtpOutput("nowhere.invalid", 5600)
        with pytest.raises(VideoError, match="not a UDP port"):
            RtpOutput("127.0.0.1", 70000)
        sent = rtp.packets
        wait_until(lambda: rtp.packets >= sent + 10, 5, "the working output goes on after the refusals")
        assert encoder.outputs() == (rtp,) and rtp.error is None
    finally:
        encoder.stop()
        rtp.close()
    assert encoder.stats().frames_encoded >= 30


def test_encodes_once_for_every_output_and_nothing_without_one(marked) -> None:
    _source, capture = marked
    encoder = H264Encoder(capture).start()
    try:
        time.sleep(0.5)
        assert encoder.stats().frames_encoded == 0  # no output: no encoding
        a, b = RtpOutput("127.0.0.1", free_udp_port()), RtpOutput("127.0.0.1", free_udp_port())
        encoder.add_output(a)
        encoder.add_output(b)
        wait_until(lambda: a.packets >= 30 and b.packets >= 30, 10, "both outputs get frames")
        encoder.remove_output(a)
        a.close()
        before = encoder.stats()
        wait_until(lambda: encoder.stats().frames_encoded >= before.frames_encoded + 15, 5, "b goes on alone")
        stats = encoder.stats()
        assert stats.outputs == (b.name,)
        # one encode per frame however many outputs: the bytes sent to b are the bytes encoded since b joined
        assert b.bytes <= stats.bytes_encoded and b.packets <= stats.frames_encoded
    finally:
        encoder.stop()
    assert b.packets > 0

"""H.264 video out through the service, as a pilot sets it up: config on, QGC's port, live changes.

The real GcsService with the virtual camera; the stream goes to a free UDP port on loopback and is
decoded from the SDP file the service writes in its data dir (FFmpeg's demuxer through PyAV).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gcs.core.service import GcsService
from gcs.core.video.h264 import h264_available
from gcs.core.video_out import SDP_NAME, TOPIC
from tests.conftest import wait_until
from tests.video_support import SdpReceiver, free_udp_port

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not h264_available(), reason="PyAV with libx264 missing")]


def test_stream_on_live_decodes_moves_and_stops_and_a_bad_host_only_says_so(make_service, tmp_path: Path) -> None:
    port = free_udp_port()
    service: GcsService = make_service(None, video__enabled=True, video__rtp_port=port)
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    status = service.video_out_status()
    assert status is not None and status.available and not status.rtp_enabled and not status.streaming
    seen = []
    service.bus.subscribe(TOPIC, lambda _t, st: seen.append(st))

    service.config.set("video", "rtp_enabled", True, source="test")  # applies live
    wait_until(lambda: service.video_out_sdp() is not None, 5, "the stream's SDP")
    status = service.video_out_status()
    assert status.streaming and status.destination == f"127.0.0.1:{port}" and status.error is None
    sdp_file = Path(os.environ["KESTREL_DATA_DIR"]) / SDP_NAME
    assert status.sdp_path == str(sdp_file) and sdp_file.read_bytes().decode() == service.video_out_sdp()
    assert seen and seen[-1].streaming  # published on the bus for the GUI and API

    receiver = SdpReceiver(sdp_file, keep_images=True).start()
    try:
        wait_until(lambda: len(receiver.frames) >= 20 or receiver.error is not None, 15, "20 decoded frames")
    finally:
        receiver.stop()
    assert receiver.error is None, receiver.error
    assert receiver.frames[0].image.shape == (480, 640, 3)

    # a recording meanwhile is H.264 from the same encoder, and the stream goes on
    recording = service.start_video_recording(str(tmp_path / "clip.mp4"))
    assert recording.codec == "h264"
    wait_until(lambda: service.video_recording_status().frames_written >= 20, 10, "frames recorded")
    sent = service.video_out_status().packets_sent
    final = service.stop_video_recording()
    assert final.error is None and final.frames_written >= 20
    wait_until(lambda: service.video_out_status().packets_sent > sent + 10, 5, "the stream goes on")

    service.config.set("video", "rtp_host", "nowhere.invalid", source="test")
    status = service.video_out_status()
    assert not status.streaming and status.error is not None
    assert "cannot send video to nowhere.invalid" in status.error and "host not found" in status.error
    assert service.latest_frame() is not None and service.video_snapshot() is not None  # video goes on

    service.config.set("video", "rtp_host", "127.0.0.1", source="test")
    wait_until(lambda: service.video_out_status().streaming, 5, "the stream is back at a good host")
    assert service.video_out_status().error is None
    service.config.set("video", "rtp_enabled", False, source="test")
    status = service.video_out_status()
    assert not status.streaming and status.error is None and status.encoder is not None
    time.sleep(0.2)  # a frame being encoded as the stream closed finishes
    encoded = service.video_out_status().encoder.frames_encoded
    seq = service.latest_frame().seq
    wait_until(lambda: service.latest_frame().seq > seq + 10, 5, "frames still flow")
    assert service.video_out_status().encoder.frames_encoded == encoded  # no output: no encoding


def test_a_stream_failing_on_the_way_says_why_is_tried_again_and_costs_nothing_else(make_service, tmp_path) -> None:
    # Loopback's broadcast address opens, but the kernel refuses each datagram (EACCES): a real
    # failure of sending, as an unreachable network gives on a field laptop, without leaving loopback.
    service: GcsService = make_service(None, video__enabled=True, video__rtp_enabled=True,
                                       video__rtp_host="127.255.255.255")
    wait_until(lambda: (st := service.video_out_status()) is not None and st.retries >= 2, 10,
               "two retries of the failed stream")
    status = service.video_out_status()
    assert status.error is not None and "sending to 127.255.255.255:5600 failed" in status.error
    assert "Permission denied" in status.error
    recording = service.start_video_recording(str(tmp_path / "clip.mp4"))  # the encoder is fine
    wait_until(lambda: service.video_recording_status().frames_written >= 10, 10, "frames recorded")
    assert service.stop_video_recording().error is None and recording.codec == "h264"
    port = free_udp_port()
    service.config.update("video", {"rtp_host": "127.0.0.1", "rtp_port": port}, source="test")
    wait_until(lambda: service.video_out_status().packets_sent >= 10, 5, "streaming at a good address")
    status = service.video_out_status()
    assert status.streaming and status.error is None and status.retries == 0


def test_refuses_to_send_into_our_own_udp_video_source(make_service) -> None:
    port = free_udp_port()
    service: GcsService = make_service(None, video__enabled=True, video__source=f"udp://@:{port}",
                                       video__rtp_enabled=True, video__rtp_port=port)
    wait_until(lambda: service.video_out_status() is not None, 5, "video pipeline up")
    status = service.video_out_status()
    assert not status.streaming
    assert status.error is not None and "our own video source" in status.error

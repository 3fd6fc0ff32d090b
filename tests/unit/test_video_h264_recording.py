"""H.264 recordings on the shared encoder: a file a standard demuxer opens with its sidecar's
frame count, the RTP stream going on beside it, a full disk failing only the recording, and the
mp4v fallback (with its reason in the log) where PyAV is missing."""

from __future__ import annotations

import csv
import errno
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.video.capture import CaptureWorker
from gcs.core.video.h264 import H264Encoder, h264_available
from gcs.core.video.recorder import VideoRecorder
from gcs.core.video.rtp_out import RtpOutput
from gcs.core.video.sources import SourceOptions, parse_source
from tests.conftest import ROOT, wait_until
from tests.video_support import MarkedSource, free_udp_port, psnr, read_stamp

pytestmark = pytest.mark.skipif(not h264_available(), reason="PyAV with libx264 is not installed")


def probe(path: Path) -> tuple[str, int, int, list]:
    """(codec, frames the header declares, frames decoded, decoded BGR images) as PyAV sees the file."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        images = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
        return stream.codec_context.name, stream.frames, len(images), images


def sidecar_rows(path: str | None) -> list[dict[str, str]]:
    with open(path or "", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def marked() -> Iterator[tuple[MarkedSource, CaptureWorker]]:
    source = MarkedSource(parse_source("virtual", SourceOptions(width=640, height=480, fps=30)))
    with CaptureWorker(source) as capture:
        assert capture.wait_newer(0, timeout=10.0) is not None
        yield source, capture


def test_recording_and_stream_share_one_encode_and_the_file_matches_its_sidecar(marked, tmp_path: Path) -> None:
    source, capture = marked
    encoder = H264Encoder(capture).start()
    rtp = RtpOutput("127.0.0.1", free_udp_port())
    try:
        encoder.add_output(rtp)
        wait_until(lambda: rtp.packets >= 10, 10, "the stream runs")
        recorder = VideoRecorder(capture, encoder=encoder)
        status = recorder.start(tmp_path / "flight.mp4")
        assert status.recording and status.codec == "h264" and (status.width, status.height) == (640, 480)
        wait_until(lambda: recorder.status().frames_written >= 45, 10, "1.5 s recorded")
        final = recorder.stop()
        sent_then = rtp.packets
        wait_until(lambda: rtp.packets >= sent_then + 5, 5, "the stream goes on after the recording")
        stats = encoder.stats()
    finally:
        encoder.stop()
        rtp.close()
    assert final.error is None and not final.recording
    codec, declared, decoded, images = probe(tmp_path / "flight.mp4")
    rows = sidecar_rows(final.sidecar_path)
    assert codec == "h264"
    assert declared == decoded == len(rows) == final.frames_written
    # every frame of the file is the sidecar's frame: its stamp is the capture's, in order
    stamps = [read_stamp(image) for image in images]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert min(psnr(image, source.picture(n)) for image, n in zip(images, stamps, strict=True)) > 30.0
    # one encode for both outputs: the recording's frames are frames the stream also had
    assert final.frames_written + 10 <= stats.frames_encoded < rtp.packets + 5


def test_a_full_disk_fails_the_recording_alone(marked, tmp_path: Path) -> None:
    _source, capture = marked
    disk = tmp_path / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    encoder = H264Encoder(capture).start()
    rtp = RtpOutput("127.0.0.1", free_udp_port())
    try:
        encoder.add_output(rtp)
        recorder = VideoRecorder(capture, encoder=encoder)
        recorder.start(disk / "flight.mp4")
        with (disk / "filler.bin").open("wb", buffering=0) as f:  # fill the disk to the last byte
            chunk = b"\0" * 65536
            while chunk:
                try:
                    f.write(chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    chunk = chunk[: len(chunk) // 2]
        wait_until(lambda: not recorder.recording, 30, "the recording stops on the full disk")
        status = recorder.status()
        sent = rtp.packets
        wait_until(lambda: rtp.packets >= sent + 15, 5, "the stream is untouched by the recording's failure")
        assert encoder.outputs() == (rtp,) and rtp.error is None
    finally:
        encoder.stop()
        rtp.close()
        subprocess.run(["umount", "-l", str(disk)], check=False)
    assert status.error is not None and "No space left on device" in status.error, status


def test_without_pyav_an_mp4_is_recorded_as_mp4v_and_the_log_says_why(tmp_path: Path) -> None:
    script = f"""
import logging, sys, time
sys.modules["av"] = None  # what a machine where PyAV failed to install looks like to an import
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
from gcs.core.video.capture import CaptureWorker
from gcs.core.video.recorder import VideoRecorder
from gcs.core.video.sources import SourceOptions
with CaptureWorker("virtual", options=SourceOptions(width=320, height=240, fps=30)) as capture:
    capture.wait_newer(0, timeout=10)
    recorder = VideoRecorder(capture)
    recorder.start({str(tmp_path / "old.mp4")!r})
    time.sleep(0.5)
    status = recorder.stop()
print("RESULT", status.codec, status.frames_written, status.error)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    codec, frames, error = done.stdout.split("RESULT ")[1].split()
    assert codec == "mp4v" and int(frames) >= 5 and error == "None"
    assert "recording" in done.stderr and "as mp4v through OpenCV, not H.264: PyAV is not installed" in done.stderr
    import cv2

    video = cv2.VideoCapture(str(tmp_path / "old.mp4"))
    count = 0
    while video.read()[0]:
        count += 1
    assert count == int(frames) == len(sidecar_rows(str(tmp_path / "old.frames.csv")))

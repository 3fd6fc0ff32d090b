"""Glass-to-glass latency of the H.264 RTP stream (what QGC plays) beside MJPEG over HTTP, and
the CPU each costs, in the same run.

The server is the real program in this process: GcsService flying its simulator in offboard at
5 m (the commander streaming setpoints at 20 Hz, the virtual camera at 640x480/30 fps rendering
from the live pose) and the API on loopback. Each picture the camera renders is stamped with its
number (blocks along the bottom edge, tests/video_support.py) and the time it was read;
receivers in another process decode the stream, read the number back and note when the picture
was ready, so glass-to-glass = decoded - read (CLOCK_MONOTONIC is one clock for all processes).

Rounds, one after another, each with its own receiver process:
- camera only: the CPU of rendering + capture, subtracted from the others;
- RTP, marker-bit receiver: RFC 6184 depacketised on the RTP marker bit (the last packet of a
  frame), as GStreamer's rtph264depay does in QGroundControl, then FFmpeg's H.264 decoder;
- RTP, FFmpeg SDP receiver: FFmpeg's own RTP demuxer reading our SDP file (VLC, ffplay). Its
  H.264 parser ends a frame only when the next one starts, so it shows each frame one frame late;
- MJPEG over HTTP: ``GET /video_feed``, each JPEG decoded with OpenCV.
Each round also notes the worst gap between setpoints the simulator received: the encoder must
never hold up the setpoint stream. Then a few seconds of the RTP stream decoded in this process
give the PSNR against the stamped source pictures. Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit, machine, percentile, row  # noqa: E402

RTP_HEADER = 12


# ---- receivers (child process) ---------------------------------------------------------------


def _rtp_marker(args: dict[str, Any], until: float) -> list[tuple[int, float]]:
    """Depacketise H.264 on the RTP marker bit (RFC 6184: single NAL, STAP-A, FU-A) and decode."""
    import av

    from tests.video_support import read_stamp

    codec = av.CodecContext.create("h264", "r")
    codec.thread_type = "SLICE"
    codec.flags |= av.codec.context.Flags.low_delay
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", args["port"]))
    sock.settimeout(0.5)
    got: list[tuple[int, float]] = []
    unit, last_seq, broken = bytearray(), None, False
    start = b"\x00\x00\x00\x01"
    while time.monotonic() < until:
        try:
            packet = sock.recv(65536)
        except TimeoutError:
            continue
        csrc = packet[0] & 0x0F
        seq, marker = int.from_bytes(packet[2:4], "big"), bool(packet[1] & 0x80)
        broken |= last_seq is not None and seq != (last_seq + 1) & 0xFFFF
        last_seq = seq
        payload = packet[RTP_HEADER + 4 * csrc :]
        kind = payload[0] & 0x1F
        if kind == 28:  # FU-A
            if payload[1] & 0x80:
                unit += start + bytes([(payload[0] & 0xE0) | (payload[1] & 0x1F)])
            unit += payload[2:]
        elif kind == 24:  # STAP-A
            i = 1
            while i + 2 <= len(payload):
                size = int.from_bytes(payload[i : i + 2], "big")
                unit += start + payload[i + 2 : i + 2 + size]
                i += 2 + size
        else:
            unit += start + payload
        if not marker:
            continue
        data, unit = bytes(unit), bytearray()
        if broken:  # a lost packet: skip the frame (the next keyframe repairs the picture)
            broken = False
            continue
        try:
            frames = codec.decode(av.Packet(data))
        except av.error.InvalidDataError:
            continue  # joined mid-stream: nothing to decode until the first keyframe
        for frame in frames:
            got.append((read_stamp(frame.to_ndarray(format="bgr24")), time.monotonic()))
    sock.close()
    return got


def _rtp_sdp(args: dict[str, Any], until: float) -> list[tuple[int, float]]:
    from tests.video_support import SdpReceiver

    receiver = SdpReceiver(Path(args["sdp"]), keep_images=False).start()
    time.sleep(max(0.0, until - time.monotonic()))
    receiver.stop()
    if receiver.error is not None:
        raise RuntimeError(f"SDP receiver: {receiver.error!r}")
    return [(f.number, f.at) for f in receiver.frames]


def _mjpeg(args: dict[str, Any], until: float) -> list[tuple[int, float]]:
    import cv2
    import numpy as np

    from tests.video_support import read_stamp

    sock = socket.create_connection((args["host"], args["http_port"]))
    sock.sendall(f"GET /video_feed?token={args['token']} HTTP/1.1\r\nHost: {args['host']}\r\n\r\n".encode())
    sock.settimeout(1.0)
    buf, got = b"", []
    while time.monotonic() < until:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        if not chunk:
            break
        buf += chunk
        while True:
            head = buf.find(b"Content-Length: ")
            end = buf.find(b"\r\n\r\n", head) if head >= 0 else -1
            if end < 0:
                break
            size = int(buf[head + 16 : buf.find(b"\r\n", head)])
            if len(buf) < end + 4 + size:
                break
            jpeg, buf = buf[end + 4 : end + 4 + size], buf[end + 4 + size :]
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            got.append((read_stamp(image), time.monotonic()))
    sock.close()
    return got


def _receiver_main(kind: str, args: dict[str, Any], queue: Any) -> None:
    sys.path.insert(0, str(ROOT))
    until = time.monotonic() + args["warmup_s"] + args["seconds"]
    cpu0 = time.process_time()
    try:
        got = {"rtp-marker": _rtp_marker, "rtp-sdp": _rtp_sdp, "mjpeg": _mjpeg}[kind](args, until)
        queue.put({"frames": got, "client_cpu_s": time.process_time() - cpu0, "error": None})
    except Exception as exc:  # noqa: BLE001 - the bench reports it
        queue.put({"frames": [], "client_cpu_s": 0.0, "error": repr(exc)})


# ---- server (this process) -------------------------------------------------------------------


def _setpoints(sim: Any, start: float, end: float) -> dict[str, Any]:
    from bench.bench_api_attack import worst_gap

    times = [s.time_s for s in sim.received_setpoints()]
    return {"setpoint_gap_ms": round(1e3 * worst_gap(times, start, end), 1),
            "setpoints_per_s": round(sum(1 for t in times if start <= t <= end) / (end - start), 1)}


def _round(kind: str, args: dict[str, Any], read_at: dict[int, float], sim: Any) -> dict[str, Any]:
    seconds, warmup = args["seconds"], args["warmup_s"]
    if kind == "camera":
        time.sleep(warmup)
        cpu0, wall0, mono0 = time.process_time(), time.perf_counter(), time.monotonic()
        time.sleep(seconds)
        return {"round": kind, "server_cpu_pct": 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0),
                **_setpoints(sim, mono0, time.monotonic())}
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    started = time.monotonic()
    proc = ctx.Process(target=_receiver_main, args=(kind, args, queue))
    proc.start()
    time.sleep(1.0 + warmup)  # spawn (~1 s), then the receiver settles (a keyframe at most 1 s away)
    cpu0, wall0, mono0 = time.process_time(), time.perf_counter(), time.monotonic()
    time.sleep(max(0.5, seconds - 1.5))
    cpu1, wall1, mono1 = time.process_time(), time.perf_counter(), time.monotonic()
    outcome = queue.get(timeout=60)
    proc.join(timeout=30)
    measured_from = started + 1.0 + warmup
    latencies = [(at - read_at[n]) * 1e3 for n, at in outcome["frames"] if n in read_at and at >= measured_from]
    return {
        "round": kind,
        "frames": len(latencies),
        "fps_received": round(len(latencies) / seconds, 1),  # about: the receiver's window is ~seconds long
        "latency_p50_ms": round(percentile(latencies, 0.5), 1),
        "latency_p99_ms": round(percentile(latencies, 0.99), 1),
        "latency_mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "server_cpu_pct": 100 * (cpu1 - cpu0) / (wall1 - wall0),
        "client_cpu_pct": round(100 * outcome["client_cpu_s"] / (seconds + warmup), 1),
        **_setpoints(sim, mono0, mono1),
        "error": outcome["error"],
    }


def _psnr(source: Any, sdp: Path, seconds: float) -> dict[str, Any]:
    from tests.video_support import SdpReceiver, psnr

    source.keep = 150
    receiver = SdpReceiver(sdp, keep_images=True).start()
    time.sleep(seconds)
    receiver.stop()
    scores = []
    for f in receiver.frames:
        picture = source.picture(f.number)
        if picture is not None:
            scores.append(psnr(f.image[28:], picture[28:]))  # below the overlay's state line (not in the source)
    source.keep = 0
    return {"frames": len(scores), "psnr_min_db": round(min(scores), 1) if scores else None,
            "psnr_median_db": round(statistics.median(scores), 1) if scores else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured time per round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kestrel-bench-h264-"))
    os.environ.setdefault("KESTREL_DATA_DIR", str(folder / "data"))
    os.environ.setdefault("KESTREL_CONFIG_DIR", str(folder / "config"))
    figures: dict[str, Any] = {"machine": machine()}
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import Role, TokenAuthority
    from gcs.core.bus import Topics
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService
    from gcs.core.video.sources import SourceOptions, parse_source
    from gcs.core.video_out import SDP_NAME
    from tests.video_support import MarkedSource, free_udp_port

    store = ConfigStore(folder / "config.yaml")
    store.load()
    store.set("api", "rate_limit_per_minute", 100000, source="bench")
    store.set("video", "enabled", False, source="bench")  # started below on the stamped camera
    store.set("video", "latency_stamp", False, source="bench")  # PSNR against MarkedSource's own pictures
    port = free_udp_port()
    store.set("video", "rtp_port", port, source="bench")
    service = GcsService(store)
    service.start()
    from bench.bench_api_attack import fly

    sim = fly(service)
    v = store.current.video
    camera = parse_source("virtual", SourceOptions(width=v.width, height=v.height, fps=v.fps),
                          pose_provider=lambda: service.bus.latest(Topics.VEHICLE_STATE))
    source = MarkedSource(camera, keep=0)
    service.vision.start(source)
    authority = TokenAuthority("bench-secret-" + "x" * 40)
    server = ApiServer(create_app(service, authority), port=0)
    server.start()
    host, http_port = server.url.removeprefix("http://").split(":")
    deadline = time.monotonic() + 15
    while service.latest_frame() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    args = {"port": port, "host": host, "http_port": int(http_port),
            "token": authority.create(Role.VIEWER, ttl_hours=1),
            "sdp": str(Path(os.environ["KESTREL_DATA_DIR"]) / SDP_NAME), "seconds": opts.seconds,
            "warmup_s": opts.warmup}
    rounds = [_round("camera", args, source.read_at, sim)]
    store.set("video", "rtp_enabled", True, source="bench")
    deadline = time.monotonic() + 5
    while service.video_out_sdp() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    rounds.append(_round("rtp-marker", args, source.read_at, sim))
    rounds.append(_round("rtp-sdp", args, source.read_at, sim))
    h264 = service.video_out_status()
    quality = _psnr(source, Path(args["sdp"]), 3.0)
    store.set("video", "rtp_enabled", False, source="bench")
    rounds.append(_round("mjpeg", args, source.read_at, sim))
    capture, jpeg = service.video_stats()
    server.stop()
    service.close()

    camera_cpu = rounds[0]["server_cpu_pct"]
    for r in rounds:
        r["server_cpu_pct"] = round(r["server_cpu_pct"], 1)
        if r["round"] != "camera":
            r["stream_cpu_pct"] = round(r["server_cpu_pct"] - camera_cpu, 1)
    by = {r["round"]: r for r in rounds}
    enc = h264.encoder if h264 is not None else None
    figures.update({
        "source": f"virtual camera {capture.width}x{capture.height}, {capture.fps:.1f} fps measured",
        "h264": {"preset": v.h264_preset, "bitrate_max_kbps": v.h264_bitrate_kbps,
                 "keyframe_interval_s": v.h264_keyframe_interval_s,
                 "encode_ms": round(enc.encode_ms, 2) if enc else None,
                 "kbit_per_s": round(enc.bytes_encoded * 8 / 1000 / max(1, enc.frames_encoded) * capture.fps)
                 if enc else None,
                 "frames_dropped": enc.frames_dropped if enc else None},
        "jpeg_quality": jpeg.quality,
        "rounds": rounds,
        "quality": quality,
    })
    rtp, sdp, mj = by["rtp-marker"], by["rtp-sdp"], by["mjpeg"]
    figures["headline"] = [
        row("H.264 RTP glass-to-glass p50 (marker-bit receiver, as QGC)", rtp["latency_p50_ms"], "ms",
            baseline="MJPEG over HTTP p50", baseline_value=mj["latency_p50_ms"]),
        row("H.264 RTP glass-to-glass p99", rtp["latency_p99_ms"], "ms",
            baseline="MJPEG over HTTP p99", baseline_value=mj["latency_p99_ms"]),
        row("H.264 RTP p50 through FFmpeg's SDP demuxer (VLC/ffplay)", sdp["latency_p50_ms"], "ms",
            baseline="marker-bit receiver", baseline_value=rtp["latency_p50_ms"]),
        row("H.264 RTP server CPU above the camera", rtp["stream_cpu_pct"], "% of a core",
            baseline="MJPEG, 1 client", baseline_value=mj["stream_cpu_pct"]),
        row("H.264 PSNR vs source frame (min)", quality["psnr_min_db"], "dB"),
        row("worst setpoint gap, H.264 RTP streaming", rtp["setpoint_gap_ms"], "ms",
            baseline="camera only", baseline_value=by["camera"]["setpoint_gap_ms"]),
    ]
    emit(figures, opts.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

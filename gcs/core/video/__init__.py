"""Video core: sources, capture with health and reconnect, encode-once JPEG fan-out, recorder.

    capture = CaptureWorker("rtsp://192.168.1.10/live", bus=bus).start()
    fanout = JpegFanout(capture).start()
    client = fanout.subscribe()
    jpeg = client.get(timeout=1.0)          # newest frame this client has not had yet

Frame -> capture -> {display, tracker, encoder -> {MJPEG, WS, snapshot}, recorder}
"""

from __future__ import annotations

from gcs.core.video.capture import HEALTH_TOPIC, CaptureWorker
from gcs.core.video.encoder import Consumer, ConsumerStats, FanoutStats, JpegFanout
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import (
    CaptureStats,
    EncodedFrame,
    Frame,
    HealthEvent,
    SourceInfo,
    VideoHealth,
)
from gcs.core.video.recorder import RecorderStatus, VideoRecorder
from gcs.core.video.sources import SourceOptions, VideoSource, gstreamer_available, parse_source

__all__ = [
    "HEALTH_TOPIC",
    "CaptureStats",
    "CaptureWorker",
    "Consumer",
    "ConsumerStats",
    "EncodedFrame",
    "FanoutStats",
    "Frame",
    "HealthEvent",
    "JpegFanout",
    "RecorderStatus",
    "SourceInfo",
    "SourceOptions",
    "VideoError",
    "VideoHealth",
    "VideoRecorder",
    "VideoSource",
    "gstreamer_available",
    "parse_source",
]

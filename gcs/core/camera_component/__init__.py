"""Kestrel as a MAVLink camera with tracking, so stock QGroundControl can click a target for us.

``component`` answers the camera protocol and the tracking commands on its own thread;
``messages`` builds what it sends from a snapshot of the video and the tracker.
"""

from gcs.core.camera_component.component import CameraComponent, PointTracker
from gcs.core.camera_component.messages import CameraView, StreamDescription

__all__ = ["CameraComponent", "CameraView", "PointTracker", "StreamDescription"]

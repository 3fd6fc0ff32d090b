"""Kestrel GCS: a ground-control station for camera drones."""

__version__ = "0.1.0"

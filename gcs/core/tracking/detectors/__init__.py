"""YOLO detector backends behind one protocol: ultralytics (reference, needs torch) and onnxruntime.

Importing this package imports neither torch, ultralytics nor onnxruntime: a backend's runtime is
loaded by ``create_detector`` when a model is actually loaded.
"""

from gcs.core.tracking.detectors.base import Detection, Detector, DetectorOptions
from gcs.core.tracking.detectors.factory import available_backends, create_detector, demo_model_path

__all__ = ["Detection", "Detector", "DetectorOptions", "available_backends", "create_detector", "demo_model_path"]

"""Both detector backends on the shipped demo model, against virtual-camera ground truth.

Real inference, no mocks: every frame is rendered fresh from a ground seed and poses the model
never saw in training. Each model is loaded once for the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from gcs.core.tracking.detectors import create_detector, demo_model_path
from gcs.core.tracking.detectors.base import Detection, Detector, resolve_classes
from gcs.core.tracking.detectors.factory import available_backends, model_dir, resolve_backend
from gcs.core.tracking.detectors.onnx_backend import decode, letterbox
from gcs.core.tracking.errors import TrackerError
from tests.unit.smart_scene import Shot, aimed_shots, best_match, countable

ROOT = Path(__file__).resolve().parents[2]
ONNX_MODEL = model_dir() / "kestrel_demo_yolov8n.onnx"
PT_MODEL = model_dir() / "kestrel_demo_yolov8n.pt"


@pytest.fixture(scope="module")
def shots() -> list[Shot]:
    return aimed_shots(16)


@pytest.fixture(scope="module")
def ort_detector() -> Detector:
    pytest.importorskip("onnxruntime", reason="onnxruntime backend not installed")
    return create_detector("onnxruntime", ONNX_MODEL)


@pytest.fixture(scope="module")
def ul_detector() -> Detector:
    pytest.importorskip("ultralytics", reason="ultralytics backend not installed")
    return create_detector("ultralytics", PT_MODEL)


def _score(detector: Detector, shots: list[Shot]) -> tuple[float, float, float]:
    """(recall at IoU 0.5, mean IoU of the found, false positives per frame) over countable targets."""
    found, total, ious, false_pos = 0, 0, [], 0
    for shot in shots:
        detections = detector.detect(shot.image)
        used: set[int] = set()
        for truth in countable(shot.truth):
            total += 1
            match, iou = best_match(truth, detections)
            if match is not None and iou >= 0.5:
                found += 1
                ious.append(iou)
                used.add(id(match))
        # a detection overlapping no truth at all (small truths included) is a false positive
        boxes = [tuple(map(float, t.box)) for t in shot.truth]
        for d in detections:
            if id(d) not in used and all(d.box.iou(type(d.box)(*b)) < 0.3 for b in boxes):
                false_pos += 1
    assert total >= 20, f"the test scenes show too few targets ({total})"
    return found / total, float(np.mean(ious)) if ious else 0.0, false_pos / len(shots)


@pytest.mark.parametrize("which", ["onnxruntime", "ultralytics"])
def test_shipped_model_finds_the_targets_in_unseen_frames(which: str, shots: list[Shot],
                                                          request: pytest.FixtureRequest) -> None:
    detector: Detector = request.getfixturevalue("ort_detector" if which == "onnxruntime" else "ul_detector")
    assert detector.labels == ("car", "person")
    recall, mean_iou, fp_per_frame = _score(detector, shots)
    assert recall >= 0.85, f"{which}: recall {recall:.2f}"
    assert mean_iou >= 0.7, f"{which}: mean IoU {mean_iou:.2f}"
    assert fp_per_frame <= 0.5, f"{which}: {fp_per_frame:.2f} false positives per frame"


def test_backends_agree_on_the_same_frame(ort_detector: Detector, ul_detector: Detector, shots: list[Shot]) -> None:
    compared = 0
    for shot in shots[:8]:
        a, b = ort_detector.detect(shot.image), ul_detector.detect(shot.image)
        assert abs(len(a) - len(b)) <= 1
        for det in a:
            if det.score < 0.5:
                continue  # a box right at the threshold may fall on either side of it in the other runtime
            twin = max(b, key=lambda d: d.box.iou(det.box))
            assert twin.cls == det.cls and twin.box.iou(det.box) > 0.8, (det, twin)
            assert abs(twin.score - det.score) < 0.1
            compared += 1
    assert compared >= 8


def test_class_filter_keeps_only_the_named_classes(ort_detector: Detector, shots: list[Shot]) -> None:
    people_only = create_detector("onnxruntime", ONNX_MODEL, classes=["person"])
    every = [d for s in shots[:8] for d in ort_detector.detect(s.image)]
    people = [d for s in shots[:8] for d in people_only.detect(s.image)]
    assert {d.label for d in every} == {"car", "person"}
    assert people and {d.label for d in people} == {"person"}
    with pytest.raises(TrackerError, match=r"no class 'truck'.*car, person"):
        create_detector("onnxruntime", ONNX_MODEL, classes=["truck"])
    assert resolve_classes(["Person", 0], ("car", "person")) == frozenset({0, 1})


def test_missing_model_or_wrong_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match=r"model not found: .*nope\.onnx.*smart mode stays off"):
        create_detector("onnxruntime", tmp_path / "nope.onnx")
    with pytest.raises(TrackerError, match=r"model not found"):
        create_detector("auto", tmp_path / "nope.pt")
    with pytest.raises(TrackerError, match=r"loads \.onnx models, not .*\.pt.*yolo export"):
        create_detector("onnxruntime", PT_MODEL)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(TrackerError, match=r"could not load broken\.onnx"):
        create_detector("onnxruntime", broken)
    with pytest.raises(TrackerError, match="unknown detector backend 'tflite'"):
        create_detector("tflite", ONNX_MODEL)


def test_auto_picks_by_model_and_the_shipped_models_exist() -> None:
    found = available_backends()
    assert resolve_backend("auto") == found[0] == "onnxruntime"  # light, no torch import
    assert resolve_backend("auto", ONNX_MODEL) == "onnxruntime"
    if "ultralytics" in found:
        assert resolve_backend("auto", PT_MODEL) == "ultralytics"  # only ultralytics loads a .pt
    assert demo_model_path("onnxruntime") == ONNX_MODEL
    for path in (ONNX_MODEL, PT_MODEL):
        assert path.is_file() and path.stat().st_size < 15e6


def test_letterbox_and_decode_map_boxes_back_to_frame_pixels() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    padded, scale, (left, top) = letterbox(image, (320, 320))
    assert padded.shape == (320, 320, 3) and scale == 0.5 and (left, top) == (0.0, 40.0)
    assert padded[0, 0].tolist() == [114, 114, 114] and padded[200, 160].tolist() == [0, 0, 0]
    # two overlapping "car" anchors and one "person": NMS keeps the better car and the person
    out = np.zeros((1, 6, 3), np.float32)
    out[0, :, 0] = [100, 100, 20, 10, 0.9, 0.1]
    out[0, :, 1] = [101, 100, 20, 10, 0.8, 0.1]
    out[0, :, 2] = [200, 150, 8, 16, 0.05, 0.7]
    boxes, scores, classes = decode(out, 2, 0.4, None, 0.7)
    assert classes.tolist() == [0, 1] and scores.tolist() == pytest.approx([0.9, 0.7])
    assert boxes[0].tolist() == pytest.approx([90, 95, 20, 10])
    assert decode(out, 2, 0.4, frozenset({1}), 0.7)[2].tolist() == [1]


def test_onnxruntime_backend_runs_without_torch() -> None:
    pytest.importorskip("onnxruntime")
    code = (
        "import sys, numpy as np\n"
        "from gcs.core.tracking.detectors import create_detector\n"
        "from tests.unit.smart_scene import aimed_shots\n"
        "shot = aimed_shots(1)[0]\n"
        f"d = create_detector('onnxruntime', {str(ONNX_MODEL)!r})\n"
        "found = d.detect(shot.image)\n"
        "print(len(found), 'torch' in sys.modules, 'ultralytics' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         check=True)
    count, torch_loaded, ultralytics_loaded = out.stdout.split()
    assert int(count) >= 1 and torch_loaded == "False" and ultralytics_loaded == "False", out.stdout


def test_ultralytics_backend_never_touches_the_network(tmp_path: Path) -> None:
    pytest.importorskip("ultralytics")
    code = (
        "import socket\n"
        "tries = []\n"
        "def refuse(*a, **k): tries.append(a); raise OSError('network used')\n"
        "socket.getaddrinfo = refuse; socket.create_connection = refuse; socket.socket.connect = refuse\n"
        "from gcs.core.tracking.detectors import create_detector\n"
        "from tests.unit.smart_scene import aimed_shots\n"
        f"d = create_detector('ultralytics', {str(PT_MODEL)!r})\n"
        "print(len(tries), len(d.detect(aimed_shots(1)[0].image)), len(tries))\n"
    )
    env = {**os.environ, "YOLO_CONFIG_DIR": str(tmp_path / "yolo")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    tries_loading, found, tries_after = map(int, out.stdout.split()[-3:])
    assert (tries_loading, tries_after) == (0, 0) and found >= 1, out.stdout
    assert (tmp_path / "yolo" / "Ultralytics" / "Arial.ttf").is_file()  # the local font, not a download


def test_opencv_still_has_the_contrib_trackers() -> None:
    # ultralytics installs opencv-python over the contrib build; a broken install must fail here
    assert hasattr(cv2, "TrackerCSRT_create")


def test_detection_is_a_plain_value() -> None:
    from gcs.core.tracking.types import BBox

    d = Detection(BBox(1, 2, 3, 4), 1, "person", 0.5)
    assert d == Detection(BBox(1, 2, 3, 4), 1, "person", 0.5) and d.label == "person"

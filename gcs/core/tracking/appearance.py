"""Does the tracker's box still look like the target? A colour-histogram check for plausibility.

Geometry alone misses the commonest classic-tracker failure: after the target leaves the frame or
is occluded, MIL (and sometimes KCF) keep reporting ok with a box parked on the background, with
no jump and no size change. Comparing the box's colour distribution with the target's catches
that. A coarse HSV histogram (8 hue x 4 saturation x 4 value bins) ignores where the pixels are,
so a target that rotates or deforms keeps its score; on OpenCV's cup clip the tracked cup scored
0.72-0.95 (Bhattacharyya similarity) while background patches of the same size scored 0.18-0.30.

The reference is the box at selection, blended slowly (``learn_rate``) with confidently tracked
boxes so gradual lighting changes are followed; a box below ``learn_above`` never teaches it, so
the model cannot drift onto the background it is meant to reject.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gcs.core.tracking.types import BBox, Image

Signature = npt.NDArray[np.float32]
_HSV_BINS = [8, 4, 4]
_HSV_RANGES = [0, 180, 0, 256, 0, 256]
_GREY_BINS = [32]
_GREY_RANGES = [0, 256]
_MIN_SIDE_PX = 2


def signature(image: Image, box: BBox) -> Signature | None:
    """The normalised colour histogram of the part of ``box`` inside ``image``; None if too small."""
    height, width = image.shape[:2]
    x, y, w, h = box.clamp(width, height).as_int_rect()
    w, h = min(w, width - x), min(h, height - y)
    if w < _MIN_SIDE_PX or h < _MIN_SIDE_PX:
        return None
    patch = image[y : y + h, x : x + w]
    if patch.ndim == 3 and patch.shape[2] == 3:
        hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, _HSV_BINS, _HSV_RANGES)
    else:
        grey = patch if patch.ndim == 2 else patch[:, :, 0]
        hist = cv2.calcHist([grey], [0], None, _GREY_BINS, _GREY_RANGES)
    total = float(hist.sum())
    if total <= 0:
        return None
    result: Signature = (hist / total).astype(np.float32)
    return result


def similarity(a: Signature, b: Signature) -> float:
    """1 - Bhattacharyya distance: 1 for identical colour distributions, 0 for disjoint ones."""
    if a.shape != b.shape:
        return 0.0
    distance = float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
    return max(0.0, min(1.0, 1.0 - distance))


class AppearanceModel:
    """The target's reference signature; owned by one thread (the tracking worker)."""

    def __init__(self, learn_rate: float = 0.05, learn_above: float = 0.6) -> None:
        self._learn_rate = learn_rate
        self._learn_above = learn_above
        self._reference: Signature | None = None
        self._candidate: tuple[Signature, float] | None = None

    @property
    def ready(self) -> bool:
        return self._reference is not None

    def reset(self, image: Image, box: BBox) -> None:
        """Take the target's look from the selected box."""
        self._reference = signature(image, box)
        self._candidate = None

    def score(self, image: Image, box: BBox) -> float | None:
        """Similarity of ``box`` in ``image`` to the reference; None when there is no reference.

        The measured box is kept as the candidate for :meth:`accept`.
        """
        self._candidate = None
        if self._reference is None:
            return None
        current = signature(image, box)
        if current is None:
            return 0.0
        value = similarity(self._reference, current)
        self._candidate = (current, value)
        return value

    def accept(self) -> None:
        """Blend the last scored box into the reference if it already looked like the target.

        Call only for boxes the plausibility checks accepted.
        """
        if self._reference is None or self._candidate is None:
            return
        current, value = self._candidate
        self._candidate = None
        if value >= self._learn_above:
            blended = (1.0 - self._learn_rate) * self._reference + self._learn_rate * current
            self._reference = blended.astype(np.float32)

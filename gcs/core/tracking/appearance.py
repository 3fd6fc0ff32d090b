"""Does the tracker's box still look like the target, and not like what surrounds it?

Geometry alone misses the commonest classic-tracker failure: after the target leaves the frame or
is occluded, MIL, MedianFlow and even CSRT keep reporting ok with a box parked on the background,
with no jump and no size change. A colour check catches that, but only if it compares with the
*target*, not with the selected box: a click box around a small object (a plane against the sky,
a walker on grass) is mostly background, so a plain "looks like the selected box" score (the
Bhattacharyya similarity of HSV histograms, which this module used alone before) rated empty
grass 0.5-0.6 against such a box and the tracker stayed LOCKED for 5.6 s after the walker had
left (``tests/data/video``).

So the model is discriminative, the same idea as CamShift's ratio histogram and CSRT's colour
segmentation: at selection it takes the histogram of the box (``target``) and of a ring of one
box size around it (``surround``). A colour bin is "target colour" by how much more of it the box
holds than its surroundings: weight(b) = max(0, t(b) - s(b)) / (t(b) + s(b)). A box's
*distinctiveness* is the share of its pixels in target colours (weighted); the score is that share
relative to the selected box's own share, capped at 1, and combined with the plain similarity:

    score = min(similarity(box, target), distinctiveness(box) / distinctiveness(target))

A box on the target scores near 1; a box on the background scores near 0 however much of that
background the selection contained. When nothing in the selection is distinctive (its share is
below ``min_distinct``: a target the colour of its surroundings) only the similarity is used,
which is all the colour can tell. Coarse bins (8 hue x 4 saturation x 4 value) ignore where the
pixels are, so a target that rotates or deforms keeps its score.

The references are blended slowly (``learn_rate``) with boxes that scored at least
``learn_above`` (the surroundings from the ring around them), so gradual lighting changes and a
changing background are followed; a doubtful box never teaches the model, which therefore
cannot drift onto the background it is meant to reject. Every tracker is checked by this one
model in the tracking worker, smart mode's detections included.

The selection's own model is kept as an anchor. A learned model could still drift: with MIL on the
walker clip, boxes half on grass as she reached the frame edge scored 0.6-0.9 against the learned
model (its ring, around a box off the target, held the target's colours and taught "surroundings"
her colours), so it learned the grass and then rated empty grass 0.8 for 2 s after she left, LOCKED,
while the anchor rated it 0.04 (1 run in 44). So a box teaches only if it also scores at least
``learn_anchor`` against the anchor, and a box the anchor rates below ``anchor_floor`` scores at most
that (on the walker the anchor's score dips to 0.04-0.34 on single frames, on grass it stays at
0.03-0.07: the floor costs a frame of SEARCHING now and then, never a lock on the background).
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
_RING_SIZES = 1.0  # the surroundings: a ring this many box sizes (sqrt of area) wide


def _histogram(patch: Image, mask: Image | None = None) -> Signature | None:
    if patch.ndim == 3 and patch.shape[2] == 3:
        hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], mask, _HSV_BINS, _HSV_RANGES)
    else:
        grey = patch if patch.ndim == 2 else patch[:, :, 0]
        hist = cv2.calcHist([np.ascontiguousarray(grey)], [0], mask, _GREY_BINS, _GREY_RANGES)
    total = float(hist.sum())
    if total <= 0:
        return None
    result: Signature = (hist / total).astype(np.float32)
    return result


def _rect(image: Image, box: BBox) -> tuple[int, int, int, int] | None:
    """The integer part of ``box`` inside ``image``, or None when a side is under 2 px."""
    height, width = image.shape[:2]
    x, y, w, h = box.clamp(width, height).as_int_rect()
    w, h = min(w, width - x), min(h, height - y)
    if w < _MIN_SIDE_PX or h < _MIN_SIDE_PX:
        return None
    return x, y, w, h


def signature(image: Image, box: BBox) -> Signature | None:
    """The normalised colour histogram of the part of ``box`` inside ``image``; None if too small."""
    rect = _rect(image, box)
    if rect is None:
        return None
    x, y, w, h = rect
    return _histogram(image[y : y + h, x : x + w])


def surround_signature(image: Image, box: BBox, ring_sizes: float = _RING_SIZES) -> Signature | None:
    """The histogram of a ring ``ring_sizes`` box sizes wide around ``box`` (inside the image)."""
    inner = _rect(image, box)
    if inner is None:
        return None
    pad = ring_sizes * box.size
    outer = _rect(image, BBox(box.x - pad, box.y - pad, box.w + 2 * pad, box.h + 2 * pad))
    if outer is None:
        return None
    ox, oy, ow, oh = outer
    mask = np.full((oh, ow), 255, np.uint8)
    x, y, w, h = inner
    mask[max(y - oy, 0) : y - oy + h, max(x - ox, 0) : x - ox + w] = 0
    if not mask.any():
        return None  # the box fills the frame: there are no surroundings to compare with
    return _histogram(image[oy : oy + oh, ox : ox + ow], mask)


def similarity(a: Signature, b: Signature) -> float:
    """1 - Bhattacharyya distance: 1 for identical colour distributions, 0 for disjoint ones."""
    if a.shape != b.shape:
        return 0.0
    distance = float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
    return max(0.0, min(1.0, 1.0 - distance))


def kernel_signature(image: Image, box: BBox) -> Signature | None:
    """Like :func:`signature`, but each pixel weighted by an Epanechnikov kernel over the box.

    The pilot puts the box (or the click) on the target, so its middle is the target and its
    corners are most likely background; the kernel (as in mean-shift tracking) counts the middle
    most, so a click box twice the size of a small target still describes the target.
    """
    rect = _rect(image, box)
    if rect is None:
        return None
    x, y, w, h = rect
    patch = image[y : y + h, x : x + w]
    yy, xx = np.mgrid[0:h, 0:w]
    kernel = np.clip(1.0 - ((xx + 0.5 - w / 2) / (w / 2)) ** 2 - ((yy + 0.5 - h / 2) / (h / 2)) ** 2, 0.0, 1.0)
    if patch.ndim == 3 and patch.shape[2] == 3:
        hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV).astype(np.int32)
        hb, sb, vb = _HSV_BINS
        index = (hsv[..., 0] * hb // 180) * (sb * vb) + (hsv[..., 1] * sb // 256) * vb + hsv[..., 2] * vb // 256
        shape: tuple[int, ...] = (hb, sb, vb)
    else:
        grey = (patch if patch.ndim == 2 else patch[:, :, 0]).astype(np.int32)
        index = grey * _GREY_BINS[0] // 256
        shape = (_GREY_BINS[0], 1)
    hist = np.bincount(index.ravel(), weights=kernel.ravel(), minlength=int(np.prod(shape))).reshape(shape)
    total = float(hist.sum())
    if total <= 0:
        return None
    result: Signature = (hist / total).astype(np.float32)
    return result


def target_weights(target: Signature, surround: Signature | None) -> Signature:
    """Per colour bin, 0..1: how much more the target holds of it than its surroundings.

    ((t - s) / (t + s))^2 where positive: squared so that a colour only somewhat more common in
    the box than around it (background inside a loose box) counts little.
    """
    if surround is None or surround.shape != target.shape:
        return np.ones_like(target)
    total = target + surround
    ratio = np.where(total > 0, np.maximum(target - surround, 0.0) / np.maximum(total, 1e-9), 0.0)
    weights: Signature = (ratio**2).astype(np.float32)
    return weights


def distinctiveness(hist: Signature, weights: Signature) -> float:
    """Share of a box's pixels in target colours (weighted by :func:`target_weights`)."""
    return float((hist * weights).sum())


class AppearanceModel:
    """The target's colours and its surroundings'; owned by one thread (the tracking worker)."""

    def __init__(self, learn_rate: float = 0.05, learn_above: float = 0.6, min_distinct: float = 0.08,
                 learn_anchor: float = 0.5, anchor_floor: float = 0.15) -> None:
        self._learn_rate = learn_rate
        self._learn_above = learn_above
        self._min_distinct = min_distinct
        self._learn_anchor = learn_anchor
        self._anchor_floor = anchor_floor
        self._reference: Signature | None = None
        self._surround: Signature | None = None
        self._anchor: tuple[Signature, Signature | None] | None = None  # the selection's model, never learned
        self._candidate: tuple[Signature, Signature | None, float, float] | None = None

    @property
    def ready(self) -> bool:
        return self._reference is not None

    @property
    def discriminative(self) -> bool:
        """True when the selection has colours its surroundings lack (the strong check applies)."""
        return self._own() >= self._min_distinct

    def _own(self) -> float:
        if self._reference is None:
            return 0.0
        return distinctiveness(self._reference, target_weights(self._reference, self._surround))

    def _rate(self, current: Signature, reference: Signature, surround: Signature | None) -> float:
        """``current`` scored against one model (the learned one or the anchor)."""
        weights = target_weights(reference, surround)
        own = distinctiveness(reference, weights)
        if own >= self._min_distinct:
            return min(1.0, distinctiveness(current, weights) / own)
        return similarity(reference, current)

    def reset(self, image: Image, box: BBox) -> None:
        """Take the target's look, and that of its surroundings, from the selected box."""
        self._reference = kernel_signature(image, box)
        self._surround = surround_signature(image, box)
        self._anchor = None if self._reference is None else (self._reference, self._surround)
        self._candidate = None

    def score(self, image: Image, box: BBox) -> float | None:
        """How much ``box`` in ``image`` looks like the target (0..1); None when there is no reference.

        The measured box is kept as the candidate for :meth:`accept`.
        """
        self._candidate = None
        if self._reference is None:
            return None
        current = kernel_signature(image, box)
        if current is None:
            return 0.0
        value = self._rate(current, self._reference, self._surround)
        anchored = value if self._anchor is None else self._rate(current, *self._anchor)
        if anchored < self._anchor_floor:
            value = min(value, anchored)
        self._candidate = (current, surround_signature(image, box), value, anchored)
        return value

    def accept(self) -> None:
        """Blend the last scored box (and its surroundings) into the model if it looked like the target.

        Call only for boxes the plausibility checks accepted.
        """
        if self._reference is None or self._candidate is None:
            return
        current, around, value, anchored = self._candidate
        self._candidate = None
        if value < self._learn_above or anchored < self._learn_anchor:
            return
        rate = self._learn_rate
        self._reference = ((1.0 - rate) * self._reference + rate * current).astype(np.float32)
        if around is not None:
            base = around if self._surround is None else (1.0 - rate) * self._surround + rate * around
            self._surround = base.astype(np.float32)

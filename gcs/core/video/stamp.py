"""The capture-time stamp: each frame's capture time written into its own pixels, for glass-to-glass.

Why pixels and not metadata: whatever carries the picture (JPEG over WebSocket, MJPEG in an
``<img>``, H.264 over WebRTC or RTP, a recording) carries the stamp with it, and the only thing a
browser can read from a WebRTC ``<video>`` is what it renders. The page (``web/js/stamp.js``) and
the GUI (``read_stamp``) read the code back from the frame they are about to show and subtract it
from their clock: that difference *is* capture -> displayed, nothing estimated.

The code: 40 blocks of ``BLOCK`` x ``BLOCK`` pixels (20 columns, 2 rows) in the bottom-right
corner, 160 x 16 px, each black or white: 32 bits of the capture time in milliseconds (unix time
modulo 2^32, so it wraps every 49.7 days; the reader takes the difference modulo 2^32 too) then an
8-bit CRC. Blocks lie on the 8-px grid, so JPEG's 8x8 DCT and H.264's macroblocks keep them nearly
flat; a reader samples each block's middle 4x4 pixels and refuses a block that is neither dark nor
light, and the CRC refuses the rest: a picture without a stamp (stamping off, another camera)
reads as None, never as a wrong time.

Clocks: the stamp is the capturing machine's wall clock (``time.time()``). A reader on the same
machine compares with the same clock; across machines both clocks must agree (NTP/chrony keep
LAN machines within a few ms; the error of the figure is the offset between them).
"""

from __future__ import annotations

import numpy as np

from gcs.core.video.frames import Image

BLOCK = 8
COLUMNS, ROWS = 20, 2
BITS = COLUMNS * ROWS  # 32 time bits + 8 CRC bits
WIDTH, HEIGHT = COLUMNS * BLOCK, ROWS * BLOCK
_DARK, _LIGHT = 16, 235  # video range: survives a limited-range YUV round trip unclipped
_THRESHOLD_LOW, _THRESHOLD_HIGH = 80, 175  # a block between these is neither: no stamp


def crc8(value: int) -> int:
    """CRC-8 (polynomial 0x07, initial 0xFF, out XOR 0x55) of the 4 bytes of ``value``, big-endian
    (the page computes the same). Not the plain CRC: with it an all-black corner would be a valid 0."""
    crc = 0xFF
    for shift in (24, 16, 8, 0):
        crc ^= (value >> shift) & 0xFF
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc ^ 0x55


def stamp_ms(time_s: float) -> int:
    """What the stamp holds for a wall-clock time: milliseconds modulo 2^32."""
    return round(time_s * 1000.0) & 0xFFFFFFFF


def _bits(value: int) -> list[int]:
    word = (value << 8) | crc8(value)  # 40 bits, most significant first
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


def origin(width: int, height: int) -> tuple[int, int] | None:
    """Top-left pixel of the code in a picture of this size (on the 8-px grid), None if too small."""
    if width < WIDTH or height < HEIGHT:
        return None
    return (width - WIDTH) // BLOCK * BLOCK, (height - HEIGHT) // BLOCK * BLOCK


def write_stamp(image: Image, time_s: float) -> bool:
    """Write ``time_s`` into ``image`` (BGR or grey, in place); False when the picture is too small."""
    at = origin(image.shape[1], image.shape[0])
    if at is None:
        return False
    x0, y0 = at
    for i, bit in enumerate(_bits(stamp_ms(time_s))):
        x, y = x0 + (i % COLUMNS) * BLOCK, y0 + (i // COLUMNS) * BLOCK
        image[y : y + BLOCK, x : x + BLOCK] = _LIGHT if bit else _DARK
    return True


def read_stamp(image: Image) -> int | None:
    """The stamped milliseconds (modulo 2^32), or None when the picture carries no valid stamp."""
    at = origin(image.shape[1], image.shape[0])
    if at is None:
        return None
    x0, y0 = at
    code = np.asarray(image[y0 : y0 + HEIGHT, x0 : x0 + WIDTH], dtype=np.float32)
    if code.ndim == 3:
        code = code.mean(axis=2)
    # middle 4x4 of each block: (rows, block_y, columns, block_x) -> mean over the block axes
    blocks = code.reshape(ROWS, BLOCK, COLUMNS, BLOCK)[:, 2:6, :, 2:6].mean(axis=(1, 3)).ravel()
    if np.any((blocks > _THRESHOLD_LOW) & (blocks < _THRESHOLD_HIGH)):
        return None
    word = 0
    for level in blocks:
        word = (word << 1) | int(level >= _THRESHOLD_HIGH)
    value, check = word >> 8, word & 0xFF
    return value if crc8(value) == check else None


def age_ms(stamped_ms: int, now_s: float) -> float:
    """Milliseconds from the stamp to ``now_s`` (the same wall clock), across the 2^32 wrap."""
    diff = (stamp_ms(now_s) - stamped_ms) & 0xFFFFFFFF
    return float(diff - (1 << 32) if diff >= 1 << 31 else diff)  # a reader's clock behind: negative


class GlassMeter:
    """Glass-to-glass figures of one display: each shown frame's stamp against the clock then.

    ``shown(image)`` is called with the picture being displayed (once per new frame); the meter keeps
    the last ``keep`` ages and the display times of the last two seconds for the rate.
    """

    def __init__(self, keep: int = 60) -> None:
        self._ages: list[float] = []
        self._times: list[float] = []
        self._keep = keep
        self.last_ms: float | None = None

    def shown(self, image: Image, now_s: float) -> float | None:
        """Read the stamp of the picture shown at ``now_s`` (wall clock); its age in ms, or None."""
        stamped = read_stamp(image)
        self._times = [t for t in self._times if now_s - t <= 2.0] + [now_s]
        if stamped is None:
            return None
        self.last_ms = age_ms(stamped, now_s)
        self._ages = [*self._ages[-(self._keep - 1):], self.last_ms]
        return self.last_ms

    def p50_ms(self) -> float | None:
        """Median of the recent ages (None before any stamped frame)."""
        return float(np.median(self._ages)) if self._ages else None

    def fps(self, now_s: float) -> float:
        times = [t for t in self._times if now_s - t <= 2.0]
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else 0.0

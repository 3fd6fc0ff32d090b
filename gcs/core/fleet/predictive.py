"""Predictive compression for thin links: send a field only when the receiver could not predict it.

Both ends keep, per field, a predictor fed with the *transmitted* samples of that field only, so
they stay in step without sending anything extra: the sender computes what the receiver will
predict, and transmits the true value only when the prediction is off by more than the field's
tolerance (or on a keyframe). The receiver fills the skipped fields with its prediction and marks
them reconstructed. The error of a reconstructed field is therefore at most its tolerance, as long
as no frame was lost.

Predictors (per field): ``hold`` (the last value: modes, counts, slowly moving voltages),
``linear`` (constant rate from the last two transmissions: positions, altitudes, headings in a
turn) and ``smooth`` (the rate averaged over the last two intervals between transmissions: noisy
rates such as vertical speed). Each depends on the last 1, 2 or 3 transmissions only, never on
all history, so a receiver can get back in step without a keyframe.

Loss: every frame carries a sequence number and, per field, its transmission count modulo 4
(2 bits). A receiver that sees a gap compares each field's count with its own: a field whose
transmissions all arrived is still in step (most slow fields: the lost frames did not carry
them); a field that lost one is out of step until it has received its next 1 (hold), 2 (linear)
or 3 (smooth) transmissions in a row, and the receiver asks for a keyframe (``on_lost``).
Out-of-step fields are still filled in (predicted) and listed in ``Reading.stale``; the error
bound holds for the others (unless 4, 8, ... transmissions of one field were lost in one gap).
Keyframes (every ``keyframe_s`` of the sender's clock, and whenever requested) carry every field
and reset both ends' predictors.

The wire format (``pack``/``unpack``): sequence (uint32), time (float64), keyframe flag (uint8),
a bitmask of the transmitted fields, the 2-bit counts, and the transmitted values as float64, all
little-endian: what a thin link would carry, so the byte ratio against sending every field is honest.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

PredictorKind = Literal["hold", "linear", "smooth"]
_HEAD = struct.Struct("<IdB")


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name, the largest error the receiver may reconstruct, and how to predict it."""

    name: str
    tolerance: float
    predictor: PredictorKind = "linear"
    wrap: float | None = None  # angles: the period (e.g. 2*pi or 360), errors taken the short way round
    wrap_low: float = 0.0  # angles: predictions are put back into [wrap_low, wrap_low + wrap)

    def normalise(self, v: float) -> float:
        if not self.wrap or math.isnan(v):
            return v
        return (v - self.wrap_low) % self.wrap + self.wrap_low


SAMPLES_NEEDED: dict[str, int] = {"hold": 1, "linear": 2, "smooth": 3}  # transmissions that fix the state


@dataclass
class _Predictor:
    spec: FieldSpec
    value: float = math.nan
    time_s: float = math.nan
    rate: float = 0.0
    last_rate: float = 0.0

    def predict(self, t: float) -> float:
        if math.isnan(self.value):
            return math.nan
        if self.spec.predictor == "hold":
            return self.value
        return self.value + self.rate * (t - self.time_s)

    def update(self, t: float, v: float) -> None:
        """A transmitted sample (both ends call this with the same numbers)."""
        if not math.isnan(self.value) and t > self.time_s and self.spec.predictor != "hold":
            rate = _difference(v, self.value, self.spec.wrap) / (t - self.time_s)
            self.rate = rate if self.spec.predictor == "linear" else (rate + self.last_rate) / 2
            self.last_rate = rate
        self.value, self.time_s = v, t

    def reset(self) -> None:
        self.value, self.time_s, self.rate, self.last_rate = math.nan, math.nan, 0.0, 0.0


def _difference(a: float, b: float, wrap: float | None) -> float:
    d = a - b
    if wrap:
        d = (d + wrap / 2) % wrap - wrap / 2
    return d


@dataclass(frozen=True)
class Frame:
    """What goes over the link for one reading."""

    seq: int
    time_s: float
    keyframe: bool
    values: dict[str, float]  # the transmitted fields only
    counts: tuple[int, ...] = ()  # per field (codec order): transmissions so far, modulo 4


@dataclass
class CompressionStats:
    readings: int = 0
    fields_total: int = 0
    fields_sent: int = 0
    keyframes: int = 0
    bytes_sent: int = 0
    bytes_uncompressed: int = 0  # the same readings with every field, same wire format
    max_error: dict[str, float] = field(default_factory=dict)  # sender side: |true - reconstructed|

    @property
    def skipped(self) -> int:
        return self.fields_total - self.fields_sent

    @property
    def ratio(self) -> float:
        """Bytes sent / bytes of sending every field (smaller is better)."""
        return self.bytes_sent / self.bytes_uncompressed if self.bytes_uncompressed else 1.0

    def as_dict(self) -> dict[str, object]:
        return {"readings": self.readings, "fields_total": self.fields_total, "fields_sent": self.fields_sent,
                "skipped": self.skipped, "keyframes": self.keyframes, "bytes_sent": self.bytes_sent,
                "bytes_uncompressed": self.bytes_uncompressed, "ratio": round(self.ratio, 4),
                "max_error": {k: round(v, 9) for k, v in self.max_error.items()}}  # fmt: skip


class Codec:
    """The field list shared by both ends, and the wire format."""

    def __init__(self, fields: Sequence[FieldSpec]) -> None:
        if len({f.name for f in fields}) != len(fields):
            raise ValueError("field names must be unique")
        self.fields = tuple(fields)
        self._mask_bytes = (len(fields) + 7) // 8
        self._count_bytes = (2 * len(fields) + 7) // 8

    def pack(self, frame: Frame) -> bytes:
        mask = 0
        values: list[float] = []
        for i, spec in enumerate(self.fields):
            if spec.name in frame.values:
                mask |= 1 << i
                values.append(frame.values[spec.name])
        counts = 0
        for i, count in enumerate(frame.counts or (0,) * len(self.fields)):
            counts |= (count & 3) << (2 * i)
        return (_HEAD.pack(frame.seq & 0xFFFFFFFF, frame.time_s, 1 if frame.keyframe else 0)
                + mask.to_bytes(self._mask_bytes, "little") + counts.to_bytes(self._count_bytes, "little")
                + struct.pack(f"<{len(values)}d", *values))  # fmt: skip

    def unpack(self, data: bytes) -> Frame:
        head = _HEAD.size + self._mask_bytes + self._count_bytes
        if len(data) < head:
            raise ValueError(f"frame of {len(data)} bytes is shorter than its header")
        seq, time_s, key = _HEAD.unpack_from(data)
        mask = int.from_bytes(data[_HEAD.size : _HEAD.size + self._mask_bytes], "little")
        packed = int.from_bytes(data[_HEAD.size + self._mask_bytes : head], "little")
        counts = tuple(packed >> (2 * i) & 3 for i in range(len(self.fields)))
        names = [spec.name for i, spec in enumerate(self.fields) if mask >> i & 1]
        body = data[head:]
        if len(body) != 8 * len(names):
            raise ValueError(f"frame says {len(names)} values but carries {len(body)} bytes")
        values = dict(zip(names, struct.unpack(f"<{len(names)}d", body), strict=True))
        return Frame(seq, time_s, bool(key), values, counts)

    def full_size(self) -> int:
        return _HEAD.size + self._mask_bytes + self._count_bytes + 8 * len(self.fields)


class Encoder:
    """The sending end: ``encode(t, values)`` -> the bytes to send (never waits)."""

    def __init__(self, codec: Codec, keyframe_s: float = 10.0) -> None:
        self.codec = codec
        self.keyframe_s = keyframe_s
        self.stats = CompressionStats()
        self._predictors = {spec.name: _Predictor(spec) for spec in codec.fields}
        self._seq = 0
        self._counts = [0] * len(codec.fields)
        self._last_key: float | None = None
        self._key_wanted = True

    def request_keyframe(self) -> None:
        """The receiver lost frames: the next reading goes whole."""
        self._key_wanted = True

    def encode_frame(self, t: float, values: Mapping[str, float]) -> Frame:
        key = self._key_wanted or self._last_key is None or t - self._last_key >= self.keyframe_s
        if key:
            self._key_wanted, self._last_key = False, t
            for p in self._predictors.values():
                p.reset()
        sent: dict[str, float] = {}
        stats = self.stats
        for i, spec in enumerate(self.codec.fields):
            if spec.name not in values:
                continue
            v = float(values[spec.name])
            p = self._predictors[spec.name]
            guess = p.predict(t)
            error = math.inf if math.isnan(guess) else abs(_difference(v, guess, spec.wrap))
            if key or error > spec.tolerance or math.isnan(v):
                sent[spec.name] = v
                p.update(t, v)
                self._counts[i] = (self._counts[i] + 1) & 3
                error = 0.0
            stats.max_error[spec.name] = max(stats.max_error.get(spec.name, 0.0), error)
            stats.fields_total += 1
        frame = Frame(self._seq, t, key, sent, tuple(self._counts))
        self._seq += 1
        stats.readings += 1
        stats.fields_sent += len(sent)
        stats.keyframes += key
        return frame

    def encode(self, t: float, values: Mapping[str, float]) -> bytes:
        data = self.codec.pack(self.encode_frame(t, values))
        self.stats.bytes_sent += len(data)
        self.stats.bytes_uncompressed += self.codec.full_size()
        return data


@dataclass(frozen=True)
class Reading:
    """What the receiver knows at one time: every field, and which of them it predicted."""

    time_s: float
    values: dict[str, float]
    reconstructed: frozenset[str]
    stale: frozenset[str]  # out of step since a lost frame: predicted, but the error bound does not hold

    @property
    def in_step(self) -> bool:
        return not self.stale


class Decoder:
    """The receiving end: ``decode(bytes)`` -> a full Reading."""

    def __init__(self, codec: Codec, on_lost: Callable[[], None] | None = None) -> None:
        self.codec = codec
        self._predictors = {spec.name: _Predictor(spec) for spec in codec.fields}
        self._next_seq: int | None = None
        self._on_lost = on_lost
        self._heard = {spec.name: 0 for spec in codec.fields}  # transmissions since it fell out of step
        self._counts = [0] * len(codec.fields)
        self.gaps = 0  # frames with missing frames before them
        self.fields_lost = 0  # fields put out of step by them

    def _in_step(self, spec: FieldSpec) -> bool:
        return self._heard[spec.name] >= SAMPLES_NEEDED[spec.predictor]

    def decode(self, data: bytes) -> Reading:
        return self.decode_frame(self.codec.unpack(data))

    def decode_frame(self, frame: Frame) -> Reading:
        gap = self._next_seq is not None and frame.seq != self._next_seq
        self.gaps += gap
        self._next_seq = (frame.seq + 1) & 0xFFFFFFFF
        counts = frame.counts or tuple(self._counts)
        values: dict[str, float] = {}
        guessed: set[str] = set()
        stale: set[str] = set()
        lost = 0
        for i, spec in enumerate(self.codec.fields):
            p = self._predictors[spec.name]
            sent = spec.name in frame.values
            if frame.keyframe:
                p.reset()
                self._heard[spec.name] = SAMPLES_NEEDED[spec.predictor]
            elif (self._counts[i] + sent) & 3 != counts[i]:
                self._heard[spec.name] = 0  # a missing frame carried this field: its state is unknown
                lost += 1
            self._counts[i] = counts[i]
            if sent:
                v = frame.values[spec.name]
                p.update(frame.time_s, v)
                values[spec.name] = v
                self._heard[spec.name] += 1
            else:
                guess = p.predict(frame.time_s)
                if not math.isnan(guess):
                    values[spec.name] = spec.normalise(guess)
                    guessed.add(spec.name)
            if not self._in_step(spec):
                stale.add(spec.name)
        self.fields_lost += lost
        if lost and self._on_lost is not None:
            self._on_lost()
        return Reading(frame.time_s, values, frozenset(guessed), frozenset(stale))

"""Plot data without Qt: every numeric telemetry field by dotted name, and preallocated ring buffers.

``telemetry_fields()`` flattens ``VehicleState`` from its type hints (so optional parts such as
``local_position`` are listed before they first arrive) plus a few derived values the pilot
wants on one axis: attitude in degrees, the actual velocity in the body frame and the velocity
the commander sends. ``read_field`` returns NaN for anything not known yet, which the plots draw
as a gap.

Two more families are not in the vehicle state but in the vision events: ``tracker.*`` read from
each ``TrackedTarget`` (``tracking.target``) and ``follower.*`` from each ``FollowerStatus``
(``follow.status``). ``field_source`` says which event feeds a field; ``event_reader`` reads it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import types
import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from gcs.core.models import VehicleState, VelocityBodyYawRate, VelocityNedYawRate

NAN = float("nan")
UNIT_SUFFIXES = (
    ("_radps", "rad/s"), ("_dps", "deg/s"), ("_mps", "m/s"), ("_ms", "ms"), ("_pct", "%"), ("_deg", "deg"),
    ("_rad", "rad"), ("_hz", "Hz"), ("_m", "m"), ("_v", "V"), ("_a", "A"), ("_s", "s"),
)


# Fields whose name has no unit suffix but whose values do have a meaning the axis must say.
FIELD_UNITS = {
    "tracker.error_x": "±1 = frame edge",  # box centre from image centre, in half-frames
    "tracker.error_y": "±1 = frame edge",
    "tracker.size_frac": "of frame",
    "tracker.confidence": "0..1",
}
# The smallest y span per unit: a nearly flat signal (a battery's 16.20-16.21 V) would otherwise be
# stretched over the whole plot, ticks in millivolts, and its noise read as a trend.
MIN_SPANS = {"V": 1.0, "A": 2.0, "m": 2.0, "m/s": 1.0, "deg": 4.0, "deg/s": 10.0, "%": 5.0, "msg/s": 10.0,
             "±1 = frame edge": 0.5}


def unit_of(field: str) -> str:
    """Unit named by a field's suffix ("hud.groundspeed_mps" -> "m/s"), else ""."""
    if field in FIELD_UNITS:
        return FIELD_UNITS[field]
    name = field.rsplit(".", 1)[-1]
    if name == "messages_per_s":
        return "msg/s"
    if name == "bytes_per_s":
        return "B/s"
    return next((unit for suffix, unit in UNIT_SUFFIXES if name.endswith(suffix)), "")


def _numeric_paths(cls: type, prefix: str) -> list[str]:
    paths: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
            hint = args[0]
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            paths.extend(_numeric_paths(hint, name + "."))
        elif hint in (int, float, bool):
            paths.append(name)
    return paths


def _body_velocity(state: VehicleState) -> tuple[float, float]:
    v, yaw = state.velocity, state.attitude.yaw_rad
    forward = v.north_mps * math.cos(yaw) + v.east_mps * math.sin(yaw)
    right = -v.north_mps * math.sin(yaw) + v.east_mps * math.cos(yaw)
    return forward, right


def _commanded(state: VehicleState, commander: Any) -> tuple[float, float, float, float]:
    """(forward, right, down, yaw rate deg/s) the commander sends now; NaN when not streaming."""
    velocity = getattr(commander, "velocity", None) if commander is not None and commander.engaged else None
    if isinstance(velocity, VelocityBodyYawRate):
        return velocity.forward_mps, velocity.right_mps, velocity.down_mps, math.degrees(velocity.yaw_rate_radps)
    if isinstance(velocity, VelocityNedYawRate):
        yaw = state.attitude.yaw_rad
        forward = velocity.north_mps * math.cos(yaw) + velocity.east_mps * math.sin(yaw)
        right = -velocity.north_mps * math.sin(yaw) + velocity.east_mps * math.cos(yaw)
        return forward, right, velocity.down_mps, math.degrees(velocity.yaw_rate_radps)
    return NAN, NAN, NAN, NAN


Reader = Callable[[VehicleState, Any], float]

DERIVED: dict[str, Reader] = {
    "derived.roll_deg": lambda s, _c: math.degrees(s.attitude.roll_rad),
    "derived.pitch_deg": lambda s, _c: math.degrees(s.attitude.pitch_rad),
    "derived.forward_mps": lambda s, _c: _body_velocity(s)[0],
    "derived.right_mps": lambda s, _c: _body_velocity(s)[1],
    "commander.forward_mps": lambda s, c: _commanded(s, c)[0],
    "commander.right_mps": lambda s, c: _commanded(s, c)[1],
    "commander.down_mps": lambda s, c: _commanded(s, c)[2],
    "commander.yaw_rate_dps": lambda s, c: _commanded(s, c)[3],
}


def _number(value: Any) -> float:
    return NAN if value is None else float(value)


def _follower_velocity(status: Any) -> tuple[float, float, float, float]:
    """(forward, right, down, yaw rate deg/s) the follower asks for; NaN while it asks nothing."""
    v = getattr(status, "velocity", None)
    if isinstance(v, VelocityBodyYawRate):
        return v.forward_mps, v.right_mps, v.down_mps, math.degrees(v.yaw_rate_radps)
    return NAN, NAN, NAN, NAN


EventReader = Callable[[Any], float]

TRACKER_FIELDS: dict[str, EventReader] = {  # from TrackedTarget; error -1..1 across the image
    "tracker.error_x": lambda t: _number(t.error_x),
    "tracker.error_y": lambda t: _number(t.error_y),
    "tracker.size_frac": lambda t: _number(t.size_frac),
    "tracker.confidence": lambda t: float(t.confidence),
    "tracker.fps": lambda t: float(t.fps),
    "tracker.latency_ms": lambda t: float(t.latency_ms),
}
FOLLOWER_FIELDS: dict[str, EventReader] = {  # from FollowerStatus: what the follower commands
    "follower.forward_mps": lambda f: _follower_velocity(f)[0],
    "follower.right_mps": lambda f: _follower_velocity(f)[1],
    "follower.down_mps": lambda f: _follower_velocity(f)[2],
    "follower.yaw_rate_dps": lambda f: _follower_velocity(f)[3],
    "follower.held": lambda f: 1.0 if f.held else 0.0,
}
EVENT_SOURCES = {"tracker": TRACKER_FIELDS, "follower": FOLLOWER_FIELDS}


@functools.cache
def telemetry_fields() -> tuple[str, ...]:
    """Every plottable field: VehicleState's numeric leaves, the derived ones, then tracker and follower."""
    return (*_numeric_paths(VehicleState, ""), *DERIVED, *TRACKER_FIELDS, *FOLLOWER_FIELDS)


def field_source(field: str) -> str:
    """"state" (sampled on each vehicle state), "tracker" or "follower" (sampled on their events)."""
    group = field.split(".", 1)[0]
    return group if group in EVENT_SOURCES and field in EVENT_SOURCES[group] else "state"


def event_reader(field: str) -> EventReader:
    """The reader of a tracker.* or follower.* field; KeyError for any other name."""
    source = field_source(field)
    if source == "state":
        raise KeyError(f"{field!r} is not read from tracker or follower events")
    return EVENT_SOURCES[source][field]


@functools.cache
def field_reader(field: str) -> Reader:
    """A fast reader for one vehicle-state field; KeyError for an unknown (or event) name."""
    if field in DERIVED:
        return DERIVED[field]
    if field not in telemetry_fields() or field_source(field) != "state":
        raise KeyError(f"{field!r} is not a telemetry field")
    get = operator.attrgetter(field)

    def read(state: VehicleState, _commander: Any) -> float:
        try:
            value = get(state)
        except AttributeError:  # an optional part (local_position, home) not received yet
            return NAN
        return NAN if value is None else float(value)

    return read


def read_field(field: str, state: VehicleState, commander: Any = None) -> float:
    return field_reader(field)(state, commander)


class RingBuffer:
    """Fixed-capacity (time, value) history whose newest ``len`` samples are one contiguous view.

    Each sample is written twice, at ``i`` and ``i + capacity`` of arrays twice that size, so
    ``view()`` returns slices (no copy, no concatenate) oldest first. Single-threaded (GUI).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        self._t = np.zeros(2 * capacity, dtype=np.float64)
        self._v = np.zeros(2 * capacity, dtype=np.float64)
        self._head = 0  # next write position in [0, capacity)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, value: float) -> None:
        h, cap = self._head, self.capacity
        self._t[h] = self._t[h + cap] = t
        self._v[h] = self._v[h + cap] = value
        self._head = (h + 1) % cap
        if self._count < cap:
            self._count += 1

    def extend(self, t: np.ndarray, values: np.ndarray) -> None:
        """Append many samples (benchmarks, backfill)."""
        for ti, vi in zip(t.tolist(), values.tolist(), strict=True):
            self.append(ti, vi)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, values), oldest first; read-only views valid until the next append."""
        start = 0 if self._count < self.capacity else self._head
        end = start + self._count
        t, v = self._t[start:end], self._v[start:end]
        t.flags.writeable = False
        v.flags.writeable = False
        return t, v

    def last(self) -> tuple[float, float] | None:
        if self._count == 0:
            return None
        i = (self._head - 1) % self.capacity
        return float(self._t[i]), float(self._v[i])

    def clear(self) -> None:
        self._head = self._count = 0


class YRange:
    """Y limits that follow the data without moving on every sample.

    Moving a y range repaints its axis (ticks, labels) and refits the view: done every frame for
    eight plots it costs more than the curves. Here the limits grow at once to fit new data
    (with a margin) and shrink only when the data spans less than a third of them, so most
    frames leave them alone. ``fit`` returns the new limits, or None when nothing changes.
    """

    MARGIN = 0.1  # of the data span, each side
    SHRINK_BELOW = 1.0 / 3.0

    def __init__(self, min_span: float = 0.0) -> None:
        self.limits: tuple[float, float] | None = None
        self.min_span = min_span  # data narrower than this is shown centred in this much (see MIN_SPANS)

    def fit(self, lo: float, hi: float) -> tuple[float, float] | None:
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        if hi - lo < self.min_span:
            middle = (lo + hi) / 2.0
            lo, hi = middle - self.min_span / 2.0, middle + self.min_span / 2.0
        span = hi - lo
        pad = span * self.MARGIN if span > 1e-9 else max(abs(hi) * 0.05, 0.5)
        current = self.limits
        if current is not None:
            inside = current[0] <= lo and hi <= current[1]
            if inside and span >= (current[1] - current[0]) * self.SHRINK_BELOW:
                return None
        self.limits = (lo - pad, hi + pad)
        return self.limits

    def reset(self) -> None:
        self.limits = None


def finite_bounds(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values, or None when there are none."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max())


def peak_decimate(t: np.ndarray, v: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~2 x ``buckets`` points that draw the same picture at that many pixels across.

    The samples are cut into ``buckets`` runs of equal count (samples come at a steady rate, so
    a run is about one pixel wide) and each run keeps its lowest and highest sample, in time
    order: spikes and dips survive, unlike striding or averaging. A run with no finite value
    stays a gap (NaN). Short series are returned as they are.
    """
    n = len(t)
    if buckets < 1 or n <= 2 * buckets:
        return t, v
    per = n // buckets
    used = per * buckets
    rows = v[:used].reshape(buckets, per)
    finite = np.isfinite(rows)
    lo = np.where(finite, rows, np.inf).argmin(axis=1)
    hi = np.where(finite, rows, -np.inf).argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    base = np.arange(buckets) * per
    picks = np.empty(2 * buckets, dtype=np.intp)
    picks[0::2], picks[1::2] = base + first, base + second
    out_t, out_v = t[picks], v[picks].copy()
    empty = ~finite.any(axis=1)
    if empty.any():
        out_v.reshape(buckets, 2)[empty] = np.nan
    if used < n:  # the newest few samples that did not fill a run: as they are
        out_t = np.concatenate((out_t, t[used:]))
        out_v = np.concatenate((out_v, v[used:]))
    return out_t, out_v

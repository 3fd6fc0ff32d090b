"""Parameter values on the wire: MAV_PARAM_TYPE and the two ways autopilots fit an integer into a float.

PARAM_VALUE and PARAM_SET carry every value in a 32-bit float field. ArduPilot *casts* integers to
float (``MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST``: 1500 travels as 1500.0; integers beyond
2**24 lose precision, as they do in ArduPilot itself). PX4 copies the integer's *bytes* into the
field (``PARAM_ENCODE_BYTEWISE``: INT32 1500 travels as the float whose bits are 0x000005DC). QGC
picks the encoding from AUTOPILOT_VERSION's capability bits and falls back on the autopilot
(PX4 byte-wise, everything else cast); pymavlink and MAVProxy only cast, which is why MAVProxy
shows PX4's integers as tiny denormal floats. We do as QGC does (``bytewise_for``).

Values are Python ``int`` for the integer types and ``float`` (rounded to float32, what the
vehicle stores) for REAL32, so equal values compare equal whichever way they arrived.
"""

from __future__ import annotations

import math
import struct

from gcs.core.errors import ParamInvalid
from gcs.core.mavlink_env import mavlink

M = mavlink
REAL32 = M.MAV_PARAM_TYPE_REAL32
FLOAT32_MAX = 3.4028234663852886e38
INT_TYPES: dict[int, tuple[str, int, int]] = {  # type -> (struct code, low, high)
    M.MAV_PARAM_TYPE_UINT8: ("<B", 0, 2**8 - 1),
    M.MAV_PARAM_TYPE_INT8: ("<b", -(2**7), 2**7 - 1),
    M.MAV_PARAM_TYPE_UINT16: ("<H", 0, 2**16 - 1),
    M.MAV_PARAM_TYPE_INT16: ("<h", -(2**15), 2**15 - 1),
    M.MAV_PARAM_TYPE_UINT32: ("<I", 0, 2**32 - 1),
    M.MAV_PARAM_TYPE_INT32: ("<i", -(2**31), 2**31 - 1),
}
TYPE_NAMES = {
    M.MAV_PARAM_TYPE_UINT8: "UINT8", M.MAV_PARAM_TYPE_INT8: "INT8", M.MAV_PARAM_TYPE_UINT16: "UINT16",
    M.MAV_PARAM_TYPE_INT16: "INT16", M.MAV_PARAM_TYPE_UINT32: "UINT32", M.MAV_PARAM_TYPE_INT32: "INT32",
    M.MAV_PARAM_TYPE_UINT64: "UINT64", M.MAV_PARAM_TYPE_INT64: "INT64", REAL32: "REAL32",
    M.MAV_PARAM_TYPE_REAL64: "REAL64",
}

Value = int | float


def is_integer_type(ptype: int) -> bool:
    return ptype in INT_TYPES


def type_name(ptype: int) -> str:
    return TYPE_NAMES.get(ptype, f"TYPE{ptype}")


def f32(value: float) -> float:
    """``value`` as the vehicle stores a REAL32 (nearest float32)."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


def bytewise_for(capabilities: int | None, is_px4: bool) -> bool:
    """How this vehicle encodes integers: its AUTOPILOT_VERSION capabilities decide, else the autopilot."""
    if capabilities:
        if capabilities & M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE:
            return True
        if capabilities & M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST:
            return False
    return is_px4


def decode(wire: float, ptype: int, bytewise: bool) -> Value:
    """The value a PARAM_VALUE's float field carries for a parameter of type ``ptype``."""
    spec = INT_TYPES.get(ptype)
    if spec is None:
        return f32(wire) if math.isfinite(wire) else wire
    if bytewise:
        code = spec[0]
        raw = struct.pack("<f", wire)
        return int(struct.unpack(code, raw[: struct.calcsize(code)])[0])
    return int(wire) if math.isfinite(wire) else 0


def encode(value: Value, ptype: int, bytewise: bool) -> float:
    """The float field of a PARAM_SET for ``value`` (already checked by ``coerce``)."""
    spec = INT_TYPES.get(ptype)
    if spec is None:
        return f32(float(value))
    if bytewise:
        raw = struct.pack(spec[0], int(value)).ljust(4, b"\0")
        wire: float = struct.unpack("<f", raw)[0]
        return wire
    return float(int(value))


def coerce(name: str, value: object, ptype: int) -> Value:
    """``value`` (a number or its text) as a value of ``ptype``; ParamInvalid says why it is not one."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if is_integer_type(ptype) and text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise ParamInvalid(f"{name}: {value!r} is not a number") from None
    if not isinstance(value, int | float):
        raise ParamInvalid(f"{name}: {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamInvalid(f"{name}: {value} is not a finite number")
    spec = INT_TYPES.get(ptype)
    if spec is None:
        if abs(value) > FLOAT32_MAX:  # compared exactly: float() of a huge int would raise OverflowError
            raise ParamInvalid(f"{name}: {value} does not fit a 32-bit float")
        return f32(float(value))
    if isinstance(value, float) and value != math.floor(value):
        raise ParamInvalid(f"{name} is an integer ({type_name(ptype)}): {value} is not")
    number = int(value)
    _, low, high = spec
    if not low <= number <= high:
        raise ParamInvalid(f"{name} is {type_name(ptype)}: {number} is outside {low}..{high}")
    return number


def same(a: Value, b: Value, ptype: int) -> bool:
    """Whether two values are the same value of ``ptype`` (REAL32 compared as float32)."""
    if is_integer_type(ptype):
        return int(a) == int(b)
    return f32(float(a)) == f32(float(b))


def text(value: Value, ptype: int) -> str:
    """The shortest text that reads back as the same value (files, logs, the faces)."""
    if is_integer_type(ptype):
        return str(int(value))
    v = float(value)
    for digits in range(6, 10):
        out = f"{v:.{digits}g}"
        if f32(float(out)) == f32(v):
            return out
    return repr(v)

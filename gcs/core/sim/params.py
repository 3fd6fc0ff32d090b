"""The sim's parameter table: the autopilot's own full list, with the limits the sim flies by.

Each flavour loads a realistic table (``param_tables/``): ArduCopter's as its real SITL reports it
(about 1,000 parameters, SIM_* left out) and PX4's multicopter set with PX4's usual defaults (about
750). A few of them are *modelled*: the sim reads them for what it flies (``si(key)``: speed, climb
and descent, landing speed, RTL altitude and speed, takeoff height, offboard timeout, ...), in the
autopilot's own units (ArduPilot speaks centimetres, PX4 metres) and types (ArduPilot's LAND_SPEED
is an INT16, PX4's MPC_XY_VEL_MAX a REAL32).

Encoding on the wire as each autopilot does it: PX4 puts integers byte-wise into the float field
(MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE); ArduPilot casts them to float (C_CAST). A value is
decoded with the parameter's own type (both autopilots ignore the type a PARAM_SET claims).

Refusals: a modelled parameter outside the range the sim can fly, a non-integer for an integer
type or a value beyond the type's bounds is not applied; ``set`` says why, and the handler answers
with the unchanged value and a STATUSTEXT, as ArduPilot does for a write it denies. (Real
autopilots range-check little; the sim is stricter so a GCS's refusal path can be exercised.)
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import SimConfig

REAL32 = mavlink.MAV_PARAM_TYPE_REAL32
INT32 = mavlink.MAV_PARAM_TYPE_INT32
TABLES = Path(__file__).with_name("param_tables")
INT_BOUNDS = {
    mavlink.MAV_PARAM_TYPE_UINT8: (0, 2**8 - 1),
    mavlink.MAV_PARAM_TYPE_INT8: (-(2**7), 2**7 - 1),
    mavlink.MAV_PARAM_TYPE_UINT16: (0, 2**16 - 1),
    mavlink.MAV_PARAM_TYPE_INT16: (-(2**15), 2**15 - 1),
    mavlink.MAV_PARAM_TYPE_UINT32: (0, 2**32 - 1),
    mavlink.MAV_PARAM_TYPE_INT32: (-(2**31), 2**31 - 1),
}
_PACK = {  # struct codes of the integer types, for byte-wise encoding
    mavlink.MAV_PARAM_TYPE_UINT8: "<B", mavlink.MAV_PARAM_TYPE_INT8: "<b",
    mavlink.MAV_PARAM_TYPE_UINT16: "<H", mavlink.MAV_PARAM_TYPE_INT16: "<h",
    mavlink.MAV_PARAM_TYPE_UINT32: "<I", mavlink.MAV_PARAM_TYPE_INT32: "<i",
}


@dataclass
class Param:
    name: str
    key: str  # what the sim uses it for ("" when it is only carried)
    value: float  # in the autopilot's unit
    scale: float  # SI value = value * scale
    ptype: int
    low: float
    high: float


@dataclass(frozen=True)
class _Model:
    """A modelled parameter: the key the sim reads it by, its SI scale and the range it can fly."""

    key: str
    scale: float
    low: float
    high: float


def _f32(value: float) -> float:
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


@cache
def _table(name: str) -> tuple[tuple[str, float, int], ...]:
    rows = []
    for line in (TABLES / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pname, value, ptype = line.split("\t")
            rows.append((pname, float(value), int(ptype)))
    return tuple(rows)


def _px4(cfg: SimConfig) -> dict[str, tuple[_Model, float]]:
    return {
        "MAV_SYS_ID": (_Model("sysid", 1.0, 1, 255), cfg.system_id),
        "MIS_TAKEOFF_ALT": (_Model("takeoff_alt", 1.0, 0.5, 500), cfg.takeoff_alt_default_m),
        "MPC_XY_VEL_MAX": (_Model("max_speed", 1.0, 0.5, 30), cfg.max_speed_mps),
        "MPC_ACC_HOR_MAX": (_Model("max_accel", 1.0, 0.5, 15), cfg.max_accel_mps2),
        "MPC_Z_VEL_MAX_UP": (_Model("max_climb", 1.0, 0.5, 8), cfg.max_climb_mps),
        "MPC_Z_VEL_MAX_DN": (_Model("max_descent", 1.0, 0.5, 4), cfg.max_descent_mps),
        "MPC_LAND_SPEED": (_Model("land_speed", 1.0, 0.3, 4), cfg.land_speed_mps),
        "MPC_XY_CRUISE": (_Model("rtl_speed", 1.0, 0.5, 20), cfg.rtl_speed_mps),
        "RTL_RETURN_ALT": (_Model("rtl_alt", 1.0, 0, 150), cfg.rtl_alt_m),
        "COM_OF_LOSS_T": (_Model("offboard_timeout", 1.0, 0.05, 60), cfg.offboard_timeout_s),
        "COM_DISARM_LAND": (_Model("land_disarm_delay", 1.0, -1, 20), cfg.land_disarm_delay_s),
        "BAT1_N_CELLS": (_Model("battery_cells", 1.0, 1, 14), cfg.battery_cells),
        "BAT1_CAPACITY": (_Model("battery_capacity", 1.0, 100, 100000), cfg.battery_capacity_mah),
    }


def _ardupilot(cfg: SimConfig) -> dict[str, tuple[_Model, float]]:
    cm = 0.01
    return {
        "MAV_SYSID": (_Model("sysid", 1.0, 1, 255), cfg.system_id),  # SYSID_THISMAV before ArduPilot 4.7
        # 1 = all pre-arm checks (ArduPilot's default), 0 skips the battery one; MAVProxy warns without it
        "ARMING_CHECK": (_Model("arming_check", 1.0, 0, 2**31 - 1), 1),
        # the sim enforces no geofence: enabling one is refused rather than reported and ignored
        "FENCE_ENABLE": (_Model("fence_enable", 1.0, 0, 0), 0),
        "WPNAV_SPEED": (_Model("max_speed", cm, 50, 3000), cfg.max_speed_mps * 100),
        "WPNAV_ACCEL": (_Model("max_accel", cm, 50, 1500), cfg.max_accel_mps2 * 100),
        "WPNAV_SPEED_UP": (_Model("max_climb", cm, 50, 800), cfg.max_climb_mps * 100),
        "WPNAV_SPEED_DN": (_Model("max_descent", cm, 50, 400), cfg.max_descent_mps * 100),
        "LAND_SPEED": (_Model("land_speed", cm, 30, 400), cfg.land_speed_mps * 100),
        "RTL_ALT": (_Model("rtl_alt", cm, 0, 30000), cfg.rtl_alt_m * 100),
        "RTL_SPEED": (_Model("rtl_speed", cm, 0, 2000), cfg.rtl_speed_mps * 100),
        "BATT_CAPACITY": (_Model("battery_capacity", 1.0, 100, 100000), cfg.battery_capacity_mah),
        "PILOT_SPEED_UP": (_Model("pilot_speed_up", cm, 50, 500), cfg.pilot_speed_up_mps * 100),
        "PILOT_SPEED_DN": (_Model("pilot_speed_dn", cm, 0, 500), cfg.pilot_speed_dn_mps * 100),
    }


def _build(cfg: SimConfig) -> list[Param]:
    models = _px4(cfg) if cfg.is_px4 else _ardupilot(cfg)
    params = []
    for name, value, ptype in _table("px4.tsv" if cfg.is_px4 else "ardupilot_copter.tsv"):
        low, high = INT_BOUNDS.get(ptype, (-math.inf, math.inf))
        model = models.get(name)
        if model is None:
            params.append(Param(name, "", value, 1.0, ptype, low, high))
            continue
        m, wanted = model
        own = float(round(wanted)) if ptype in INT_BOUNDS else _f32(wanted)
        params.append(Param(name, m.key, own, m.scale, ptype, max(low, m.low), min(high, m.high)))
    missing = set(models) - {p.name for p in params}
    assert not missing, f"modelled parameters missing from the table: {missing}"
    return params


class ParamStore:
    """Parameters by name, index and purpose. Owned by the sim thread."""

    def __init__(self, config: SimConfig) -> None:
        self.bytewise = config.is_px4
        self._params = _build(config)
        self._by_name = {p.name: i for i, p in enumerate(self._params)}
        self._by_key = {p.key: p for p in self._params if p.key}
        self.version = 0  # bumps on every accepted change

    def __len__(self) -> int:
        return len(self._params)

    def si(self, key: str, default: float) -> float:
        """The SI value of the parameter used for ``key`` (``default`` when the flavour lacks it)."""
        p = self._by_key.get(key)
        return default if p is None else p.value * p.scale

    def index_of(self, name: str) -> int | None:
        return self._by_name.get(name)

    def by_index(self, index: int) -> Param | None:
        return self._params[index] if 0 <= index < len(self._params) else None

    def set(self, name: str, wire_value: float, wire_type: int = 0) -> Param | None:
        """Apply a PARAM_SET; returns the parameter (changed or not) or None when unknown."""
        return self.apply(name, wire_value)[0]

    def apply(self, name: str, wire_value: float) -> tuple[Param | None, str | None]:
        """Apply a PARAM_SET: (the parameter or None when unknown, why it was refused or None: one
        STATUSTEXT of at most 50 characters, as autopilots send them)."""
        index = self._by_name.get(name)
        if index is None:
            return None, None
        p = self._params[index]
        value = self.decode(wire_value, p.ptype)
        if not math.isfinite(value):
            return p, f"{name}: {value} is not a number"
        if p.ptype in INT_BOUNDS and value != round(value):
            return p, f"{name}: {value:g} is not an integer"
        if not p.low <= value <= p.high:
            return p, f"{name}: {value:g} out of range {p.low:g}..{p.high:g}"
        p.value = float(round(value)) if p.ptype in INT_BOUNDS else _f32(value)
        self.version += 1
        return p, None

    def encode(self, p: Param) -> float:
        if p.ptype in _PACK and self.bytewise:
            raw = struct.pack(_PACK[p.ptype], round(p.value)).ljust(4, b"\0")
            encoded: float = struct.unpack("<f", raw)[0]
            return encoded
        return float(p.value)

    def decode(self, wire_value: float, ptype: int) -> float:
        if ptype in _PACK and self.bytewise:
            try:
                raw = struct.pack("<f", wire_value)
            except (OverflowError, struct.error):
                return math.nan
            size = struct.calcsize(_PACK[ptype])
            return float(struct.unpack(_PACK[ptype], raw[:size])[0])
        return float(wire_value)

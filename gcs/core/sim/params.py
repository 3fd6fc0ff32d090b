"""A small, real parameter table per flavour, so PARAM_* works and tuning changes behaviour.

Only parameters the sim actually flies by are listed, under the autopilot's own names and units
(ArduPilot speaks centimetres, PX4 metres). PX4 sends integer parameters byte-wise inside the
float field (MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE); ArduPilot casts them to float.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import SimConfig

REAL32 = mavlink.MAV_PARAM_TYPE_REAL32
INT32 = mavlink.MAV_PARAM_TYPE_INT32


@dataclass
class Param:
    name: str
    key: str  # what the sim uses it for
    value: float  # in the autopilot's unit
    scale: float  # SI value = value * scale
    ptype: int
    low: float
    high: float


def _px4(cfg: SimConfig) -> list[Param]:
    return [
        Param("MAV_SYS_ID", "sysid", cfg.system_id, 1.0, INT32, 1, 255),
        Param("MIS_TAKEOFF_ALT", "takeoff_alt", cfg.takeoff_alt_default_m, 1.0, REAL32, 0.5, 500),
        Param("MPC_XY_VEL_MAX", "max_speed", cfg.max_speed_mps, 1.0, REAL32, 0.5, 30),
        Param("MPC_ACC_HOR_MAX", "max_accel", cfg.max_accel_mps2, 1.0, REAL32, 0.5, 15),
        Param("MPC_Z_VEL_MAX_UP", "max_climb", cfg.max_climb_mps, 1.0, REAL32, 0.5, 8),
        Param("MPC_Z_VEL_MAX_DN", "max_descent", cfg.max_descent_mps, 1.0, REAL32, 0.5, 4),
        Param("MPC_LAND_SPEED", "land_speed", cfg.land_speed_mps, 1.0, REAL32, 0.3, 4),
        Param("MPC_XY_CRUISE", "rtl_speed", cfg.rtl_speed_mps, 1.0, REAL32, 0.5, 20),
        Param("RTL_RETURN_ALT", "rtl_alt", cfg.rtl_alt_m, 1.0, REAL32, 0, 150),
        Param("COM_OF_LOSS_T", "offboard_timeout", cfg.offboard_timeout_s, 1.0, REAL32, 0.05, 60),
        Param("COM_DISARM_LAND", "land_disarm_delay", cfg.land_disarm_delay_s, 1.0, REAL32, -1, 20),
        Param("BAT1_N_CELLS", "battery_cells", cfg.battery_cells, 1.0, INT32, 1, 14),
        Param("BAT1_CAPACITY", "battery_capacity", cfg.battery_capacity_mah, 1.0, REAL32, 100, 100000),
    ]


def _ardupilot(cfg: SimConfig) -> list[Param]:
    cm = 0.01
    return [
        Param("SYSID_THISMAV", "sysid", cfg.system_id, 1.0, INT32, 1, 255),
        Param("WPNAV_SPEED", "max_speed", cfg.max_speed_mps * 100, cm, REAL32, 50, 3000),
        Param("WPNAV_ACCEL", "max_accel", cfg.max_accel_mps2 * 100, cm, REAL32, 50, 1500),
        Param("WPNAV_SPEED_UP", "max_climb", cfg.max_climb_mps * 100, cm, REAL32, 50, 800),
        Param("WPNAV_SPEED_DN", "max_descent", cfg.max_descent_mps * 100, cm, REAL32, 50, 400),
        Param("LAND_SPEED", "land_speed", cfg.land_speed_mps * 100, cm, REAL32, 30, 400),
        Param("RTL_ALT", "rtl_alt", cfg.rtl_alt_m * 100, cm, REAL32, 0, 30000),
        Param("RTL_SPEED", "rtl_speed", cfg.rtl_speed_mps * 100, cm, REAL32, 0, 2000),
        Param("BATT_CAPACITY", "battery_capacity", cfg.battery_capacity_mah, 1.0, INT32, 100, 100000),
    ]


class ParamStore:
    """Parameters by name, index and purpose. Owned by the sim thread."""

    def __init__(self, config: SimConfig) -> None:
        self.bytewise = config.is_px4
        self._params = _px4(config) if config.is_px4 else _ardupilot(config)
        self._by_name = {p.name: i for i, p in enumerate(self._params)}
        self._by_key = {p.key: p for p in self._params}
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

    def set(self, name: str, wire_value: float, wire_type: int) -> Param | None:
        """Apply a PARAM_SET; returns the parameter (changed or not) or None when unknown."""
        index = self._by_name.get(name)
        if index is None:
            return None
        p = self._params[index]
        value = self.decode(wire_value, p.ptype if wire_type == 0 else wire_type)
        if math.isfinite(value) and p.low <= value <= p.high:
            p.value = float(round(value)) if p.ptype == INT32 else value
            self.version += 1
        return p

    def encode(self, p: Param) -> float:
        if p.ptype == INT32 and self.bytewise:
            encoded: float = struct.unpack("<f", struct.pack("<i", round(p.value)))[0]
            return encoded
        return float(p.value)

    def decode(self, wire_value: float, ptype: int) -> float:
        if ptype == INT32 and self.bytewise:
            try:
                return float(struct.unpack("<i", struct.pack("<f", wire_value))[0])
            except (OverflowError, struct.error):
                return math.nan
        return float(wire_value)

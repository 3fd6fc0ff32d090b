"""Battery level from a charge reading and the configured thresholds.

One pure function so the alert engine, the follow refusal and both faces agree on what "low" and
"critical" mean; it reads the thresholds from ``SafetyConfig`` and nothing else.
"""

from __future__ import annotations

import math
from typing import Literal

from gcs.core.config.schema import SafetyConfig

BatteryLevel = Literal["ok", "low", "critical", "unknown"]


def battery_level(percent: float | None, cfg: SafetyConfig) -> BatteryLevel:
    """``"critical"`` at or below ``battery_critical_percent``, ``"low"`` at or below
    ``battery_low_percent``, ``"unknown"`` when the vehicle does not report a charge
    (``None``, NaN or a negative value: MAVLink's "-1 = not known")."""
    if percent is None or math.isnan(percent) or percent < 0:
        return "unknown"
    if percent <= cfg.battery_critical_percent:
        return "critical"
    if percent <= cfg.battery_low_percent:
        return "low"
    return "ok"

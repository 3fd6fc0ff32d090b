"""The pilot's RC sticks as ArduCopter reads them, so the sim descends where SITL descends.

ArduCopter's pilot modes (STABILIZE, ACRO, ALT_HOLD, POSHOLD, LOITER) take the climb rate from
the throttle stick. With no radio and no RC_CHANNELS_OVERRIDE, SITL reads throttle 1000 (stick
down), so a copter switched to LOITER at 10 m descends to the ground at the pilot's descent
rate. BRAKE and GUIDED ignore the sticks. ``get_pilot_desired_climb_rate`` (ArduCopter
Attitude.cpp) maps the 0..1000 throttle to a rate with a dead zone of THR_DZ around mid stick;
PILOT_SPEED_DN = 0 (the default) means "as PILOT_SPEED_UP" (250 cm/s).

An override lasts RC_OVERRIDE_TIME (3 s) unless renewed; per channel, 0 releases it and
UINT16_MAX leaves it as it was (MAVLink RC_CHANNELS_OVERRIDE).
"""

from __future__ import annotations

from typing import Any

RC_OVERRIDE_TIME_S = 3.0  # ArduPilot RC_OVERRIDE_TIME default
THR_DZ = 100  # ArduCopter THR_DZ, on the 0..1000 throttle scale
THR_MID = 500  # mid stick (ArduCopter get_throttle_mid with default RC3_MIN/MAX)
RC_MIN_PWM, RC_MAX_PWM = 1000, 2000
CENTRE_PWM = 1500
IGNORE = 65535
CHANNELS = 8  # RC_CHANNELS_OVERRIDE chan1..chan8 (MAVLink 1 fields)
THROTTLE = 3


class RcInput:
    """The eight RC inputs: a default per channel, overridden by the GCS for a while."""

    def __init__(self, throttle_pwm: int) -> None:
        self._default = {ch: CENTRE_PWM for ch in range(1, CHANNELS + 1)}
        self._default[THROTTLE] = throttle_pwm
        self._override: dict[int, tuple[int, float]] = {}  # channel -> (pwm, time set)

    def override(self, msg: Any, now: float) -> None:
        """Apply one RC_CHANNELS_OVERRIDE."""
        for ch in range(1, CHANNELS + 1):
            value = int(getattr(msg, f"chan{ch}_raw"))
            if value == IGNORE:
                continue
            if value == 0:
                self._override.pop(ch, None)
            else:
                self._override[ch] = (value, now)

    def pwm(self, channel: int, now: float) -> int:
        held = self._override.get(channel)
        if held is not None and now - held[1] <= RC_OVERRIDE_TIME_S:
            return held[0]
        return self._default[channel]

    def throttle_pwm(self, now: float) -> int:
        return self.pwm(THROTTLE, now)


def pilot_climb_rate(throttle_pwm: int, up_mps: float, down_mps: float) -> float:
    """Climb rate (m/s, up positive) ArduCopter's pilot modes ask for at this throttle."""
    down = down_mps if down_mps > 0 else up_mps  # PILOT_SPEED_DN = 0: use PILOT_SPEED_UP
    span = RC_MAX_PWM - RC_MIN_PWM
    throttle = max(0.0, min(1000.0, (throttle_pwm - RC_MIN_PWM) * 1000.0 / span))
    bottom, top = THR_MID - THR_DZ, THR_MID + THR_DZ
    if throttle < bottom:
        return down * (throttle - bottom) / bottom
    if throttle > top:
        return up_mps * (throttle - top) / (1000.0 - top)
    return 0.0


__all__ = ["RC_OVERRIDE_TIME_S", "RcInput", "pilot_climb_rate"]

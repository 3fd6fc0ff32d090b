"""Telemetry a third-party client asks for by interval: quaternion, altitude, IMU, outputs, mission.

These are not streamed by default (like the real autopilots on a GCS link); MAVSDK and MAVProxy
switch them on with MAV_CMD_SET_MESSAGE_INTERVAL or REQUEST_DATA_STREAM. Each flavour offers the
messages its autopilot has, as checked against the real ArduCopter SITL (4.7): both HIGHRES_IMU,
SCALED_IMU, SERVO_OUTPUT_RAW and ATTITUDE_QUATERNION; PX4 also ALTITUDE and ACTUATOR_OUTPUT_STATUS
(ArduCopter answers MAV_RESULT_FAILED for those two and never sends them), ArduPilot RAW_IMU and
MISSION_CURRENT.
"""

from __future__ import annotations

import math
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.autopilot import SimAutopilot

M = mavlink
GRAVITY = 9.80665
MAG_GAUSS = (0.21, 0.01, 0.42)  # a mid-latitude Earth field, north/east/down
PWM_MIN, PWM_MAX = 1000, 2000


def _usec(ap: SimAutopilot, now: float) -> int:
    return int((now - ap.boot_time) * 1e6)


def _boot_ms(ap: SimAutopilot, now: float) -> int:
    return int((now - ap.boot_time) * 1000) & 0xFFFFFFFF


def quaternion(roll: float, pitch: float, yaw: float) -> tuple[float, float, float, float]:
    """w, x, y, z of the ZYX Euler angles (MAVLink's ATTITUDE_QUATERNION order)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy)


def _imu(ap: SimAutopilot) -> tuple[tuple[float, float, float], tuple[float, float, float],
                                     tuple[float, float, float]]:
    """Specific force (m/s^2), rates (rad/s) and field (gauss) in the body frame."""
    b = ap.body
    cr, sr, cp, sp = math.cos(b.roll_rad), math.sin(b.roll_rad), math.cos(b.pitch_rad), math.sin(b.pitch_rad)
    acc = (GRAVITY * sp, -GRAVITY * sr * cp, -GRAVITY * cr * cp)
    cy, sy = math.cos(b.yaw_rad), math.sin(b.yaw_rad)
    n, e, d = MAG_GAUSS
    mag = (cy * n + sy * e, -sy * n + cy * e, d)  # heading only: enough for a compass reading
    return acc, (b.roll_rate, b.pitch_rate, b.yaw_rate), mag


def attitude_quaternion(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    w, x, y, z = quaternion(b.roll_rad, b.pitch_rad, b.yaw_rad)
    return M.MAVLink_attitude_quaternion_message(_boot_ms(ap, now), w, x, y, z, b.roll_rate, b.pitch_rate,
                                                 b.yaw_rate, [0.0, 0.0, 0.0, 0.0])


def altitude(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    amsl = ap.cfg.home_alt_msl_m - b.down_m
    home_d = ap.home[2] if ap.home else 0.0
    return M.MAVLink_altitude_message(_usec(ap, now), amsl, amsl, -b.down_m, home_d - b.down_m, -b.down_m,
                                      -b.down_m)


def highres_imu(ap: SimAutopilot, now: float) -> Any:
    acc, gyro, mag = _imu(ap)
    amsl = ap.cfg.home_alt_msl_m - ap.body.down_m
    pressure_hpa = 1013.25 * (1.0 - 2.25577e-5 * amsl) ** 5.25588
    return M.MAVLink_highres_imu_message(_usec(ap, now), *acc, *gyro, *mag, pressure_hpa, 0.0, amsl, 25.0,
                                         0x1FFF, 0)


def scaled_imu(ap: SimAutopilot, now: float) -> Any:
    acc, gyro, mag = _imu(ap)
    milli_g = [round(a / GRAVITY * 1000) for a in acc]
    return M.MAVLink_scaled_imu_message(_boot_ms(ap, now), *milli_g, *(round(g * 1000) for g in gyro),
                                        *(round(m * 1000) for m in mag), 2500)


def raw_imu(ap: SimAutopilot, now: float) -> Any:
    acc, gyro, mag = _imu(ap)
    milli_g = [round(a / GRAVITY * 1000) for a in acc]  # ArduPilot's RAW_IMU is in mG, mrad/s, mGauss too
    return M.MAVLink_raw_imu_message(_usec(ap, now), *milli_g, *(round(g * 1000) for g in gyro),
                                     *(round(m * 1000) for m in mag), 0, 2500)


def motor_pwm(ap: SimAutopilot) -> list[int]:
    """The four motors' outputs: minimum when disarmed, the hover throttle plus attitude effort when flying."""
    if not ap.armed:
        return [PWM_MIN] * 4
    throttle = ap.battery.throttle_pct(ap.armed, not ap.landed, ap.battery.current_a) / 100.0
    base = PWM_MIN + (PWM_MAX - PWM_MIN) * throttle
    b = ap.body
    roll, pitch = 100.0 * b.roll_rate, 100.0 * b.pitch_rate
    # quad X, ArduPilot motor order: front-right, rear-left, front-left, rear-right
    mix = (-roll + pitch, roll - pitch, roll + pitch, -roll - pitch)
    return [max(PWM_MIN, min(PWM_MAX, round(base + m))) for m in mix]


def servo_output_raw(ap: SimAutopilot, now: float) -> Any:
    pwm = motor_pwm(ap)
    usec = _usec(ap, now) & 0xFFFFFFFF
    return M.MAVLink_servo_output_raw_message(usec, 0, *pwm, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def actuator_output_status(ap: SimAutopilot, now: float) -> Any:
    pwm = [float(v) for v in motor_pwm(ap)]
    return M.MAVLink_actuator_output_status_message(_usec(ap, now), len(pwm), pwm + [0.0] * (32 - len(pwm)))


def mission_current(ap: SimAutopilot, now: float) -> Any:
    """The current item, the items planned (``total`` leaves ArduPilot's home out, as ArduCopter does:
    seq 0, total 0, NO_MISSION while MISSION_COUNT says 1) and the mission's state."""
    runner = ap.mission
    mode = 1 if ap.mode_info.behaviour.value == "mission" else 0
    return M.MAVLink_mission_current_message(runner.current, runner.total(), runner.mission_state(), mode)


COMMON = {
    M.MAVLINK_MSG_ID_ATTITUDE_QUATERNION: attitude_quaternion,
    M.MAVLINK_MSG_ID_HIGHRES_IMU: highres_imu,
    M.MAVLINK_MSG_ID_SCALED_IMU: scaled_imu,
    M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW: servo_output_raw,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: mission_current,
}
PX4_ONLY = {
    M.MAVLINK_MSG_ID_ALTITUDE: altitude,
    M.MAVLINK_MSG_ID_ACTUATOR_OUTPUT_STATUS: actuator_output_status,
}
ARDUPILOT_ONLY = {
    M.MAVLINK_MSG_ID_RAW_IMU: raw_imu,
}

"""The follower's gains and the safety limits as the follow loop and its safety filter take them,
read from the configuration (so a live config change reaches both through one conversion)."""

from __future__ import annotations

from gcs.core.config import GcsConfig
from gcs.core.follow.profiles import FollowParams
from gcs.core.follow.safety import SafetyLimits


def follow_params(cfg: GcsConfig) -> FollowParams:
    f = cfg.follow
    return FollowParams(
        max_forward_mps=f.max_forward_mps,
        max_lateral_mps=f.max_lateral_mps,
        max_vertical_mps=f.max_vertical_mps,
        max_yaw_rate_dps=f.max_yaw_rate_dps,
        gain_yaw=f.gain_yaw,
        gain_forward=f.gain_forward,
        target_size_frac=f.target_size_frac,
        hold_distance_m=f.hold_distance_m,
        gain_integral=f.gain_integral,
        intent_lifetime_s=cfg.safety.setpoint_lifetime_s,
    )


def safety_limits(cfg: GcsConfig) -> SafetyLimits:
    s = cfg.safety
    return SafetyLimits(
        max_horizontal_mps=s.max_speed_mps,
        max_vertical_mps=min(s.max_speed_mps, cfg.follow.max_vertical_mps),
        max_yaw_rate_dps=cfg.follow.max_yaw_rate_dps,
        min_altitude_m=s.min_altitude_m,
        max_altitude_m=s.max_altitude_m,
        target_lost_timeout_s=s.target_lost_timeout_s,
        geofence_radius_m=s.geofence_radius_m or None,  # 0: no radius fence
    )

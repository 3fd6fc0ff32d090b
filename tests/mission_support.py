"""A 5-waypoint mission as a Mission Planner / MAVProxy ``.waypoints`` file, for any home.

Home (line 0), a takeoff to 10 m, five waypoints on a 25 m pentagon round home at 10-14 m (each
waypoint's true position is checked in the tests), and RTL.
"""

from __future__ import annotations

import math

from gcs.core.vehicle.mission.generators import offset

WAYPOINTS = 5
RADIUS_M = 25.0


def five_waypoints(lat: float, lon: float, alt_msl_m: float) -> str:
    lines = ["QGC WPL 110", f"0\t1\t0\t16\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t{alt_msl_m:.2f}\t1",
             "1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t10\t1"]
    for k in range(WAYPOINTS):
        angle = 2 * math.pi * k / WAYPOINTS
        wlat, wlon = offset(lat, lon, RADIUS_M * math.cos(angle), RADIUS_M * math.sin(angle))
        lines.append(f"{k + 2}\t0\t3\t16\t0\t0\t0\t0\t{wlat:.7f}\t{wlon:.7f}\t{10 + k}\t1")
    lines.append(f"{WAYPOINTS + 2}\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1")
    return "\n".join(lines) + "\n"

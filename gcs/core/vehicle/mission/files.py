"""Mission files: QGC ``.plan`` (JSON) and the ``.waypoints`` text of Mission Planner and MAVProxy.

``.waypoints`` ("QGC WPL 110", MAVProxy's ``wp save`` and Mission Planner's format): a header line,
then one item per line, tab-separated: ``seq current frame command p1 p2 p3 p4 x y z autocontinue``.
Line 0 is home (Mission Planner writes it for every autopilot), so the planned items start at
seq 1. A fence or rally list has no home line (MAVProxy's ``fence save`` / ``rally save`` in the
same format).

``.plan`` (QGC): ``mission.items`` of ``SimpleItem`` (``params`` [p1..p7], ``frame``, ``command``,
``autoContinue``), ``mission.plannedHomePosition`` [lat, lon, alt AMSL], ``geoFence`` (polygons and
circles, inclusion or exclusion) and ``rallyPoints`` ([lat, lon, alt] relative to home). QGC writes
NaN params as JSON ``null``. Complex items (QGC's own survey/corridor patterns) are refused with
their line: QGC expands them only when it uploads; our survey generator writes plain waypoints.

Reading refuses anything it cannot take whole, naming the line or item (MissionInvalid); nothing is
half-read.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gcs.core.errors import MissionInvalid
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Home, Mission, MissionItem, MissionType

M = mavlink
WPL_HEADER = "QGC WPL 110"
MAX_ITEMS = 5000
FENCE_POLY_IN = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
FENCE_POLY_OUT = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
FENCE_CIRCLE_IN = M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
FENCE_CIRCLE_OUT = M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
RALLY = M.MAV_CMD_NAV_RALLY_POINT


def _num(value: str) -> float:
    return float(value)  # "nan" and "inf" included, as MAVProxy writes them


def _fmt(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.8f}"  # 1e-8 degrees: finer than MISSION_ITEM_INT


# ---- .waypoints ----------------------------------------------------------------------------------


def read_waypoints(text: str, kind: MissionType = MissionType.MISSION) -> Mission:
    """Parse a QGC WPL 110 file; for a mission, line 0 is home and is returned as ``home``."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not lines:
        raise MissionInvalid("empty waypoints file (expected the line 'QGC WPL 110')")
    first_no, first = lines[0]
    if not first.startswith("QGC WPL"):
        raise MissionInvalid(f"line {first_no}: not a waypoints file: expected 'QGC WPL 110', found {first[:40]!r}")
    if first.split()[-1] != "110":
        raise MissionInvalid(f"line {first_no}: waypoints format {first.split()[-1]!r} is not supported (only 110)")
    rows: list[tuple[int, MissionItem]] = []
    for number, line in lines[1:]:
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) != 12:
            raise MissionInvalid(f"line {number}: expected 12 tab-separated fields, found {len(fields)}")
        try:
            seq, _current, frame, command = (int(f) for f in fields[:4])
            p = [_num(f) for f in fields[4:11]]
            autocontinue = int(float(fields[11]))
        except (ValueError, OverflowError) as exc:  # OverflowError: int(float("inf"))
            raise MissionInvalid(f"line {number}: not a number: {exc}") from exc
        if seq != len(rows):
            raise MissionInvalid(f"line {number}: item number {seq} out of order (expected {len(rows)})")
        if command < 0 or command > 65535 or frame < 0 or frame > 255:
            raise MissionInvalid(f"line {number}: command {command} or frame {frame} out of range")
        rows.append((number, MissionItem(command, frame, p[0], p[1], p[2], p[3], p[4], p[5], p[6], bool(autocontinue))))
        if len(rows) > MAX_ITEMS:
            raise MissionInvalid(f"line {number}: more than {MAX_ITEMS} items")
    items = [item for _, item in rows]
    if kind is not MissionType.MISSION:
        return Mission(kind, tuple(items))
    if not items:
        return Mission(kind)
    home_item = items[0]
    home = Home(home_item.x, home_item.y, home_item.z) if home_item.has_position else None
    return Mission(kind, tuple(items[1:]), home)


def write_waypoints(mission: Mission) -> str:
    """QGC WPL 110 text; a mission gets its home line 0 (zeros when the home is unknown)."""
    items: list[MissionItem] = list(mission.items)
    if mission.kind is MissionType.MISSION:
        home = mission.home.as_item() if mission.home is not None else MissionItem(
            M.MAV_CMD_NAV_WAYPOINT, M.MAV_FRAME_GLOBAL)
        items.insert(0, home)
    lines = [WPL_HEADER]
    for seq, item in enumerate(items):
        current = 1 if seq == 0 and mission.kind is MissionType.MISSION else 0
        values = "\t".join(_fmt(v) for v in item.params)
        lines.append(f"{seq}\t{current}\t{item.frame}\t{item.command}\t{values}\t{int(item.autocontinue)}")
    return "\n".join(lines) + "\n"


# ---- .plan ---------------------------------------------------------------------------------------


def _float(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MissionInvalid(f"{where}: {value!r} is not a number")
    return float(value)


def _latlon(value: Any, where: str, size: int = 2) -> list[float]:
    if not isinstance(value, list) or len(value) < size:
        raise MissionInvalid(f"{where}: expected [lat, lon{', alt' if size > 2 else ''}], found {value!r}")
    return [_float(v, where) for v in value[:size]]


def _plan_items(mission: dict[str, Any]) -> list[MissionItem]:
    raw = mission.get("items", [])
    if not isinstance(raw, list):
        raise MissionInvalid("mission.items is not a list")
    items: list[MissionItem] = []
    for n, entry in enumerate(raw):
        where = f"mission item {n + 1}"
        if not isinstance(entry, dict):
            raise MissionInvalid(f"{where}: not an object")
        kind = entry.get("type", "SimpleItem")
        if kind != "SimpleItem":
            name = entry.get("complexItemType", kind)
            raise MissionInvalid(f"{where}: QGC complex item {name!r} is not supported (QGC expands it only when "
                                 "uploading; upload it from QGC, or use Kestrel's survey generator)")
        params = entry.get("params")
        if not isinstance(params, list) or len(params) != 7:
            raise MissionInvalid(f"{where}: 'params' must be a list of 7 numbers")
        command, frame = entry.get("command"), entry.get("frame", M.MAV_FRAME_GLOBAL_RELATIVE_ALT)
        if not isinstance(command, int) or not isinstance(frame, int) or not 0 <= command <= 65535:
            raise MissionInvalid(f"{where}: 'command' and 'frame' must be integers")
        p = [_float(v, where) for v in params]
        items.append(MissionItem(command, frame, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                                 bool(entry.get("autoContinue", True))))
    return items


def _plan_fence(fence: dict[str, Any]) -> list[MissionItem]:
    items: list[MissionItem] = []
    for n, poly in enumerate(fence.get("polygons", []) or []):
        where = f"geoFence polygon {n + 1}"
        points = poly.get("polygon") if isinstance(poly, dict) else None
        if not isinstance(points, list) or len(points) < 3:
            raise MissionInvalid(f"{where}: needs at least 3 [lat, lon] points")
        command = FENCE_POLY_IN if poly.get("inclusion", True) else FENCE_POLY_OUT
        for point in points:
            lat, lon = _latlon(point, where)
            items.append(MissionItem(command, M.MAV_FRAME_GLOBAL, float(len(points)), x=lat, y=lon,
                                     autocontinue=False))
    for n, circle in enumerate(fence.get("circles", []) or []):
        where = f"geoFence circle {n + 1}"
        body = circle.get("circle") if isinstance(circle, dict) else None
        if not isinstance(body, dict):
            raise MissionInvalid(f"{where}: expected {{'circle': {{'center': [lat, lon], 'radius': r}}}}")
        lat, lon = _latlon(body.get("center"), where)
        radius = _float(body.get("radius"), where)
        if not radius > 0:
            raise MissionInvalid(f"{where}: radius must be > 0")
        command = FENCE_CIRCLE_IN if circle.get("inclusion", True) else FENCE_CIRCLE_OUT
        items.append(MissionItem(command, M.MAV_FRAME_GLOBAL, radius, x=lat, y=lon, autocontinue=False))
    return items


def _plan_rally(rally: dict[str, Any]) -> list[MissionItem]:
    items = []
    for n, point in enumerate(rally.get("points", []) or []):
        lat, lon, alt = _latlon(point, f"rally point {n + 1}", 3)
        items.append(MissionItem(RALLY, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, x=lat, y=lon, z=alt, autocontinue=False))
    return items


def read_plan(text: str) -> dict[MissionType, Mission]:
    """The mission, fence and rally lists of a QGC .plan file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise MissionInvalid(f"not a QGC plan: invalid JSON at {where}: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("fileType") != "Plan":
        raise MissionInvalid("not a QGC plan: the JSON has no \"fileType\": \"Plan\"")
    mission = data.get("mission") or {}
    if not isinstance(mission, dict):
        raise MissionInvalid("mission is not an object")
    home = None
    planned = mission.get("plannedHomePosition")
    if planned is not None:
        lat, lon, alt = _latlon(planned, "mission.plannedHomePosition", 3)
        if not (lat == 0 and lon == 0):
            home = Home(lat, lon, alt)
    fence, rally = data.get("geoFence") or {}, data.get("rallyPoints") or {}
    if not isinstance(fence, dict) or not isinstance(rally, dict):
        raise MissionInvalid("geoFence and rallyPoints must be objects")
    items = _plan_items(mission)
    if len(items) > MAX_ITEMS:
        raise MissionInvalid(f"more than {MAX_ITEMS} mission items")
    return {
        MissionType.MISSION: Mission(MissionType.MISSION, tuple(items), home),
        MissionType.FENCE: Mission(MissionType.FENCE, tuple(_plan_fence(fence))),
        MissionType.RALLY: Mission(MissionType.RALLY, tuple(_plan_rally(rally))),
    }


def _json_num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _fence_json(fence: Mission) -> dict[str, Any]:
    polygons: list[dict[str, Any]] = []
    circles: list[dict[str, Any]] = []
    items = list(fence.items)
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in (FENCE_POLY_IN, FENCE_POLY_OUT):
            count = max(1, int(item.param1)) if math.isfinite(item.param1) else 1  # a NaN count: one vertex
            points = [[p.x, p.y] for p in items[i:i + count]]
            polygons.append({"inclusion": item.command == FENCE_POLY_IN, "polygon": points, "version": 1})
            i += count
            continue
        if item.command in (FENCE_CIRCLE_IN, FENCE_CIRCLE_OUT):
            circles.append({"circle": {"center": [item.x, item.y], "radius": item.param1},
                            "inclusion": item.command == FENCE_CIRCLE_IN, "version": 1})
        i += 1
    return {"circles": circles, "polygons": polygons, "version": 2}


def write_plan(lists: dict[MissionType, Mission], *, firmware: int = M.MAV_AUTOPILOT_ARDUPILOTMEGA,
               vehicle_type: int = M.MAV_TYPE_QUADROTOR) -> str:
    """A QGC .plan with whichever of the three lists are given."""
    mission = lists.get(MissionType.MISSION, Mission())
    home = mission.home
    items = []
    for n, item in enumerate(mission.items, 1):
        items.append({"autoContinue": item.autocontinue, "command": item.command, "doJumpId": n,
                      "frame": item.frame, "params": [_json_num(v) for v in item.params], "type": "SimpleItem"})
    plan = {
        "fileType": "Plan",
        "geoFence": _fence_json(lists.get(MissionType.FENCE, Mission(MissionType.FENCE))),
        "groundStation": "Kestrel GCS",
        "mission": {
            "cruiseSpeed": 15, "firmwareType": firmware, "globalPlanAltitudeMode": 1, "hoverSpeed": 5,
            "items": items,
            "plannedHomePosition": [home.lat_deg, home.lon_deg, home.alt_msl_m] if home else [0, 0, 0],
            "vehicleType": vehicle_type, "version": 2,
        },
        "rallyPoints": {"points": [[p.x, p.y, p.z] for p in lists.get(MissionType.RALLY, Mission()).items],
                        "version": 2},
        "version": 1,
    }
    return json.dumps(plan, indent=4) + "\n"


def read_any(text: str, name: str = "", kind: MissionType = MissionType.MISSION) -> dict[MissionType, Mission]:
    """A .plan (JSON) or a .waypoints file, told apart by the content (the name only breaks ties)."""
    stripped = text.lstrip()
    if stripped.startswith("{") or name.endswith(".plan"):
        return read_plan(text)
    return {kind: read_waypoints(text, kind)}

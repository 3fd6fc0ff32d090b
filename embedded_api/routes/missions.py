"""Missions, geofence and rally points: read and export (viewer role); upload, clear, start, set the
current item and generate (operator role).

Lists are shown without ArduPilot's home item 0 (``seq_offset`` gives the vehicle's number of the
first item). ``GET /api/missions?refresh=true`` downloads the three lists from the vehicle first.
Uploads take JSON items or a QGC ``.plan`` / ``.waypoints`` file as the body. 422: a malformed
file or item (the line and why); 409: the vehicle refused (MISSION_ACK error, its STATUSTEXT) or a
read-only replay; 504: the vehicle stopped answering.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from embedded_api.deps import Operator, ServiceDep, Viewer
from gcs.core.errors import MissionInvalid
from gcs.core.serialize import to_plain
from gcs.core.vehicle.mission import Home, Mission, MissionItem, MissionType, OrbitSpec, SurveySpec

router = APIRouter(prefix="/api/missions", tags=["missions"])

VehicleQuery = Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")]
KindQuery = Annotated[Literal["mission", "fence", "rally"], Query(description="which list")]
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a QGC .plan (JSON) or a Mission Planner/MAVProxy .waypoints (QGC WPL 110) file",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such vehicle"},
    409: {"description": "refused by the vehicle (MISSION_ACK error), or a read-only replay"},
    422: {"description": "a malformed mission file or item"},
    504: {"description": "the vehicle stopped answering the transfer"},
}


class ItemModel(BaseModel):
    """One MISSION_ITEM_INT without seq: x/y are degrees in a global frame."""

    model_config = ConfigDict(extra="forbid")

    command: int = Field(..., ge=0, le=65535, description="MAV_CMD (16 waypoint, 22 takeoff, 21 land, 20 RTL...)")
    frame: int = Field(default=3, ge=0, le=21, description="MAV_FRAME (3: global, altitude above home)")
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: float = Field(default=0.0, description="latitude (degrees) in a global frame")
    y: float = Field(default=0.0, description="longitude (degrees) in a global frame")
    z: float = Field(default=0.0, description="altitude (metres, in the frame's reference)")
    autocontinue: bool = True


class HomeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat_deg: float = Field(..., ge=-90, le=90, allow_inf_nan=False)
    lon_deg: float = Field(..., ge=-180, le=180, allow_inf_nan=False)
    alt_msl_m: float = Field(default=0.0, ge=-1000, le=20000, allow_inf_nan=False, description="metres AMSL")


class UploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["mission", "fence", "rally"] = "mission"
    items: list[ItemModel] = Field(..., max_length=1000)
    home: HomeModel | None = None


class CurrentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(..., ge=0, le=65534, description="the vehicle's item number (ArduPilot: 1 = first item)")


class OrbitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat_deg: float | None = Field(default=None, ge=-85, le=85, description="centre; omitted: the tracked target")
    lon_deg: float | None = Field(default=None, ge=-180, le=180)
    radius_m: float = Field(default=20.0, ge=2, le=2000)
    alt_m: float = Field(default=15.0, ge=1, le=500)
    points: int = Field(default=8, ge=3, le=72)
    turns: float = Field(default=1.0, ge=0.1, le=20)
    clockwise: bool = True
    takeoff_alt_m: float | None = Field(default=10.0, ge=0.5, le=500)
    speed_mps: float | None = Field(default=None, ge=0.5, le=30)
    finish: Literal["hold", "land", "rtl"] = "rtl"
    upload: bool = Field(default=False, description="also upload it to the vehicle")


class SurveyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat_deg: float = Field(..., ge=-85, le=85, description="centre of the rectangle")
    lon_deg: float = Field(..., ge=-180, le=180)
    length_m: float = Field(default=100.0, ge=1, le=5000)
    width_m: float = Field(default=60.0, ge=0, le=5000)
    heading_deg: float = Field(default=0.0, ge=-360, le=360)
    spacing_m: float = Field(default=20.0, ge=1, le=1000)
    alt_m: float = Field(default=30.0, ge=1, le=500)
    takeoff_alt_m: float | None = Field(default=10.0, ge=0.5, le=500)
    speed_mps: float | None = Field(default=None, ge=0.5, le=30)
    finish: Literal["hold", "land", "rtl"] = "rtl"
    upload: bool = False


def _mission(mission: Mission) -> dict[str, Any]:
    items = [{"seq": mission.seq_offset + n, "name": item.name, **to_plain(item)}
             for n, item in enumerate(mission.items)]
    return {"kind": mission.kind.value, "seq_offset": mission.seq_offset, "count": len(items), "items": items,
            "home": to_plain(mission.home) if mission.home else None}


def _from_body(body: UploadBody) -> Mission:
    home = Home(body.home.lat_deg, body.home.lon_deg, body.home.alt_msl_m) if body.home else None
    items = tuple(MissionItem(**item.model_dump()) for item in body.items)
    return Mission(MissionType(body.kind), items, home)


async def _text(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise MissionInvalid("the mission file is not UTF-8 text") from None


@router.get("", responses=ERRORS)
def list_missions(service: ServiceDep, _: Viewer, vehicle: VehicleQuery = None,
                  refresh: Annotated[bool, Query(description="download the three lists first")] = False
                  ) -> dict[str, Any]:
    """The mission, geofence and rally lists as last downloaded or uploaded, and the vehicle's progress."""
    if refresh:
        for kind in MissionType:
            service.download_mission(kind, vehicle)
    lists = service.missions(vehicle)
    return {**{kind.value: _mission(m) for kind, m in lists.items()},
            "progress": to_plain(service.mission_progress(vehicle))}


@router.get("/export", response_class=PlainTextResponse)
def export(service: ServiceDep, _: Viewer, format: Annotated[Literal["plan", "waypoints"], Query()] = "plan",
           kind: KindQuery = "mission", vehicle: VehicleQuery = None) -> PlainTextResponse:
    """The lists as a file: a QGC .plan (all three) or a .waypoints (one list)."""
    content = service.export_mission(format, kind, vehicle)
    sysid = vehicle or service.active_vehicle_id or 0
    name = f"vehicle{sysid}.plan" if format == "plan" else f"vehicle{sysid}_{kind}.waypoints"
    return PlainTextResponse(content, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/upload", responses=ERRORS)
def upload(service: ServiceDep, principal: Operator, body: UploadBody, vehicle: VehicleQuery = None
           ) -> dict[str, Any]:
    """Replace one list on the vehicle with these items (ArduPilot's home item is added for you)."""
    mission = service.upload_mission(_from_body(body), vehicle, source=f"api:{principal.subject}")
    return _mission(mission)


@router.post("/upload-file", openapi_extra=FILE_BODY, responses=ERRORS)
async def upload_file(request: Request, service: ServiceDep, principal: Operator,
                      name: Annotated[str, Query(max_length=200, description="the file's name")] = "",
                      kind: KindQuery = "mission", vehicle: VehicleQuery = None) -> dict[str, Any]:
    """Upload a .plan (its mission, and its fence and rally points when it has any) or a .waypoints file."""
    content = await _text(request)
    done = await run_in_threadpool(service.upload_mission_file, content, name, vehicle, kind=kind,
                                   source=f"api:{principal.subject}")
    return {"uploaded": [_mission(m) for m in done]}


@router.post("/clear", responses=ERRORS)
def clear(service: ServiceDep, principal: Operator, kind: KindQuery = "mission", vehicle: VehicleQuery = None
          ) -> dict[str, Any]:
    """Remove one list from the vehicle (MISSION_CLEAR_ALL)."""
    service.clear_mission(kind, vehicle, source=f"api:{principal.subject}")
    return {"cleared": kind}


@router.post("/start", responses=ERRORS)
def start(service: ServiceDep, principal: Operator, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """Fly the mission (MAV_CMD_MISSION_START: ArduPilot AUTO, PX4 Mission); arm first to take off."""
    result: dict[str, Any] = to_plain(service.start_mission(vehicle, source=f"api:{principal.subject}"))
    return result


@router.post("/current", responses=ERRORS)
def set_current(service: ServiceDep, _: Operator, body: CurrentBody, vehicle: VehicleQuery = None
                ) -> dict[str, Any]:
    """Make item ``seq`` the next one flown."""
    progress: dict[str, Any] = to_plain(service.set_mission_current(body.seq, vehicle))
    return progress


@router.post("/generate/orbit", responses=ERRORS)
def generate_orbit(service: ServiceDep, principal: Operator, body: OrbitBody, vehicle: VehicleQuery = None
                   ) -> dict[str, Any]:
    """An orbit round a point, or round the tracked target when no point is given (upload it with upload)."""
    options = body.model_dump(exclude={"lat_deg", "lon_deg", "upload"})
    if body.lat_deg is None or body.lon_deg is None:
        mission = service.generate_orbit_target(vehicle, **options)
    else:
        mission = service.generate_orbit(OrbitSpec(body.lat_deg, body.lon_deg, **options))
    if body.upload:
        mission = service.upload_mission(mission, vehicle, source=f"api:{principal.subject}")
    return _mission(mission)


@router.post("/generate/survey", responses=ERRORS)
def generate_survey(service: ServiceDep, principal: Operator, body: SurveyBody, vehicle: VehicleQuery = None
                    ) -> dict[str, Any]:
    """A lawnmower survey of a rectangle (upload it with upload)."""
    mission = service.generate_survey(SurveySpec(**body.model_dump(exclude={"upload"})))
    if body.upload:
        mission = service.upload_mission(mission, vehicle, source=f"api:{principal.subject}")
    return _mission(mission)

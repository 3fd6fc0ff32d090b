"""The map (viewer role): its snapshot and its tiles; flying to a clicked point is POST /api/vehicle/goto.

``GET /api/map`` answers everything the map shows (``gcs.core.map.model.MapSnapshot``): vehicles with
heading, trails, home, the tracked target's estimated ground position, the follow setpoint direction,
the geofence, the last goto point, the mission layer and which tiles to draw. The telemetry
streams carry the same snapshot without trails as ``map`` events. ``GET /api/map/tiles/{z}/{x}/{y}``
serves the configured tile source through the core's disk cache (or an MBTiles file), so the
dashboard needs no internet access of its own; it takes ``?token=`` because map libraries load
tiles as plain images, which cannot send headers. 404 when there is no source or no such tile.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response

from embedded_api.deps import ServiceDep, StreamViewer, Viewer
from gcs.core.map.tiles import image_type
from gcs.core.serialize import to_plain

router = APIRouter(tags=["map"])
TILE_CACHE_S = 86400


@router.get("/api/map")
def map_state(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The map's layers now: vehicles, trails, home, target estimate, setpoint, geofence, goto, tiles."""
    plain: dict[str, Any] = to_plain(service.map_state())
    return plain


@router.get("/api/map/tiles/{z}/{x}/{y}", responses={200: {"content": {"image/png": {}, "image/jpeg": {}}},
                                                    404: {"description": "no tile source, or no such tile"}})
def map_tile(
    service: ServiceDep,
    _: StreamViewer,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0, le=2**22)],
    y: Annotated[int, Path(ge=0, le=2**22)],
) -> Response:
    """One map tile from the configured source (cached on disk by the program)."""
    tiles = service.map_tiles()
    if tiles.kind == "grid":
        raise HTTPException(404, "no tile source configured (map.tile_url or map.tile_mbtiles): the map draws its grid")
    data = service.map_tile(z, x, y)
    if data is None:
        raise HTTPException(404, f"no tile {z}/{x}/{y} from the {tiles.kind} source (offline and not cached?)")
    return Response(data, media_type=image_type(data), headers={"Cache-Control": f"private, max-age={TILE_CACHE_S}"})

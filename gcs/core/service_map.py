"""The map half of GcsService (a mixin): the map's snapshot, click-to-fly and its tiles.

``map_state()`` is what both faces draw (gcs.core.map.model); ``goto(lat, lon)`` flies the active
vehicle there, refused like every action that starts motion through the availability rule book
(not airborne, no position, a replay: the ``goto`` rule) and, here, a point outside the geofence
or absurdly far away. Both faces ask the pilot to confirm it first (``goto`` is in ALWAYS_CONFIRM).
``map_tile(z, x, y)`` serves both faces from the configured source (gcs.core.map.tiles), built again
when the ``map`` settings change.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gcs.core.bus import MessageBus
from gcs.core.config import ConfigStore
from gcs.core.errors import CommandRejected, VehicleNotFound
from gcs.core.logs.paths import data_dir
from gcs.core.map.geo import LatLon, distance_m
from gcs.core.map.model import MapGoto, MapSnapshot, MapTiles
from gcs.core.map.tiles import MbtilesSource, TileSource, XyzSource
from gcs.core.map.tracker import MapInputs, MapTracker
from gcs.core.models import CommandResult, VehicleState
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.connection import LinkKind
from gcs.core.vehicle.fleet import Fleet

if TYPE_CHECKING:
    from gcs.core.vehicle.vehicle import Vehicle
    from gcs.core.vision import VisionPipeline

GOTO_MAX_DISTANCE_M = 10_000.0  # a click further than this from the vehicle is a mistake, not a flight
TILE_URL = "/api/map/tiles/{z}/{x}/{y}"
log = logging.getLogger(__name__)


class MapFacade:
    """Mixed into GcsService, which sets the attributes below and calls ``_build_map()``."""

    bus: MessageBus
    config: ConfigStore
    fleet: Fleet
    commander: Commander
    vision: VisionPipeline
    map: MapTracker
    _vehicle: Callable[[int | None], Any]
    _run_command: Callable[[str, Callable[[], CommandResult]], CommandResult]
    _refuse_unless: Callable[..., None]
    _stop_driving: Callable[..., None]
    vehicle_origin: Callable[[int], str | None]

    def _build_map(self) -> None:
        self._tiles_lock = threading.Lock()
        self._tiles_made: tuple[tuple[object, ...], TileSource | None] | None = None
        self.map = MapTracker(self.bus, MapInputs(
            vehicles=self._map_vehicles, active_id=lambda: self.fleet.active_id,
            target=self._map_target, mount=self.vision.camera_mount, commander=self.commander.status,
            geofence=lambda: (self.config.current.safety.geofence_radius_m,
                              self.config.current.safety.geofence_margin_m),
            tiles=self.map_tiles,
        ))  # fmt: skip

    def _map_vehicles(self) -> list[tuple[VehicleState, bool, str | None]]:
        out = []
        for sysid in self.fleet.ids():
            try:
                vehicle = self.fleet.vehicle(sysid)
            except VehicleNotFound:
                continue
            out.append((vehicle.state, vehicle.link.spec.kind is LinkKind.REPLAY, self.vehicle_origin(sysid)))
        return out

    def _map_target(self) -> Any:
        return self.vision.tracked_target() if self.vision.running else None

    def _tile_source(self) -> TileSource | None:
        """The configured source, made again when the map settings change (None: the grid)."""
        m = self.config.current.map
        key = (m.tile_url, m.tile_mbtiles, m.tile_attribution, m.tile_max_zoom, m.tile_cache_days, m.tile_user_agent,
               m.tile_cache_mb)
        with self._tiles_lock:
            made = self._tiles_made
            if made is not None and made[0] == key:
                return made[1]
            if made is not None and made[1] is not None:
                made[1].close()
            source: TileSource | None = None
            try:
                if m.tile_mbtiles:
                    source = MbtilesSource(Path(m.tile_mbtiles).expanduser(), attribution=m.tile_attribution,
                                           max_zoom=m.tile_max_zoom)
                elif m.tile_url:
                    source = XyzSource(m.tile_url, data_dir() / "tiles", attribution=m.tile_attribution,
                                       max_zoom=m.tile_max_zoom, max_age_days=m.tile_cache_days,
                                       user_agent=m.tile_user_agent, max_cache_mb=m.tile_cache_mb)
            except (OSError, ValueError) as exc:
                log.error("map tiles off (the grid is drawn): %s", exc)
            except sqlite3.Error as exc:
                log.error("map tiles off: %s is not an MBTiles file (%s)", m.tile_mbtiles, exc)
            self._tiles_made = (key, source)
            return source

    def map_tiles(self) -> MapTiles:
        """What the map draws under its layers: ``grid`` (no tile source), ``xyz`` or ``mbtiles``."""
        source = self._tile_source()
        if source is None:
            return MapTiles("grid", "", self.config.current.map.tile_max_zoom, "")
        return MapTiles(source.kind, source.attribution, source.max_zoom, TILE_URL)

    def map_tile(self, z: int, x: int, y: int) -> bytes | None:
        """One tile's bytes from the configured source (cached on disk), None without one; blocks."""
        source = self._tile_source()
        return source.tile(z, x, y) if source is not None else None

    def map_state(self, *, trails: bool = True) -> MapSnapshot:
        """Everything the map shows now: vehicles, trails, home, target estimate, setpoint, geofence."""
        return self.map.snapshot(trails=trails)

    def goto(self, lat_deg: float, lon_deg: float, alt_rel_m: float | None = None,
             system_id: int | None = None) -> CommandResult:
        """Fly to (lat, lon) at ``alt_rel_m`` above home (default: the height it flies at) and hold there.

        Stops the follower and the setpoint stream first (as any commanded mode change does)."""
        vehicle = self._vehicle(system_id)

        def action() -> CommandResult:
            self._refuse_unless("goto", vehicle)
            alt = self._goto_checks(vehicle, lat_deg, lon_deg, alt_rel_m)
            self._stop_driving(vehicle, "goto commanded")
            result: CommandResult = vehicle.goto(lat_deg, lon_deg, alt)
            self.map.note_goto(MapGoto(vehicle.system_id, lat_deg, lon_deg, alt, time.time()))
            return result

        return self._run_command("GOTO", action)

    def _goto_checks(self, vehicle: Vehicle, lat: float, lon: float, alt_rel_m: float | None) -> float:
        """The point's own refusals (the rule book knows only the vehicle); returns the altitude to fly at."""
        def refuse(why: str) -> CommandRejected:
            return CommandRejected(f"GOTO refused: {why}", "GOTO", "LOCAL_REFUSAL")

        if not (math.isfinite(lat) and math.isfinite(lon) and -90 < lat < 90 and -180 <= lon <= 180):
            raise refuse(f"({lat}, {lon}) is not a latitude/longitude")
        state = vehicle.state
        safety = self.config.current.safety
        alt = state.global_position.alt_rel_m if alt_rel_m is None else float(alt_rel_m)
        if not math.isfinite(alt) or not safety.min_altitude_m <= alt <= safety.max_altitude_m:
            raise refuse(f"altitude {alt:.1f} m is outside safety.min_altitude_m-max_altitude_m "
                         f"({safety.min_altitude_m:g}-{safety.max_altitude_m:g} m)")
        gp = state.global_position
        far = distance_m(LatLon(gp.lat_deg, gp.lon_deg), LatLon(lat, lon))
        if far > GOTO_MAX_DISTANCE_M:
            raise refuse(f"the point is {far / 1000:.1f} km from the vehicle (more than "
                         f"{GOTO_MAX_DISTANCE_M / 1000:g} km: a mistaken click?)")
        radius = safety.geofence_radius_m
        if radius > 0:
            if state.home is None:
                raise refuse("no home position to measure the geofence from (safety.geofence_radius_m is set)")
            out = distance_m(LatLon(state.home.lat_deg, state.home.lon_deg), LatLon(lat, lon))
            if out > radius:
                raise refuse(f"the point is {out:.0f} m from home, outside the geofence "
                             f"(safety.geofence_radius_m = {radius:g} m)")
        return alt

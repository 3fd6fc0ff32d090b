"""The ``map`` settings section: where map tiles come from (none: the offline grid) and the cache."""

from __future__ import annotations

from pydantic import model_validator

from gcs.core.config.schema_base import _Section, setting


class MapConfig(_Section):
    """The map under the vehicles: a tile source (XYZ URL or MBTiles file), its attribution, the cache."""

    tile_url: str = setting(
        "", apply="live", max_length=500,
        description="XYZ tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png ({s} for "
        "a, b, c); empty with no MBTiles file: the offline metric grid",
    )
    tile_mbtiles: str = setting(
        "", apply="live", max_length=1000,
        description="A local MBTiles file of raster tiles (used instead of tile_url when set)",
    )
    tile_attribution: str = setting(
        "", apply="live", max_length=300,
        description="Attribution the tile source asks for, shown on the map (empty: the MBTiles file's own, "
        "or '© OpenStreetMap contributors' for openstreetmap.org)",
    )
    tile_max_zoom: int = setting(19, apply="live", ge=1, le=22, description="Highest zoom the tile source has")
    tile_cache_days: float = setting(
        30.0, apply="live", ge=0, le=3650,
        description="Age after which a cached tile is fetched again (a stale one is still shown offline)",
    )
    tile_cache_mb: float = setting(
        500.0, apply="live", ge=1, le=100_000,
        description="Largest the tile cache on disk may grow (every source together): beyond it the tiles "
        "fetched longest ago are deleted",
    )
    tile_user_agent: str = setting(
        "KestrelGCS/1.0 (ground control station)", apply="live", min_length=1, max_length=200,
        description="HTTP User-Agent sent to the tile server (OpenStreetMap's policy asks for one)",
    )

    @model_validator(mode="after")
    def _template(self) -> MapConfig:
        url = self.tile_url
        if url and not (url.startswith(("http://", "https://")) and all(k in url for k in ("{z}", "{x}", "{y}"))):
            raise ValueError(f"tile_url {url!r} must be an http(s) URL with {{z}}, {{x}} and {{y}}")
        return self

"""Map tiles: a local XYZ server through the disk cache (online, offline, stale), an MBTiles file, and
the service's choice of source from the ``map`` settings. Nothing leaves loopback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gcs.core.map.geo import from_world_px, metres_per_px, tile_of, world_px
from gcs.core.map.tiles import MbtilesSource, XyzSource, image_type
from tests.map_tiles_support import TileServer, make_mbtiles

ZURICH = (47.397742, 8.545594)


def test_web_mercator_round_trip_and_scale() -> None:
    x, y = world_px(*ZURICH, 17)
    back = from_world_px(x, y, 17)
    assert abs(back.lat_deg - ZURICH[0]) < 1e-9 and abs(back.lon_deg - ZURICH[1]) < 1e-9
    assert tile_of(*ZURICH, 17) == (int(x // 256), int(y // 256))
    assert abs(metres_per_px(0.0, 0) - 156543.03) < 0.1  # the slippy-map table's zoom-0 value


def test_xyz_tiles_are_cached_and_served_offline(tmp_path: Path) -> None:
    with TileServer() as server:
        source = XyzSource(server.template, tmp_path, attribution="test tiles", max_age_days=30)
        z, (x, y) = 16, tile_of(*ZURICH, 16)
        first = source.tile(z, x, y)
        assert first is not None and image_type(first) == "image/png"
        assert source.tile(z, x, y) == first and len(server.requests) == 1, "the second one came from disk"
        cached = list(source.cache_dir.rglob("*.tile"))
        assert len(cached) == 1 and cached[0].read_bytes() == first
        assert source.tile(19, 0, 0) is None, "the server's 404: no tile, and the source stays online"
        assert source.tile(z, x + 1, y) is not None
        server.stop()
    # offline: the cached tile still shows (even once stale), an uncached one is None at once
    source.max_age_s = 0.0
    os.utime(cached[0], (time.time() - 10, time.time() - 10))
    assert source.tile(z, x, y) == first
    started = time.monotonic()
    assert source.tile(z, x + 5, y) is None
    assert source.tile(z, x + 6, y) is None
    assert time.monotonic() - started < 4.0, "after one failure the source does not wait on the network again"
    assert source.tile(30, 0, 0) is None and source.tile(3, 8, 0) is None, "outside the tile pyramid"


def test_mbtiles_file_with_its_attribution(tmp_path: Path) -> None:
    path = make_mbtiles(tmp_path / "area.mbtiles", range(14, 17), ZURICH, "© Test Survey")
    source = MbtilesSource(path)
    assert source.attribution == "© Test Survey" and source.max_zoom == 16
    x, y = tile_of(*ZURICH, 15)
    data = source.tile(15, x, y)
    assert data is not None and image_type(data) == "image/png"
    assert source.tile(15, x + 5, y) is None
    with pytest.raises(FileNotFoundError):
        MbtilesSource(tmp_path / "missing.mbtiles")


def test_the_service_draws_the_grid_until_a_source_is_set(make_service, tmp_path: Path) -> None:
    service = make_service(None)
    assert service.map_tiles().kind == "grid" and service.map_tile(1, 0, 0) is None
    with TileServer() as server:
        service.config.set("map", "tile_url", server.template, source="test")
        tiles = service.map_tiles()
        assert (tiles.kind, tiles.url) == ("xyz", "/api/map/tiles/{z}/{x}/{y}")
        assert service.map_tile(12, *tile_of(*ZURICH, 12)) is not None
    path = make_mbtiles(tmp_path / "a.mbtiles", range(10, 13), ZURICH, "© MB")
    service.config.set("map", "tile_mbtiles", str(path), source="test")
    assert (service.map_tiles().kind, service.map_tiles().attribution) == ("mbtiles", "© MB")
    assert service.map_tile(12, *tile_of(*ZURICH, 12)) is not None
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite at all" * 100)
    service.config.set("map", "tile_mbtiles", str(tmp_path / "junk.mbtiles"), source="test")
    assert service.map_tiles().kind == "grid", "a broken file: the grid, and the log says why"


def test_the_disk_cache_keeps_under_its_cap_by_deleting_the_oldest_tiles(tmp_path: Path) -> None:
    """map.tile_cache_mb over every source's tiles: a full cache is trimmed, the tiles fetched longest
    ago go first, the newest stay (and are served from disk without the network)."""
    with TileServer() as server:
        z, (x0, y) = 16, tile_of(*ZURICH, 16)
        size = len(XyzSource(server.template, tmp_path / "probe").tile(z, x0, y) or b"")
        assert size > 100
        cap_mb = 6.5 * size / (1024 * 1024)  # room for six tiles
        first = XyzSource(server.template, tmp_path / "tiles", max_cache_mb=cap_mb)
        other = XyzSource(server.template.replace("/tiles/", "/layer2/tiles/"), tmp_path / "tiles",
                          max_cache_mb=cap_mb)
        base = time.time() - 1000.0
        order: list[Path] = []
        for k in range(12):  # alternate the two sources: one cap for both
            source = first if k % 2 == 0 else other
            assert source.tile(z, x0 + k, y) is not None
            path = source._path(z, x0 + k, y)
            if path.exists():
                os.utime(path, (base + k, base + k))  # fetched k seconds apart
            order.append(path)
            assert first.cache_bytes() <= 6.5 * size, f"over the cap after tile {k}"
        kept = [p for p in order if p.exists()]
        assert kept == order[-len(kept):], "the oldest went first"
        assert 4 <= len(kept) <= 6 and first.evicted + other.evicted == 12 - len(kept)
        assert {p.parents[2] for p in kept} == {first.cache_dir, other.cache_dir}, "both sources' newest kept"
        requests = len(server.requests)
        assert first.tile(z, x0 + 10, y) is not None and len(server.requests) == requests, "a kept one: from disk"

"""Test tile sources made here: a tiny XYZ tile server on loopback and an MBTiles file.

Nothing is downloaded: each tile is a PNG drawn on request (a colour per zoom, a checker per tile,
its z/x/y written in), so a screenshot shows which tile went where, and the server counts requests.
"""

from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np


def tile_png(z: int, x: int, y: int, tint: tuple[int, int, int] = (70, 120, 80)) -> bytes:
    """A 256 px tile: a light land colour, its borders, and 'z/x/y' in the middle."""
    img = np.full((256, 256, 3), (200, 220, 205), np.uint8)
    if (x + y) % 2:
        img[:] = (185, 210, 195)
    cv2.rectangle(img, (0, 0), (255, 255), tint, 1)
    cv2.putText(img, f"{z}/{x}/{y}", (40, 132), cv2.FONT_HERSHEY_SIMPLEX, 0.7, tint, 2, cv2.LINE_AA)
    ok, png = cv2.imencode(".png", img)
    assert ok
    return bytes(png)


class TileServer:
    """``with TileServer() as server:`` -> ``server.template`` is an XYZ URL on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                parts = self.path.strip("/").removesuffix(".png").split("/")
                try:
                    z, x, y = (int(p) for p in parts[-3:])
                except ValueError:
                    self.send_error(404)
                    return
                if z > 18:
                    self.send_error(404)
                    return
                body = tile_png(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.template = f"http://127.0.0.1:{self.port}/tiles/{{z}}/{{x}}/{{y}}.png"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __exit__(self, *_exc: object) -> None:
        if self._thread.is_alive():
            self.stop()


def make_mbtiles(path: Path, zooms: range, around: tuple[float, float], attribution: str) -> Path:
    """An MBTiles file with the 3x3 tiles around a point at each zoom (TMS rows, as the spec says)."""
    from gcs.core.map.geo import tile_of

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [
        ("name", "test"), ("format", "png"), ("attribution", attribution),
        ("minzoom", str(zooms.start)), ("maxzoom", str(zooms.stop - 1))])
    for z in zooms:
        cx, cy = tile_of(*around, z)
        for x in range(cx - 1, cx + 2):
            for y in range(cy - 1, cy + 2):
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           (z, x, 2**z - 1 - y, tile_png(z, x, y, (140, 60, 60))))
    db.commit()
    db.close()
    return path

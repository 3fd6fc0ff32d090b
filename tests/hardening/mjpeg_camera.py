"""A network camera for fault tests: MJPEG over HTTP (``multipart/x-mixed-replace``), as IP cameras
serve it, at ``http://127.0.0.1:PORT/stream.mjpg``. Runs as its own process so a test can kill it.

    python tests/hardening/mjpeg_camera.py PORT [FPS]
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = b"kestrelframe"


def frame(n: int) -> bytes:
    image = np.full((240, 320, 3), 40, np.uint8)
    x = 20 + (n * 4) % 260
    cv2.rectangle(image, (x, 90), (x + 40, 150), (0, 200, 255), -1)
    cv2.putText(image, f"{n}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    ok, jpeg = cv2.imencode(".jpg", image)
    assert ok
    return bytes(jpeg)


class Handler(BaseHTTPRequestHandler):
    fps = 15.0

    def do_GET(self) -> None:
        if self.path != "/stream.mjpg":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
        self.end_headers()
        n = 0
        try:
            while True:
                data = frame(n)
                self.wfile.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n")
                self.wfile.write(f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                n += 1
                time.sleep(1.0 / self.fps)
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, *_args: object) -> None:
        return


def main() -> None:
    port = int(sys.argv[1])
    Handler.fps = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"serving MJPEG on http://127.0.0.1:{port}/stream.mjpg", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

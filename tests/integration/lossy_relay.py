"""A UDP relay between a GCS and the simulator that drops chosen PARAM_VALUEs, as a lossy radio would.

The GCS dials the relay (``udpout:127.0.0.1:<relay.port>``); the relay forwards everything both ways
and drops the PARAM_VALUE of index ``i`` the first ``drops[i]`` times the vehicle sends it. Each
datagram the simulator sends holds one MAVLink frame, so dropping a datagram drops that message.
"""

from __future__ import annotations

import select
import socket
import threading
from collections import Counter

from gcs.core.mavlink_env import mavlink


class LossyRelay:
    def __init__(self, vehicle_port: int, drops: dict[int, int]) -> None:
        self._vehicle = ("127.0.0.1", vehicle_port)
        self._drops = dict(drops)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._gcs: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True
        self.dropped: Counter[int] = Counter()
        self.param_values_seen = 0
        self._thread = threading.Thread(target=self._run, name="lossy-relay", daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def __enter__(self) -> LossyRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _drop(self, data: bytes) -> bool:
        messages = self._parser.parse_buffer(data) or []
        for msg in messages:
            if msg.get_type() == "PARAM_VALUE":
                self.param_values_seen += 1
                index = int(msg.param_index)
                if self._drops.get(index, 0) > 0:
                    self._drops[index] -= 1
                    self.dropped[index] += 1
                    return True
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._sock], [], [], 0.05)
            if not readable:
                continue
            data, addr = self._sock.recvfrom(65535)
            if addr == self._vehicle:
                if self._gcs is not None and not self._drop(data):
                    self._sock.sendto(data, self._gcs)
            else:
                self._gcs = addr
                self._sock.sendto(data, self._vehicle)

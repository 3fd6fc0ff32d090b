"""The sim's side of the MAVLink parameter protocol: PARAM_REQUEST_LIST, PARAM_REQUEST_READ, PARAM_SET.

The full list is sent paced, ``PER_PASS`` PARAM_VALUEs per loop pass (100 Hz), as a real autopilot
spreads it over its link's bandwidth; a burst of a thousand datagrams would overflow a receiver's
socket buffer on its own. A new PARAM_REQUEST_LIST starts the list again. A PARAM_SET is answered
with the parameter's PARAM_VALUE (index -1 on ArduPilot, as ``send_parameter_value`` does; its
own index on PX4); a refused one echoes the unchanged value after a STATUSTEXT saying why.
"""

from __future__ import annotations

import collections
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.params import ParamStore

PER_PASS = 15  # PARAM_VALUEs per loop pass of the list: 1,500 a second
NO_INDEX = 65535  # param_index -1 on the wire


class ParamResponder:
    """Owned by the sim thread, like the store it answers from."""

    def __init__(self, store: ParamStore, outbox: list[tuple[int, str]], px4: bool) -> None:
        self.store = store
        self._outbox = outbox
        self._px4 = px4
        self._queue: collections.deque[int] = collections.deque()
        self.lists_requested = 0

    def value(self, index: int, wire_index: int | None = None) -> Any:
        p = self.store.by_index(index)
        assert p is not None
        return mavlink.MAVLink_param_value_message(
            p.name.encode(), self.store.encode(p), p.ptype, len(self.store), index if wire_index is None else wire_index
        )

    def request_list(self) -> list[Any]:
        self.lists_requested += 1
        self._queue = collections.deque(range(len(self.store)))
        return []

    def request_read(self, index: int, name: str) -> list[Any]:
        found = index if index >= 0 else self.store.index_of(name)
        if found is None or self.store.by_index(found) is None:
            if self._px4:
                self._outbox.append((mavlink.MAV_SEVERITY_ERROR, f"[pm] unknown param: {name or index}"))
            return []
        return [self.value(found)]

    def set(self, name: str, wire_value: float) -> list[Any]:
        param, refused = self.store.apply(name, wire_value)
        if param is None:
            if self._px4:
                self._outbox.append((mavlink.MAV_SEVERITY_ERROR, f"[pm] unknown param: {name}"))
            return []  # ArduPilot ignores a PARAM_SET of a name it does not have
        if refused is not None:
            self._outbox.append((mavlink.MAV_SEVERITY_WARNING, refused[:50]))
        index = self.store.index_of(name)
        assert index is not None
        return [self.value(index, index if self._px4 else NO_INDEX)]

    def due(self) -> list[Any]:
        """The next PARAM_VALUEs of a list being sent (called once per loop pass)."""
        out: list[Any] = []
        while self._queue and len(out) < PER_PASS:
            out.append(self.value(self._queue.popleft()))
        return out

"""Before a tlog is replayed: does a vehicle in it share a system id with a live vehicle?

The fleet never lets a replay feed a live vehicle (nor the reverse): while the live vehicle with
that id is connected, the log's frames for it are ignored. Replaying one of our own flights while
the same drone (system 1, as most are) is connected would therefore show nothing for it, with
only a log line saying why. The faces ask here first and let the pilot decide, knowing that.

Qt-free; reads the log through the same index the replay uses (seconds for a long flight: call
it off the GUI thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gcs.core.errors import VehicleNotFound
from gcs.core.logs.index import TlogIndex, key_msg_id
from gcs.core.logs.tlog import MSG_ID_HEARTBEAT, vehicle_heartbeat
from gcs.core.vehicle.connection import LinkKind

if TYPE_CHECKING:
    from gcs.core.service import GcsService


@dataclass(frozen=True)
class ReplayConflict:
    """Vehicles of a log whose system ids are live vehicles now."""

    path: str
    log_ids: tuple[int, ...]  # every vehicle system id in the log
    clashing: tuple[int, ...]  # those that are also live vehicles

    @property
    def all_clash(self) -> bool:
        return set(self.log_ids) <= set(self.clashing)

    def describe(self) -> str:
        ids = ", ".join(str(i) for i in self.clashing)
        plural = "s" if len(self.clashing) > 1 else ""
        effect = ("nothing of this log would be shown" if self.all_clash
                  else f"its vehicle{plural} {ids} would not be shown")
        return (f"{Path(self.path).name}: system id{plural} {ids} of the log {'are' if plural else 'is'} also "
                f"the live vehicle{plural} now; a replay never feeds a live vehicle, so {effect} "
                f"while the live one is connected")


def tlog_vehicle_ids(path: str | Path) -> tuple[int, ...]:
    """System ids of the vehicles (not ground stations) that send HEARTBEATs in a tlog."""
    index = TlogIndex(Path(path))
    try:
        seen: set[int] = set()
        ids: set[int] = set()
        for i, key in enumerate(index.keys):
            if key_msg_id(key) != MSG_ID_HEARTBEAT or key in seen:
                continue
            seen.add(key)
            identity = vehicle_heartbeat(index.frame(i))
            if identity is not None:
                ids.add(identity.system_id)
        return tuple(sorted(ids))
    finally:
        index.close()


def live_vehicle_ids(service: GcsService) -> tuple[int, ...]:
    """System ids of the vehicles heard on live links (not on replays)."""
    live: list[int] = []
    for sysid in service.vehicle_ids():
        try:
            link = service.fleet.vehicle(sysid).link
        except VehicleNotFound:
            continue
        if link.spec.kind is not LinkKind.REPLAY:
            live.append(sysid)
    return tuple(sorted(live))


def replay_conflict(path: str | Path, live_ids: Iterable[int]) -> ReplayConflict | None:
    """The clash between a log's vehicles and ``live_ids``, or None (LinkError if unreadable)."""
    log_ids = tlog_vehicle_ids(path)
    clashing = tuple(sorted(set(log_ids) & set(live_ids)))
    return ReplayConflict(str(path), log_ids, clashing) if clashing else None


def check_replay(service: GcsService, path: str | Path) -> ReplayConflict | None:
    return replay_conflict(path, live_vehicle_ids(service))

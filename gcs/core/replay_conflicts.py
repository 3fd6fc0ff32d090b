"""Before a tlog is replayed: do its vehicles share a system id with a live vehicle or another replay?

The fleet never lets a replay feed a live vehicle (nor the reverse), nor two replays one vehicle.
``plan_replay`` decides, when a replay opens (``GcsService.connect("replay:PATH")``):

- a system id already replaying from another open log is refused with the reason (close that
  replay first): two logs of one vehicle would otherwise take turns in one state;
- a system id that is a live vehicle now (replaying the flight just flown, with the drone still
  connected) is shown under a stand-in id, so the log is seen and the live vehicle keeps its data.

``check_replay`` tells a face beforehand which ids clash with live vehicles. Qt-free; reads the
log through the same index the replay uses (seconds for a long flight: call it off the GUI thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gcs.core.errors import LinkError, VehicleNotFound
from gcs.core.logs.index import TlogIndex
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
        return (f"{Path(self.path).name}: system id{plural} {ids} of the log {'are' if plural else 'is'} also "
                f"the live vehicle{plural} now; a replay never feeds a live vehicle, so the log's "
                f"vehicle{plural} {'are' if plural else 'is'} shown under a stand-in id")


def tlog_vehicle_ids(path: str | Path) -> tuple[int, ...]:
    """System ids of the vehicles (not ground stations) that send HEARTBEATs in a tlog."""
    index = TlogIndex(Path(path))
    try:
        return index.vehicle_ids()
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


@dataclass(frozen=True)
class OpenReplay:
    """A replay already open: which log, and the system ids of the vehicles in it (and as shown)."""

    link_id: str
    path: str
    log_ids: tuple[int, ...]
    shown_ids: tuple[int, ...]


FIRST_STAND_IN_ID = 250  # stand-in ids count down from here: far from real vehicles (1...) and GCSs (255)


def plan_replay(
    path: str, log_ids: Iterable[int], open_replays: Iterable[OpenReplay], live_ids: Iterable[int],
    reserved: Iterable[int] = (),
) -> dict[int, int]:
    """How a new replay's vehicles are shown: {log system id: shown id} for those that are live now.

    A system id already replaying from another log is refused (LinkError naming that replay): two
    logs of one vehicle would otherwise take turns in one state. A system id that is a live vehicle
    now is shown under a stand-in id (the highest free one from ``FIRST_STAND_IN_ID`` down), so
    the replay is seen and the live vehicle keeps its own data.
    """
    ids = tuple(sorted(set(log_ids)))
    replays = list(open_replays)
    for other in replays:
        both = sorted(set(ids) & set(other.log_ids))
        if both:
            names = ", ".join(str(i) for i in both)
            raise LinkError(
                f"{Path(path).name}: system id {names} is already replaying from {Path(other.path).name} "
                f"({other.link_id}); one system id replays from one log at a time: close that replay first"
            )
    live = set(live_ids)
    taken = live | set(reserved) | set(ids) | {i for r in replays for i in r.shown_ids}
    plan: dict[int, int] = {}
    candidate = FIRST_STAND_IN_ID
    for sysid in ids:
        if sysid not in live:
            continue
        while candidate in taken:
            candidate -= 1
        if candidate < 1:
            raise LinkError(f"{Path(path).name}: no free system id to show system {sysid} under")
        plan[sysid] = candidate
        taken.add(candidate)
    return plan

"""Action availability for GcsService (a mixin): gather the situation, decide, and refuse with the reason.

``availability()`` is what the faces show; ``_refuse_unless(name, vehicle)`` is how the service
enforces it on the actions that start motion (takeoff, offboard, follow), raising the same
``CommandRejected`` (HTTP 409) a refused command raises, with the rule's words as its message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gcs.core.alerts.battery import battery_level
from gcs.core.availability import NO_VIDEO, RELAY_READ_ONLY, Availability, Situation, decide
from gcs.core.bus import MessageBus
from gcs.core.config import ConfigStore
from gcs.core.errors import CommandRejected, VehicleNotFound
from gcs.core.tracking.errors import TrackerError
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.connection import LinkKind
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.mode_choices import FlightModes, flight_modes
from gcs.core.video import VideoError

if TYPE_CHECKING:
    from gcs.core.vehicle.vehicle import Vehicle
    from gcs.core.vision import VisionPipeline

LABELS = {"takeoff": "TAKEOFF", "offboard_start": "OFFBOARD", "follow_start": "FOLLOW", "disarm": "DISARM",
          "goto": "GOTO"}
VIDEO_DOWN = ("stopped", "reconnecting")


class ActionsFacade:
    """Mixed into GcsService, which sets the attributes below."""

    bus: MessageBus
    config: ConfigStore
    fleet: Fleet
    commander: Commander
    vision: VisionPipeline
    _vehicle: Callable[[int | None], Any]

    def availability(self, system_id: int | None = None) -> dict[str, str | None]:
        """Every action (``availability.ACTIONS``) -> None when it can be taken now, else why not."""
        return dict(self.action_availability(system_id).reasons)

    def action_availability(self, system_id: int | None = None) -> Availability:
        """The same with the vehicle it is about and which actions need the pilot's confirmation."""
        return decide(self._situation(system_id))

    def flight_modes(self, system_id: int | None = None) -> FlightModes:
        """The vehicle's modes for a selector: what each does, which need confirming now, and why none
        can be set (a replay, no link); VehicleNotFound without that vehicle."""
        vehicle = self.fleet.vehicle(system_id)
        why = self.action_availability(vehicle.state.system_id).why_not("mode")
        return flight_modes(vehicle.flavour, vehicle.state, why)

    def _situation(self, system_id: int | None) -> Situation:
        try:
            vehicle = self.fleet.vehicle(system_id)
        except VehicleNotFound:
            vehicle = None
        video, target = self._vision_situation()
        if vehicle is None:
            return Situation(None, video=video, target=target, following=self.vision.follow.active)
        safety = self.config.current.safety
        state = vehicle.state
        relay_why: str | None = getattr(vehicle.link, "read_only_why", None)  # a relay's vehicle, read-only
        return Situation(
            state,
            read_only=vehicle.link.spec.kind is LinkKind.REPLAY or relay_why is not None,
            read_only_why=relay_why,
            engaged=self.commander.engaged_vehicle is vehicle,
            following=self.vision.follow.active,
            target=target,
            video=video,
            battery=battery_level(state.battery.remaining_pct, safety),
            critical_percent=safety.battery_critical_percent,
            virtual_camera=self.vision.running and self.config.current.video.source.startswith("virtual"),
        )

    def _vision_situation(self) -> tuple[str | None, Any]:
        """(why there is no usable video or None, the tracker's state or None without a tracker)."""
        if not self.vision.running:
            return NO_VIDEO, None
        try:
            health = self.vision.health.value
            target = self.vision.tracked_target().state
        except (TrackerError, VideoError):  # stopped between the two calls
            return NO_VIDEO, None
        return (f"no video: the source is {health}" if health in VIDEO_DOWN else None), target

    def _refuse_unless(self, name: str, vehicle: Vehicle, allow: tuple[str, ...] = ()) -> None:
        """Raise CommandRejected with the reason when ``name`` is not available for ``vehicle`` now
        (reasons in ``allow`` are what the faces grey out but the core lets through)."""
        why = self.action_availability(vehicle.system_id).why_not(name)
        if why is not None and why not in allow:
            result = ("READ_ONLY_REPLAY" if why.startswith("read-only replay")
                      else "READ_ONLY_RELAY" if why.startswith(RELAY_READ_ONLY) else "LOCAL_REFUSAL")  # fmt: skip
            raise CommandRejected(f"{LABELS.get(name, name.upper())} refused: {why}", LABELS.get(name, name), result)

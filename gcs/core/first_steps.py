"""What a newcomer should do next, in a sentence, while the picture alone does not tell them.

On the ground the demo's camera (tilted 45° down) shows blurry grass, and a first-time pilot
did not know that the cars are on a road ahead, out of view until the vehicle climbs. Both faces
show this text (the window over its video, the dashboard over its video) from the availability the
core publishes (``Availability.first_steps``), so it comes and goes with the same events: on the
ground it says arm, take off and where to look; flying with nothing tracked, to click a target;
once something is tracked (or followed), or for a replayed log, nothing.
"""

from __future__ import annotations

from gcs.core.models import VehicleState
from gcs.core.tracking.types import TrackState

# The virtual scene (gcs/core/sim/scene_texture.py LOOP_ROAD): a loop road from 25 m north of home;
# at 20 m the camera, looking north 45° down, has the road's near side in the middle of the picture.
VIRTUAL_ROAD = "the cars drive on a road 25 m ahead (north), in view from about 15 m up"
TAKEOFF_HINT_M = 20


def first_steps(state: VehicleState | None, *, flying: bool, read_only: bool, target: TrackState | None,
                following: bool, virtual_camera: bool) -> str | None:
    """The hint for this moment, or None when the pilot is past it (tracking, following, a replay)."""
    if state is None or read_only or following:
        return None
    if target in (TrackState.LOCKED, TrackState.SEARCHING):
        return None
    where = VIRTUAL_ROAD if virtual_camera else "your target in the picture"
    if not flying:
        arm = "Take off" if state.armed else "Arm, then take off"
        return (f"First steps: on the ground the camera sees only grass. {arm} (hold the button 1\u00a0s) to "
                f"{TAKEOFF_HINT_M} m; {where}. Then click a target on the video to track it and hold Follow.")
    if target is TrackState.LOST:
        return "Target lost: click it again on the video (or drag a box round it) to track it."
    return (f"Click a target on the video to track it ({where}), or drag a box round it; "
            "then hold Follow for 1\u00a0s.")


__all__ = ["first_steps"]

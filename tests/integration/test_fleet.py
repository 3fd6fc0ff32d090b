"""Several vehicles (system ids) on several links: each keyed by system id, one active."""

from __future__ import annotations

import pytest

from gcs.core.bus import Topics
from gcs.core.errors import VehicleNotFound
from gcs.core.models import Autopilot
from gcs.core.service import GcsService
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def test_two_vehicles_each_with_own_state_and_active_selection(make_service) -> None:
    service: GcsService = make_service("px4")
    service.start_demo("ardupilot", port=0)
    wait_until(lambda: service.vehicle_ids() == [1, 2], 5, "both vehicles heard")
    wait_until(lambda: service.vehicle_state(2).autopilot is Autopilot.ARDUPILOT, 3, "vehicle 2 is ArduPilot")
    assert service.vehicle_state(1).autopilot is Autopilot.PX4
    assert service.active_vehicle_id == 1

    seen: list[int] = []
    service.subscribe(Topics.VEHICLE_STATE, lambda _t, s: seen.append(s.system_id))
    service.select_vehicle(2)
    assert service.active_vehicle_id == 2
    assert service.vehicle_state().system_id == 2
    wait_until(lambda: seen.count(2) > 5, 2, "active-vehicle topic now carries vehicle 2")
    seen.clear()
    wait_until(lambda: len(seen) > 10, 2, "more updates")
    assert set(seen) == {2}

    wait_until(lambda: service.vehicle_state(2).gps.has_fix, 5, "fix on vehicle 2")
    service.arm(2)
    wait_until(lambda: service.vehicle_state(2).armed, 3, "vehicle 2 armed")
    assert not service.vehicle_state(1).armed
    with pytest.raises(VehicleNotFound, match="no vehicle with system id 7"):
        service.vehicle_state(7)

"""Commands over MQTT (fleet.mqtt_commands) through a real Mosquitto, checked like the API's requests.

Refused without a token, with a forged one, for a viewer, twice for one id, and by the same rules
the API applies (takeoff unarmed); executed for an operator: the simulated vehicle really changes
mode and holds. A GCS without the setting takes no commands at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.tokens import Role, TokenAuthority, load_secret
from tests.conftest import wait_until
from tests.integration.fleet_support import FLEET_MARKS, broker_fixture, fleet_service_fixture  # noqa: F401
from tests.integration.mqtt_support import Broker, CommandClient

pytestmark = FLEET_MARKS


def test_commands_need_an_operator_token_and_then_fly_the_vehicle(
    broker: Broker, fleet_service: Callable[..., Any], config_dir: Path
) -> None:
    service = fleet_service("alpha", "px4", system_id=3, fleet__mqtt_commands=True)
    authority = TokenAuthority(load_secret(config_dir))
    operator, viewer = authority.create(Role.OPERATOR, subject="ops"), authority.create(Role.VIEWER)
    forged = TokenAuthority("x" * 40).create(Role.ADMIN)
    client = CommandClient(broker.port)
    try:
        reply = client.send("alpha", 3, "hold", None)
        assert (reply["ok"], reply["error"]) == (False, "AuthError") and "missing token" in reply["detail"]
        reply = client.send("alpha", 3, "hold", forged)
        assert reply["error"] == "AuthError" and "invalid token" in reply["detail"]
        reply = client.send("alpha", 3, "mode", viewer, {"mode": "ALTCTL"})
        assert reply["error"] == "RoleTooLow" and "needs operator" in reply["detail"]
        reply = client.send("alpha", 3, "takeoff", operator, {"altitude_m": 0.1})
        assert reply["error"] == "ValidationError" and reply["detail"][0]["loc"] == ["altitude_m"]
        reply = client.send("alpha", 3, "takeoff", operator, {"altitude_m": 5})
        assert (reply["error"], reply["result"]) == ("CommandRejected", "LOCAL_REFUSAL")
        assert "not armed" in reply["detail"]
        reply = client.send("alpha", 9, "arm", operator)
        assert reply["error"] == "VehicleNotFound"
        assert service.vehicle_state().mode != "ALTCTL" and not service.vehicle_state().armed

        reply = client.send("alpha", 3, "mode", operator, {"mode": "ALTCTL"}, ident="m1")
        assert reply["ok"] and reply["command"] == "DO_SET_MODE" and reply["by"] == "ops", reply
        assert service.vehicle_state(3).mode == "ALTCTL"
        again = client.send("alpha", 3, "mode", operator, {"mode": "ALTCTL"}, ident="m1")
        assert again["error"] == "DuplicateCommand"

        wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix")
        assert client.send("alpha", 3, "arm", operator)["ok"]
        assert client.send("alpha", 3, "takeoff", operator, {"altitude_m": 6})["ok"]
        wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 3, 30, "climbing")
        reply = client.send("alpha", 3, "hold", operator)
        assert reply["ok"], reply
        wait_until(lambda: service.vehicle_state().mode == "LOITER", 5, "the vehicle in hold")
        assert service.fleet_commands is not None and service.fleet_commands.refused == 7
    finally:
        client.close()


def test_a_gcs_takes_no_commands_unless_its_settings_allow(fleet_service: Callable[..., Any]) -> None:
    service = fleet_service("bravo", "px4")  # on the broker
    assert service.fleet_commands is None

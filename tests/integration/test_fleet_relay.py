"""A relay (``gcs relay``) in front of two GCS through a real Mosquitto: the same API over their vehicles.

Both GCS fly their own simulator (different system ids) and publish; the relay lists both with the
GCS each flies from, serves their telemetry, refuses commands while read-only (409, READ_ONLY_RELAY),
and with ``--commands`` forwards each with the caller's own token: a viewer is refused by the relay
itself (403), an operator's mode change reaches the right GCS and its vehicle really changes mode,
and a refusal by the vehicle's GCS comes back as the same 409 with its words.
"""

from __future__ import annotations

import httpx

from gcs.core.tokens import Role
from tests.conftest import wait_until
from tests.integration.fleet_support import FLEET_MARKS, FleetRig, broker_fixture, fleet_fixture  # noqa: F401

pytestmark = FLEET_MARKS


def test_a_relay_serves_two_gcs_and_forwards_commands_with_the_callers_token(fleet: FleetRig) -> None:
    alpha = fleet.gcs("alpha", "px4", 1, fleet__mqtt_commands=True, fleet__mqtt_rate_hz=5.0)
    bravo = fleet.gcs("bravo", "ardupilot", 2, fleet__mqtt_commands=True, fleet__mqtt_rate_hz=5.0,
                      fleet__mqtt_payload="json")  # fmt: skip
    _read_only, ro_server = fleet.relay("relay1")
    _forwarding, fw_server = fleet.relay("relay2", commands=True)
    operator = fleet.headers(Role.OPERATOR, "remote-pilot")
    viewer = fleet.headers(Role.VIEWER)

    with httpx.Client(base_url=ro_server.url, timeout=40) as api:
        def both() -> bool:
            lines = api.get("/api/vehicles", headers=viewer).json()["vehicles"]
            seen = {(v["system_id"], v["gcs"], v["link"]) for v in lines}
            return seen == {(1, "alpha", "ok"), (2, "bravo", "ok")}

        wait_until(both, 20, "the relay lists both vehicles with their GCS, links ok")
        state = api.get("/api/telemetry?vehicle=2", headers=viewer).json()
        assert state["autopilot"] == "ardupilot" and state["system_id"] == 2
        status = api.get("/status", headers=viewer).json()["fleet"]["relay"]
        assert status["connected"] and status["vehicles"] == {"1": "alpha", "2": "bravo"}
        refused = api.post("/api/vehicle/hold?vehicle=1", headers=operator)
        assert refused.status_code == 409, refused.text
        assert refused.json()["result"] == "READ_ONLY_RELAY" and "relay is read-only" in refused.json()["detail"]
        takeoff = api.post("/api/vehicle/takeoff?vehicle=1", headers=operator, json={"altitude_m": 5})
        assert takeoff.status_code == 409 and "relay is read-only" in takeoff.json()["detail"]
        actions = api.get("/api/actions?vehicle=1", headers=viewer).json()["actions"]
        assert actions["arm"].startswith("relay is read-only")

    with httpx.Client(base_url=fw_server.url, timeout=40) as api:
        wait_until(lambda: len(api.get("/api/vehicles", headers=viewer).json()["vehicles"]) == 2, 20,
                   "the forwarding relay lists both")  # fmt: skip
        assert api.post("/api/vehicle/mode?vehicle=2", headers=viewer, json={"mode": "LOITER"}).status_code == 403
        reply = api.post("/api/vehicle/mode?vehicle=2", headers=operator, json={"mode": "LOITER"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["success"] and reply.json()["command"] == "DO_SET_MODE"
        assert bravo.vehicle_state(2).mode == "LOITER" and alpha.vehicle_state(1).mode != "LOITER"
        refused = api.post("/api/vehicle/takeoff?vehicle=1", headers=operator, json={"altitude_m": 5})
        assert refused.status_code == 409, refused.text
        assert refused.json()["result"] == "LOCAL_REFUSAL" and "not armed" in refused.json()["detail"]

        def loiter_seen() -> bool:
            lines = api.get("/api/vehicles", headers=viewer).json()["vehicles"]
            return any(v["mode"] == "LOITER" for v in lines if v["system_id"] == 2)

        wait_until(loiter_seen, 10, "the new mode seen through the relay")

"""MAVSDK-Python (mavsdk-grpc and its bundled mavsdk_server) against the built-in simulator, both flavours.

What a MAVSDK script does with a real autopilot, over real UDP on loopback: wait for
``health.is_armable``, read each telemetry stream it asks a rate for (attitude quaternion, altitude,
unix time, IMU, actuator outputs), read and set parameters (a refusal reaches the script), arm,
take off, fly offboard 2 m/s north, land. Every figure is checked against the simulator's true state;
waits are on conditions with generous limits (no wall-clock assert). Where the real autopilot lacks
a stream the simulator refuses it as that autopilot does (ArduCopter's SITL: ALTITUDE and
ACTUATOR_OUTPUT_STATUS answer MAV_RESULT_FAILED), and the test says so.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import mavsdk_grpc as mavsdk  # installed by scripts/setup.sh (.[dev]); missing means a broken set-up
import pytest
from mavsdk_grpc.mavlink_direct import MavlinkMessage
from mavsdk_grpc.offboard import VelocityNedYaw
from mavsdk_grpc.param import ParamError
from mavsdk_grpc.telemetry import TelemetryError

from gcs.core.sim import SimConfig, SimVehicle
from gcs.core.sim.params import ParamStore
from tests.integration.third_party.clients import MavsdkServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
T = TypeVar("T")
LIMIT_S = 60.0  # any one wait; the steps take a few seconds here, more on a loaded machine

# flavour -> streams that yield, streams the real autopilot refuses
STREAMS = {
    "px4": (["attitude_quaternion", "altitude", "unix_epoch_time", "imu", "scaled_imu", "actuator_output_status"],
            ["raw_imu"]),
    "ardupilot": (["attitude_quaternion", "unix_epoch_time", "imu", "scaled_imu", "raw_imu"],
                  ["altitude", "actuator_output_status"]),
}
# flavour -> (float parameter, new value, a value the sim refuses, integer parameter, new value)
PARAMS = {
    "px4": ("MPC_XY_VEL_MAX", 9.5, 45.0, "BAT1_N_CELLS", 6),
    "ardupilot": ("WPNAV_SPEED", 950.0, 5000.0, "RTL_ALT", 2500),
}


async def first(stream: AsyncIterator[T], limit_s: float = LIMIT_S) -> T:
    try:
        return await asyncio.wait_for(stream.__anext__(), limit_s)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def until(stream: AsyncIterator[T], ok: Callable[[T], bool], what: str, limit_s: float = LIMIT_S) -> T:
    async def scan() -> T:
        async for value in stream:
            if ok(value):
                return value
        raise AssertionError(f"{what}: stream ended")

    try:
        return await asyncio.wait_for(scan(), limit_s)
    except TimeoutError:
        raise AssertionError(f"MAVSDK never saw {what} within {limit_s:.0f} s") from None
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def connect(server: MavsdkServer) -> Any:
    drone = mavsdk.System(mavsdk_server_address="127.0.0.1", port=server.port)
    await asyncio.wait_for(drone.connect(), LIMIT_S)  # our own server: connect() only opens gRPC
    await until(drone.core.connection_state(), lambda s: s.is_connected, "the vehicle connected")
    return drone


async def check_streams(drone: Any, flavour: str) -> dict[str, Any]:
    yields, refused = STREAMS[flavour]
    seen: dict[str, Any] = {}
    for name in yields:
        await getattr(drone.telemetry, f"set_rate_{name}")(10.0)
        seen[name] = await first(getattr(drone.telemetry, name)())
    for name in refused:
        with pytest.raises(TelemetryError):
            await getattr(drone.telemetry, f"set_rate_{name}")(10.0)
    return seen


async def servo_outputs(drone: Any) -> list[int]:
    """ArduPilot's motor outputs are SERVO_OUTPUT_RAW, which MAVSDK's telemetry does not read; its
    mavlink_direct plugin does (after asking for the stream as any GCS does)."""
    direct = drone.mavlink_direct
    ask = {"target_system": 1, "target_component": 1, "command": 511, "confirmation": 0, "param1": 36,
           "param2": 100_000, "param3": 0, "param4": 0, "param5": 0, "param6": 0, "param7": 0}
    await direct.send_message(MavlinkMessage("COMMAND_LONG", 245, 190, 1, 1, json.dumps(ask)))
    message = await first(direct.message("SERVO_OUTPUT_RAW"))
    fields = json.loads(message.fields_json)
    return [int(fields[f"servo{i}_raw"]) for i in range(1, 5)]


async def check_params(drone: Any, sim: SimVehicle, flavour: str) -> int:
    name, value, refused, int_name, int_value = PARAMS[flavour]
    param = drone.param
    assert await param.get_param_float(name) == pytest.approx(sim.param_value(name))
    await param.set_param_float(name, value)
    assert await param.get_param_float(name) == pytest.approx(value)
    assert sim.param_value(name) == pytest.approx(value)
    assert await param.get_param_int(int_name) == sim.param_value(int_name)
    await param.set_param_int(int_name, int_value)
    assert await param.get_param_int(int_name) == int_value == sim.param_value(int_name)
    with pytest.raises(ParamError):  # the vehicle echoes the old value: MAVSDK reports the set failed
        await param.set_param_float(name, refused)
    assert sim.param_value(name) == pytest.approx(value)
    everything = await param.get_all_params()
    return len(everything.int_params) + len(everything.float_params)


async def fly(drone: Any, sim: SimVehicle, flavour: str) -> dict[str, float]:
    texts: list[str] = []

    async def collect() -> None:
        async for text in drone.telemetry.status_text():
            texts.append(f"{text.type}: {text.text}")

    collector = asyncio.create_task(collect())
    figures: dict[str, float] = {}
    await until(drone.telemetry.health(), lambda h: h.is_armable and h.is_global_position_ok
                and h.is_home_position_ok, "health.is_armable")
    await drone.action.set_takeoff_altitude(10.0)
    await drone.action.arm()
    started = time.monotonic()
    await drone.action.takeoff()
    top = await until(drone.telemetry.position(), lambda p: p.relative_altitude_m > 9.5, "10 m after takeoff")
    figures["takeoff_s"] = time.monotonic() - started
    figures["takeoff_alt_m"] = top.relative_altitude_m
    assert sim.snapshot().alt_m == pytest.approx(top.relative_altitude_m, abs=0.5)

    before = (await first(drone.telemetry.position_velocity_ned())).position
    true_before = sim.snapshot()
    await drone.offboard.set_velocity_ned(VelocityNedYaw(0.0, 0.0, 0.0, 0.0))  # MAVSDK wants one first
    await drone.offboard.start()
    await drone.offboard.set_velocity_ned(VelocityNedYaw(2.0, 0.0, 0.0, 0.0))
    cruising = await until(drone.telemetry.velocity_ned(), lambda v: v.north_m_s > 1.9, "2 m/s north")
    moved = await until(drone.telemetry.position_velocity_ned(),
                        lambda p: p.position.north_m - before.north_m > 9.0, "9 m north")
    await drone.offboard.set_velocity_ned(VelocityNedYaw(0.0, 0.0, 0.0, 0.0))
    await until(drone.telemetry.velocity_ned(), lambda v: math.hypot(v.north_m_s, v.east_m_s) < 0.2, "a stop")
    stopped = (await first(drone.telemetry.position_velocity_ned())).position
    await drone.offboard.stop()
    truth = sim.snapshot()
    figures["offboard_north_m"] = stopped.north_m - before.north_m
    assert cruising.north_m_s == pytest.approx(2.0, abs=0.2) and abs(cruising.east_m_s) < 0.2
    assert moved.position.north_m - before.north_m > 9.0
    assert truth.north_m - true_before.north_m == pytest.approx(stopped.north_m - before.north_m, abs=0.5)
    assert abs(truth.east_m - true_before.east_m) < 0.5 and truth.alt_m == pytest.approx(10.0, abs=0.7)

    await drone.action.land()
    await until(drone.telemetry.armed(), lambda armed: not armed, "disarmed after landing", limit_s=120.0)
    assert sim.snapshot().landed and sim.snapshot().alt_m < 0.3
    collector.cancel()
    bad = [t for t in texts if "ignored" in t.lower() or "not in offboard" in t.lower()]
    assert not bad, f"the vehicle warned where a real autopilot is silent: {bad}"
    return figures


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_mavsdk_flies_the_simulator(flavour: str, start_sim, start_mavsdk_server) -> None:
    sim = start_sim(flavour)
    server = start_mavsdk_server(sim)

    async def script() -> None:
        drone = await connect(server)
        seen = await check_streams(drone, flavour)
        q = seen["attitude_quaternion"]
        assert q.w**2 + q.x**2 + q.y**2 + q.z**2 == pytest.approx(1.0, abs=1e-4)
        assert seen["unix_epoch_time"] / 1e6 == pytest.approx(time.time(), abs=60.0)
        assert seen["imu"].acceleration_frd.down_m_s2 == pytest.approx(-9.81, abs=0.3)  # 1 g at rest
        assert seen["scaled_imu"].acceleration_frd.down_m_s2 == pytest.approx(-9.81, abs=0.3)
        if flavour == "px4":
            assert seen["altitude"].altitude_amsl_m == pytest.approx(sim.config.home_alt_msl_m, abs=0.5)
            assert seen["actuator_output_status"].active == 4
        else:
            assert await servo_outputs(drone) == [1000] * 4  # disarmed: motors at minimum
        count = await check_params(drone, sim, flavour)
        assert count == len(ParamStore(SimConfig(flavour=flavour)))
        figures = await fly(drone, sim, flavour)
        print(f"MAVSDK {flavour}: {count} parameters; "
              + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))

    try:
        asyncio.run(asyncio.wait_for(script(), 360))
    except BaseException:
        print(server.log()[-4000:])  # mavsdk_server's own view, on failure
        raise

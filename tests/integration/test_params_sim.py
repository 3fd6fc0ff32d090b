"""Parameters against the built-in simulator over real UDP, both flavours, through a lossy relay.

The relay drops chosen PARAM_VALUEs (some twice), so the full list only completes if the missing
indices are asked for again; the values must match the simulator's own table exactly (PX4's
integers byte-wise, ArduPilot's cast). Then: set and read back (the simulator flies by it), the
local confirmation for a value outside the documented range, the vehicle's own refusal, both file
formats round-trip, a diff before applying, and every change in the flight session's events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gcs.core.errors import ParamInvalid, ParamNeedsConfirm, ParamRefused, ParamUnknown
from gcs.core.models import VelocityNedYawRate
from gcs.core.service import GcsService
from gcs.core.sim import SimConfig, SimVehicle
from gcs.core.sim.params import ParamStore
from gcs.core.vehicle.params import DownloadState, FileFormat, parse
from tests.integration.lossy_relay import LossyRelay
from tests.integration.test_stop_means_stop import airborne

pytestmark = pytest.mark.slow
Built = tuple[GcsService, SimVehicle, LossyRelay]

# flavour -> (a speed limit the sim flies by, a value in range, out of the documented range but flyable,
#            beyond what the sim accepts, an integer parameter and a value for it)
CASES = {
    "px4": ("MPC_XY_VEL_MAX", 8.5, 25.0, 45.0, "BAT1_N_CELLS", 6),
    "ardupilot": ("WPNAV_SPEED", 850.0, 2500.0, 5000.0, "RTL_ALT", 2500),
}


@pytest.fixture
def over_relay(make_service: Callable[..., Any]) -> Iterator[Callable[[str], Built]]:
    made: list[tuple[SimVehicle, LossyRelay]] = []

    def build(flavour: str) -> Built:
        sim = SimVehicle(SimConfig(flavour=flavour))
        sim.start()
        total = len(ParamStore(SimConfig(flavour=flavour)))
        relay = LossyRelay(sim.port, {0: 1, 3: 1, 100: 2, 101: 1, 400: 3, total - 1: 1}).__enter__()
        made.append((sim, relay))
        service: GcsService = make_service(None)
        service.connect(f"udpout:127.0.0.1:{relay.port}")
        service.wait_for_vehicle(10.0)
        return service, sim, relay

    yield build
    for sim, relay in made:
        relay.__exit__()
        sim.stop()


def _events(service: GcsService, kind: str, count: int) -> list[str]:
    session = service.recorder.session_of(None) if service.recorder else None
    assert session is not None, "the live link is recorded in a flight session"
    deadline = time.monotonic() + 5
    while True:
        texts = [e.text for e in service.flight_session_events(session) if e.kind.value == kind]
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        time.sleep(0.1)


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_full_list_with_dropped_indices_set_refuse_files_and_diff(over_relay, flavour: str) -> None:
    service, _sim, relay = over_relay(flavour)
    truth = ParamStore(SimConfig(flavour=flavour))
    progress = service.refresh_params(wait=True, timeout_s=60)
    assert progress.state is DownloadState.COMPLETE, progress.error
    assert progress.received == progress.total == len(truth) > 700
    assert sum(relay.dropped.values()) == 9  # every planned drop happened ...
    assert progress.re_requested >= 6  # ... and each missing index was asked for again
    view = service.params()
    assert len(view.rows) == len(truth)
    for row in view.rows:
        index = truth.index_of(row.param.name)
        assert index is not None and row.param.index == index
        own = truth.by_index(index)
        assert own is not None and row.param.value == pytest.approx(own.value, rel=1e-6), row.param.name
        assert row.param.ptype == own.ptype
    assert view.metadata_source == flavour

    speed, good, wide, beyond, int_name, int_value = CASES[flavour]
    row = service.set_param(speed, good, source="test-pilot")
    assert row.param.value == pytest.approx(good) and row.meta is not None and row.meta.units
    assert service.param(speed).param.value == pytest.approx(good)
    row = service.set_param(int_name, int_value, source="test-pilot")
    assert row.param.value == int_value and isinstance(row.param.value, int)

    with pytest.raises(ParamNeedsConfirm, match="documented range"):
        service.set_param(speed, wide)
    assert service.set_param(speed, wide, confirm=True).param.value == pytest.approx(wide)
    with pytest.raises(ParamRefused, match="out of range") as refused:
        service.set_param(speed, beyond, confirm=True)
    assert "kept" in str(refused.value)
    with pytest.raises(ParamInvalid):
        service.set_param(int_name, 2.5)
    with pytest.raises(ParamUnknown):
        service.set_param("NO_SUCH_PARAM", 1)

    # a fresh download (no drops left) reads back what was set: the vehicle keeps it
    assert service.refresh_params(wait=True, timeout_s=60).state is DownloadState.COMPLETE
    assert service.param(speed).param.value == pytest.approx(wide)

    # files: both formats read back to the same values, so the diff against the vehicle is empty
    for fmt in FileFormat:
        content = service.export_params(fmt)
        assert len(parse(content)) == len(truth)
        delta = service.diff_params(content)
        assert delta.changed == () and delta.unknown == () and delta.unchanged == len(truth)
    qgc = service.export_params(FileFormat.QGC).splitlines()
    edited = [line.replace(f"\t{speed}\t", "\tX\t") if f"\t{speed}\t" in line else line for line in qgc]
    edited = [line for line in edited if "\tX\t" not in line]
    mavproxy = [f"{speed},{good}", f"{int_name} {int_value + 1}", "NOT_ON_VEHICLE 3"]
    delta = service.diff_params("\n".join(edited[:50] + mavproxy))
    assert [d.name for d in delta.changed] == sorted([speed, int_name])
    assert delta.unknown == ("NOT_ON_VEHICLE",)
    result = service.apply_params("\n".join(mavproxy), source="test-file")
    assert sorted(p.name for p in result.applied) == sorted([speed, int_name]) and result.failed == ()
    assert service.param(int_name).param.value == int_value + 1

    texts = _events(service, "param", 5)
    assert any(f"parameter {speed}" in t and "set by test-pilot" in t for t in texts), texts
    assert any(f"parameter {int_name}" in t and "set by test-file" in t for t in texts), texts


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_the_sim_flies_by_the_speed_limit_set(make_service: Callable[..., Any], flavour: str) -> None:
    """The speed limit set as a parameter caps the simulated vehicle: asked for 8 m/s, it flies 3."""
    service: GcsService = make_service(flavour)
    assert service.refresh_params(wait=True, timeout_s=60).state is DownloadState.COMPLETE
    name, value = ("MPC_XY_VEL_MAX", 3.0) if flavour == "px4" else ("WPNAV_SPEED", 300)
    service.set_param(name, value, source="test")
    sim = airborne(service, 5.0)
    assert service.start_offboard().success
    fastest = 0.0
    end = time.monotonic() + 4.0
    while time.monotonic() < end:
        service.set_velocity(VelocityNedYawRate(north_mps=8.0))
        fastest = max(fastest, sim.snapshot().groundspeed_mps)
        time.sleep(0.05)
    service.hold()
    assert 2.5 < fastest <= 3.05

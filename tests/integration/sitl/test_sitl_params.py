"""Against the real ArduCopter SITL: the full parameter list through GcsService matches what pymavlink
reads directly on SERIAL1, a parameter set through the service reads back there, a file round-trips.

The figures (count, download time) are printed for the README's Parameters section.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from gcs.core.models import Autopilot
from gcs.core.service import GcsService
from gcs.core.vehicle.params import DownloadState, FileFormat
from gcs.core.vehicle.params.encoding import f32
from tests.conftest import wait_until
from tests.integration.sitl.sitl_support import Sitl

pytestmark = pytest.mark.slow
VOLATILE = re.compile(r"^BARO\d?_GND_PRESS$")  # ArduPilot re-measures it on the ground all the time


def _direct(url: str, names: tuple[str, ...] = ()) -> dict[str, tuple[float, int]]:
    """What pymavlink alone reads on SERIAL1: every parameter (name -> value, type), or only ``names``."""
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(url, source_system=254, source_component=190)
    try:
        conn.wait_heartbeat(timeout=30)
        got: dict[int, tuple[str, float, int]] = {}
        by_name: dict[str, tuple[float, int]] = {}
        if names:
            for name in names:
                conn.mav.param_request_read_send(conn.target_system, conn.target_component, name.encode(), -1)
                msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=5,
                                      condition=f"PARAM_VALUE.param_id=='{name}'")
                assert msg is not None, f"SITL did not answer PARAM_REQUEST_READ {name}"
                by_name[name] = (msg.param_value, msg.param_type)
            return by_name
        conn.mav.param_request_list_send(conn.target_system, conn.target_component)
        total = None
        deadline = time.monotonic() + 60
        while (total is None or len(got) < total) and time.monotonic() < deadline:
            msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=2)
            if msg is None and total is not None:  # ask for what the list missed, by index
                for index in sorted(set(range(total)) - set(got))[:20]:
                    conn.mav.param_request_read_send(conn.target_system, conn.target_component, b"", index)
                continue
            if msg is not None and msg.param_index < msg.param_count:
                total = msg.param_count
                got[msg.param_index] = (msg.param_id, msg.param_value, msg.param_type)
        return {name: (value, ptype) for name, value, ptype in got.values()}
    finally:
        conn.close()


def test_full_list_matches_pymavlink_and_a_set_reads_back(make_service: Callable[..., Any], sitl: Sitl) -> None:
    service: GcsService = make_service(None)
    service.connect(sitl.url)
    service.wait_for_vehicle(30)
    wait_until(lambda: service.vehicle_state().autopilot is Autopilot.ARDUPILOT, 10, "ArduPilot heartbeat")

    progress = service.refresh_params(wait=True, timeout_s=120)
    assert progress.state is DownloadState.COMPLETE, progress.error
    print(f"SITL parameters: {progress.received} in {progress.duration_s:.2f} s "
          f"({progress.re_requested} re-requested, {progress.list_requests} list request(s))")
    ours = {row.param.name: row.param for row in service.params().rows}
    direct = _direct(sitl.truth_url)
    assert progress.received == progress.total == len(ours) == len(direct) > 1000
    assert set(ours) == set(direct)
    differ = []
    for name, (value, ptype) in direct.items():
        assert ours[name].ptype == ptype, name
        if f32(float(ours[name].value)) != f32(value):
            differ.append(name)
    # the only values that differ are those the autopilot keeps updating itself (ground pressure)
    assert all(VOLATILE.match(name) for name in differ), differ
    assert isinstance(ours["RTL_ALT"].value, int)  # ArduPilot's INT32, cast to float on the wire

    before = ours["RTL_ALT"].value
    wanted = 2500 if before != 2500 else 3000
    row = service.set_param("RTL_ALT", wanted, source="sitl-test")
    assert row.param.value == wanted and row.meta is not None and row.meta.units == "cm"
    assert _direct(sitl.truth_url, ("RTL_ALT",))["RTL_ALT"] == (float(wanted), ours["RTL_ALT"].ptype)
    speed = service.set_param("WPNAV_SPEED", 750.5, source="sitl-test")
    assert speed.param.value == pytest.approx(750.5)
    assert _direct(sitl.truth_url, ("WPNAV_SPEED",))["WPNAV_SPEED"][0] == pytest.approx(750.5)

    for fmt in FileFormat:  # the vehicle's own list, saved and read back, differs from it in nothing
        delta = service.diff_params(service.export_params(fmt))
        assert delta.changed == () and delta.unknown == () and delta.unchanged == len(ours)
    restored = service.apply_params(f"RTL_ALT {before}\n", source="sitl-test")
    assert [p.value for p in restored.applied] == [before]

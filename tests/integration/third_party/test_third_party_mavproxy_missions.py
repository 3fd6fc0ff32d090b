"""MAVProxy loads a waypoint file into the ArduPilot-flavour simulator (``wp load``), as its users do,
and both MAVProxy (``wp list`` + ``wp save``) and Kestrel read the same mission back
(MAVProxy's file to the 6 decimals pymavlink writes, Kestrel's download exactly).

The file is Mission Planner/MAVProxy's ``QGC WPL 110``: home, a takeoff, five waypoints, RTL. MAVProxy
uploads it with MISSION_COUNT and answers the sim's MISSION_REQUESTs; its "Loaded 8 waypoints in" line
is its own confirmation. Kestrel (another GCS on the same UDP port, system id 250) then downloads
it, and the items must match the file item for item (float32 params, centimetre altitudes) as MAVProxy
sent them: it truncates degrees to 1e-7 (``int(deg * 1e7)``), so a coordinate may arrive 1 cm short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gcs.core.sim import SimConfig
from gcs.core.sim.params import ParamStore
from gcs.core.vehicle.mission import Mission, MissionItem, read_waypoints
from tests.conftest import wait_until
from tests.integration.third_party.clients import MavProxy
from tests.mission_support import five_waypoints

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def as_mavproxy_sends(item: MissionItem) -> MissionItem:
    """MAVProxy 1.8 sends a file's degrees as ``int(deg * 1e7)``: truncated, not rounded, so a coordinate
    can arrive 1e-7 degree (1.1 cm) short of the file's (47.3979666 becomes 473979665)."""
    if not item.has_position:
        return item
    return replace(item, x=int(item.x * 1e7) / 1e7, y=int(item.y * 1e7) / 1e7)


def _differences(got: Mission, want: Mission) -> str:
    rows = [f"{n}: {a} != {b}" for n, (a, b) in enumerate(zip(got.items, want.items, strict=False), 1)
            if not a.matches(b)]
    return f"{len(got.items)} items vs {len(want.items)}; " + "; ".join(rows)


def test_mavproxy_wp_load_then_both_read_it_back(start_sim: Callable[..., Any], start_mavproxy: Callable[..., Any],
                                                  make_service: Callable[..., Any], tmp_path: Path) -> None:
    sim = start_sim("ardupilot")
    proxy: MavProxy = start_mavproxy(sim)
    total = len(ParamStore(SimConfig(flavour="ardupilot")))
    proxy.wait_for(f"Received {total} parameters", timeout=90)
    snap = sim.snapshot()
    planned_text = five_waypoints(snap.lat_deg, snap.lon_deg, snap.alt_msl_m)
    planned = read_waypoints(planned_text)
    sent = Mission(planned.kind, tuple(map(as_mavproxy_sends, planned.items)))
    path = tmp_path / "five.waypoints"
    path.write_text(planned_text, encoding="utf-8")

    sent_at = time.monotonic() - proxy.started
    since = proxy.send(f"wp load {path}")
    proxy.wait_for(f"Loaded 8 waypoints from {path}", since=since)
    done = proxy.wait_for("Loaded 8 waypoints in", since=since)  # the upload ended with MISSION_ACK
    def items_received() -> int:  # MAVProxy prints that line as it sends the last item
        counts = sim.received_counts()
        return counts.get("MISSION_ITEM", 0) + counts.get("MISSION_ITEM_INT", 0)

    wait_until(lambda: items_received() >= 8, 5, "the sim to receive all 8 items")
    assert sim.received_counts().get("MISSION_COUNT", 0) >= 1

    since = proxy.send("wp list")
    proxy.wait_for("Saved 8 waypoints to", since=since)  # MAVProxy's download (it saves to way.txt)
    back = tmp_path / "back.waypoints"
    since = proxy.send(f"wp save {back}")
    proxy.wait_for(f"Saved 8 waypoints to {back}", since=since)
    mavproxy_view = read_waypoints(back.read_text(encoding="utf-8"))
    # pymavlink's MAVWPLoader.save writes degrees with "%f": 6 decimals (0.11 m), so MAVProxy's copy is
    # compared to that; ours (MISSION_ITEM_INT, 1e-7 degrees) must be exact.
    assert len(mavproxy_view.items) == len(sent.items)
    for got, want in zip(mavproxy_view.items, sent.items, strict=True):
        x, y = (float(f"{v * 1.0e-7:f}") for v in want.wire_xy())  # what MAVProxy computes and writes
        assert got.matches(replace(want, x=x, y=y) if want.has_position else want), (got, want)

    service = make_service(None, link__source_system=250)  # a second GCS on the sim's port
    service.connect(f"udpout:127.0.0.1:{sim.port}")
    service.wait_for_vehicle(10.0)
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home position")
    ours = service.download_mission()
    assert ours.seq_offset == 1 and ours.matches(sent), _differences(ours, sent)
    moved = sum(a.wire_xy() != b.wire_xy() for a, b in zip(sent.items, planned.items, strict=True))
    assert ours.home is not None and abs(ours.home.lat_deg - snap.lat_deg) < 1e-5
    print(f"MAVProxy: wp load of 8 items {done.at_s - sent_at:.2f} s after the command; "
          f"read back identical by MAVProxy (wp list) and Kestrel ({len(ours.items)} items + home); "
          f"{moved} of them 1e-7 degree off the file by MAVProxy's truncation")

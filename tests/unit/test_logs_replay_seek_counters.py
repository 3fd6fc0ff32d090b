"""A seek starts the link statistics again: no false link loss from the records it skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gcs.core.models import LinkState
from tests.conftest import wait_until
from tests.logs_support import TLOG_DIR, read_with_pymavlink
from tests.unit.test_logs_replay import Rig

CODELEVER = TLOG_DIR / "copter_real_2013_codelever.tlog"
STEP = 600
pytestmark = pytest.mark.skipif(not CODELEVER.exists(), reason=f"{CODELEVER} not found")


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.close()


def test_after_a_seek_the_loss_is_what_the_log_holds_from_there(rig: Rig) -> None:
    view = read_with_pymavlink(CODELEVER)  # no bad frames: message i is record i
    link = rig.replay(CODELEVER, speed=None, playing=False)
    link.start()
    link.step(STEP)
    wait_until(lambda: 1 in rig.fleet.ids(), 5, "vehicle heard")
    seek = link.seek(fraction=0.5)
    counters = link.counters()
    assert (counters.received, counters.lost) == (0, 0), "a seek starts the counts again"
    assert rig.fleet.vehicle(1).state.link.packet_loss_pct == 0.0
    link.step(STEP)

    last_seq: dict[tuple[int, int], int] = {}
    lost = 0
    for msg in view.messages[seek.frame : seek.frame + STEP]:  # pymavlink's reading of the same records
        key = (msg.get_srcSystem(), msg.get_srcComponent())
        if key in last_seq:
            gap = (msg.get_seq() - last_seq[key] - 1) & 0xFF
            lost += gap if gap < 128 else 0
        last_seq[key] = msg.get_seq()
    counters = link.counters()
    assert (counters.received, counters.lost) == (STEP, lost)
    expected_pct = 100.0 * lost / (STEP + lost)
    of_vehicle = sum(m.get_srcSystem() == 1 for m in view.messages[seek.frame : seek.frame + STEP])
    wait_until(lambda: rig.fleet.vehicle(1).state.link.received == of_vehicle, 3, "link statistics published")
    status = rig.fleet.vehicle(1).state.link
    assert status.packet_loss_pct == pytest.approx(expected_pct, abs=1e-9)
    assert status.state is LinkState.OK, "stepped records keep their own times: no false silence"
    assert expected_pct < 5, f"the log itself lost {expected_pct:.1f} %"

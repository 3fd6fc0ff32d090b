"""Parameter files in the formats QGC and MAVProxy/Mission Planner write, and value encoding per autopilot."""

from __future__ import annotations

import math

import pytest

from gcs.core.errors import ParamInvalid
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.params import FileFormat, Param, diff, parse, write
from gcs.core.vehicle.params.encoding import bytewise_for, coerce, decode, encode, text

INT32, INT16, INT8, REAL32 = (mavlink.MAV_PARAM_TYPE_INT32, mavlink.MAV_PARAM_TYPE_INT16,
                              mavlink.MAV_PARAM_TYPE_INT8, mavlink.MAV_PARAM_TYPE_REAL32)
# A file as QGC saves it (18 decimals for floats), and lines as MAVProxy and Mission Planner write them
QGC = """# Onboard parameters for Vehicle 1
#
# Stack: ArduPilot
# Vehicle: Multi-Rotor
#
# Vehicle-Id Component-Id Name Value Type
1\t1\tACRO_BAL_PITCH\t1.000000000000000000\t9
1\t1\tRTL_ALT\t1500\t6
1\t1\tWPNAV_SPEED\t1000.000000000000000000\t9
"""
MAVPROXY = "ACRO_BAL_PITCH   1.000000\nRTL_ALT          1500.000000\n# a comment\n\nWPNAV_SPEED 1000\n"
MISSION_PLANNER = "ACRO_BAL_PITCH,1\r\nRTL_ALT,1500\r\nWPNAV_SPEED,1000\r\n"


def test_the_three_writers_read_the_same() -> None:
    for content in (QGC, MAVPROXY, MISSION_PLANNER):
        entries = {e.name: e.value for e in parse(content)}
        assert entries == {"ACRO_BAL_PITCH": 1.0, "RTL_ALT": 1500.0, "WPNAV_SPEED": 1000.0}
    assert {e.name: e.ptype for e in parse(QGC)}["RTL_ALT"] == INT32


def test_written_files_read_back_exactly_and_diff_names_what_changes() -> None:
    params = [Param("WPNAV_SPEED", coerce("WPNAV_SPEED", 0.1 + 1234.2, REAL32), REAL32, 0),
              Param("RTL_ALT", 1500, INT32, 1), Param("TINY", coerce("TINY", 1e-7, REAL32), REAL32, 2)]
    current = {p.name: p for p in params}
    for fmt in FileFormat:
        content = write(params, fmt, system_id=3, autopilot="ardupilot")
        delta = diff(parse(content), current)
        assert delta.changed == () and delta.unchanged == 3 and delta.unknown == ()
    delta = diff(parse("RTL_ALT 2000\nWPNAV_SPEED,1234.3\nRTL_ALT_X 1\nTINY 1e-7\n"), current)
    assert [(d.name, d.vehicle, d.file) for d in delta.changed] == [("RTL_ALT", 1500, 2000)]
    assert delta.unknown == ("RTL_ALT_X",) and delta.unchanged == 2  # 1234.3 is 1234.3's float32
    bad = diff(parse("RTL_ALT 15.5\n"), current).changed[0]
    assert bad.error is not None and not bad.applicable


@pytest.mark.parametrize("content", ["RTL_ALT", "RTL_ALT one", "A B C", "1\t1\tX\tnan\t9", "WAY_TOO_LONG_NAME_HERE 1"])
def test_a_bad_line_is_refused_with_its_number(content: str) -> None:
    with pytest.raises(ParamInvalid, match="line 1"):
        parse(content)


def test_px4_integers_travel_bytewise_and_ardupilot_casts_them() -> None:
    assert bytewise_for(None, is_px4=True) and not bytewise_for(None, is_px4=False)
    assert bytewise_for(mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST, is_px4=True) is False
    wire = encode(1500, INT32, bytewise=True)
    assert wire != 1500.0 and 0 < wire < 1e-40  # the bits of 0x000005DC: a denormal, as MAVProxy shows it
    assert decode(wire, INT32, bytewise=True) == 1500
    assert decode(encode(-5, INT8, bytewise=True), INT8, bytewise=True) == -5
    assert encode(1500, INT16, bytewise=False) == 1500.0 and decode(1500.0, INT16, bytewise=False) == 1500
    assert decode(0.1, REAL32, bytewise=True) == pytest.approx(0.1) and text(decode(0.1, REAL32, True), REAL32) == "0.1"


def test_values_are_checked_against_their_type() -> None:
    assert coerce("X", "42", INT32) == 42 and coerce("X", 3.0, INT8) == 3 and coerce("X", "2.5", REAL32) == 2.5
    for value, ptype in ((2.5, INT32), (128, INT8), ("abc", REAL32), (math.nan, REAL32), (1e39, REAL32)):
        with pytest.raises(ParamInvalid):
            coerce("X", value, ptype)

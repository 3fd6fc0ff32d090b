"""Which vehicle messages are the normal offboard start sequence (gcs.core.vehicle.sequencing)."""

from __future__ import annotations

from gcs.core.vehicle.sequencing import OffboardStartWindow, is_sequencing_text


def test_only_sequencing_texts_in_the_window_after_a_start_are_routine() -> None:
    assert is_sequencing_text("Setpoint ignored: not in OFFBOARD")
    assert is_sequencing_text("Setpoints ignored: not in GUIDED")
    assert not is_sequencing_text("Arm: EKF attitude is bad")
    window = OffboardStartWindow(window_s=5.0)
    assert not window.routine("Setpoint ignored: not in OFFBOARD", 4, 10.0)  # no stream started yet
    window.on_engaged(True, 10.0)
    assert window.routine("Setpoint ignored: not in OFFBOARD", 4, 12.0)
    assert not window.routine("Setpoint ignored: not in OFFBOARD", 3, 12.0)  # an error is never routine
    assert not window.routine("Failsafe: offboard lost", 4, 12.0)
    assert not window.routine("Setpoint ignored: not in OFFBOARD", 4, 16.0)  # mid-flight: a real warning
    window.on_engaged(True, 20.0)  # still engaged: not a new start
    assert not window.routine("Setpoint ignored: not in OFFBOARD", 4, 20.5)
    window.on_engaged(False, 30.0)
    window.on_engaged(True, 31.0)
    assert window.routine("Setpoint ignored: not in OFFBOARD", 4, 31.5)

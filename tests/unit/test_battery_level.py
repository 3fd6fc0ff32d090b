"""Battery level thresholds: the same words for the alert engine, the follow refusal and the faces."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gcs.core.alerts import battery_level
from gcs.core.config import GcsConfig, SafetyConfig


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (100.0, "ok"),
        (30.1, "ok"),
        (30.0, "low"),
        (15.1, "low"),
        (15.0, "critical"),
        (0.0, "critical"),
        (None, "unknown"),
        (-1.0, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_default_thresholds(percent: float | None, expected: str) -> None:
    assert battery_level(percent, SafetyConfig()) == expected


def test_thresholds_come_from_config() -> None:
    cfg = SafetyConfig(battery_low_percent=50, battery_critical_percent=40)
    assert battery_level(45, cfg) == "low"
    assert battery_level(40, cfg) == "critical"
    assert battery_level(51, cfg) == "ok"


def test_defaults_and_action_choices() -> None:
    safety = GcsConfig().safety
    assert (safety.battery_low_percent, safety.battery_critical_percent) == (30, 15)
    assert safety.critical_battery_action == "rtl"
    with pytest.raises(ValidationError):
        GcsConfig.model_validate({"safety": {"critical_battery_action": "crash"}})


@pytest.mark.parametrize(
    "safety",
    [
        {"battery_low_percent": 20, "battery_critical_percent": 20},
        {"battery_low_percent": 10},
        {"battery_critical_percent": 101, "battery_low_percent": 100},
        {"battery_low_percent": -5},
    ],
)
def test_inconsistent_thresholds_are_refused(safety: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        GcsConfig.model_validate({"safety": safety})

"""The settings schema: defaults, bounds, apply modes, cross-field rules and the YAML text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from gcs.core.config import (
    SECTIONS,
    GcsConfig,
    describe_fields,
    dump_config_yaml,
    dump_defaults_yaml,
    parse_config_yaml,
    requires_restart,
)
from gcs.core.config.fields import refusal
from gcs.core.config.schema import section_model
from gcs.core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

# The contract from the design brief: every key that needs a restart; all others apply live.
RESTART_KEYS = {
    "link.connections", "link.heartbeat_rate_hz", "link.stream_rate_hz", "link.attitude_rate_hz",
    "link.outputs", "link.demo_flavour", "link.demo_port", "link.source_system",
    "link.camera_component_id", "link.camera_component_via",
    "video.enabled", "video.source", "video.width", "video.height", "video.fps", "video.loop_file",
    "video.h264_bitrate_kbps", "video.h264_preset", "video.h264_keyframe_interval_s",
    "tracking.model_path", "tracking.backend", "tracking.image_size", "tracking.device",
    "safety.setpoint_rate_hz",
    "api.enabled", "api.host", "api.port", "api.cors_origins",
    "logging.file", "logging.tlog", "logging.tlog_dir",
    "fleet.mqtt_url", "fleet.gcs_id", "fleet.mqtt_prefix", "fleet.mqtt_rate_hz", "fleet.mqtt_payload",
    "fleet.mqtt_username", "fleet.mqtt_password_file", "fleet.mqtt_tls_ca_file", "fleet.mqtt_tls_cert_file",
    "fleet.mqtt_tls_key_file", "fleet.mqtt_commands", "fleet.mqtt_compression",
}  # fmt: skip


def test_sections_are_the_agreed_ones() -> None:
    assert SECTIONS == ("link", "video", "tracking", "follow", "safety", "api", "logging", "fleet", "map")


def test_defaults_are_valid_and_round_trip() -> None:
    defaults = GcsConfig()
    assert GcsConfig.model_validate(defaults.model_dump()) == defaults
    assert defaults.link.demo_port == 14550
    assert defaults.safety.setpoint_rate_hz == 20.0
    assert isinstance(defaults.video.fps, float)  # defaults are validated, so typed


def test_every_field_has_description_and_apply() -> None:
    for section in SECTIONS:
        for name, info in section_model(section).model_fields.items():
            assert info.description, f"{section}.{name} has no description"
            extra = info.json_schema_extra
            assert isinstance(extra, dict) and extra.get("apply") in ("live", "restart"), f"{section}.{name}"


def test_apply_modes_match_the_contract() -> None:
    fields = describe_fields()
    assert {f.key for f in fields if f.apply == "restart"} == RESTART_KEYS
    assert requires_restart(["safety.max_speed_mps", "link.demo_port", "video.source"]) == [
        "link.demo_port",
        "video.source",
    ]
    with pytest.raises(ConfigError, match=r"'link\.nope' is not a known setting"):
        requires_restart(["link.nope"])


def test_field_descriptions_for_editors() -> None:
    by_key = {f.key: f for f in describe_fields()}
    lifetime = by_key["safety.setpoint_lifetime_s"]
    assert (lifetime.type, lifetime.default, lifetime.minimum, lifetime.maximum) == ("float", 0.5, 0.05, 5)
    flavour = by_key["link.demo_flavour"]
    assert (flavour.type, flavour.choices, flavour.default) == ("str", ("px4", "ardupilot"), "px4")
    assert by_key["link.recent_connections"].max_items == 10
    assert by_key["link.recent_connections"].type == "list[str]"
    assert by_key["api.port"].minimum == 0
    assert by_key["logging.tlog"].type == "bool"
    assert by_key["tracking.tracker"].choices == ("CSRT", "KCF", "MIL", "MedianFlow")


def test_json_schema_carries_description_bounds_and_apply() -> None:
    schema = GcsConfig.model_json_schema()
    safety = schema["$defs"]["SafetyConfig"]["properties"]
    assert safety["setpoint_lifetime_s"]["maximum"] == 5
    assert safety["setpoint_lifetime_s"]["apply"] == "live"
    assert safety["setpoint_lifetime_s"]["description"]
    assert schema["$defs"]["LinkConfig"]["properties"]["demo_flavour"]["enum"] == ["px4", "ardupilot"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"safety": {"setpoint_lifetime_s": 9.0}},
            "safety.setpoint_lifetime_s = 9.0 is refused: must be <= 5",
        ),
        ({"video": {"width": 100}}, "video.width = 100 is refused: must be >= 160"),
        ({"link": {"demo_flavour": "inav"}}, "link.demo_flavour = 'inav' is refused: must be one of"),
        ({"link": {"recent_connections": ["x"] * 11}}, "must have at most 10 items"),
        ({"link": {"heartbeat_hz": 2}}, "link.heartbeat_hz is not a known setting"),
        ({"radio": {}}, "radio is not a known setting"),
        ({"api": {"host": ""}}, "api.host = '' is refused: must not be empty"),
    ],
)
def test_out_of_bounds_is_refused_with_field_and_bound(data: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError) as info:
        GcsConfig.model_validate(data)
    assert expected in refusal(info.value)


def test_cross_field_rules() -> None:
    with pytest.raises(ValidationError, match=r"jpeg_quality_min \(90\) must be <= jpeg_quality \(80\)"):
        GcsConfig.model_validate({"video": {"jpeg_quality_min": 90}})
    with pytest.raises(ValidationError, match=r"min_altitude_m \(50\.0\) must be < max_altitude_m"):
        GcsConfig.model_validate({"safety": {"min_altitude_m": 50, "max_altitude_m": 50}})
    with pytest.raises(ValidationError, match="two setpoint periods"):
        GcsConfig.model_validate({"safety": {"setpoint_rate_hz": 2, "setpoint_lifetime_s": 0.5}})
    GcsConfig.model_validate({"safety": {"setpoint_rate_hz": 2, "setpoint_lifetime_s": 1.0}})


def test_cross_field_refusal_names_the_attempted_key() -> None:
    with pytest.raises(ValidationError) as info:
        GcsConfig.model_validate({"video": {"jpeg_quality_min": 90}})
    message = refusal(info.value, {"video.jpeg_quality_min": 90})
    assert message.startswith("video.jpeg_quality_min = 90 is refused: jpeg_quality_min (90)")


def test_assignment_is_validated() -> None:
    config = GcsConfig()
    with pytest.raises(ValidationError):
        config.safety.max_speed_mps = 100
    with pytest.raises(ValidationError):
        config.follow.unknown = 1  # type: ignore[attr-defined]


def test_numbers_become_strings_for_text_fields() -> None:
    config = GcsConfig.model_validate({"video": {"source": 0}, "tracking": {"device": 0}})
    assert config.video.source == "0"
    assert config.tracking.device == "0"


def test_committed_default_config_matches_the_schema() -> None:
    committed = (REPO / "resources" / "default_config.yaml").read_text(encoding="utf-8")
    assert committed == dump_defaults_yaml(), (
        "resources/default_config.yaml is out of date; regenerate it (see gcs/core/config/yaml_text.py)"
    )
    assert yaml.safe_load(committed) == GcsConfig().model_dump()


def test_yaml_text_round_trips_awkward_values() -> None:
    config = GcsConfig()
    config.link.connections = ["udpin:0.0.0.0:14550", "/dev/ttyUSB0,57600", "tcp:[::1]:5760"]
    config.video.source = "rtsp://cam/a: b # not a comment\n\"quoted\" 'single' é 😀"
    config.api.host = "- dash"
    config.logging.tlog_dir = "~/logs: here"
    config.tracking.classes = ["person", "car"]
    text = dump_config_yaml(config)
    assert parse_config_yaml(text) == config
    assert "# (0.05 to 5; applies live)" in text


def test_parse_refuses_bad_text_clearly() -> None:
    with pytest.raises(ConfigError, match=r"^f is not valid YAML at line 2: mapping values are not allowed"):
        parse_config_yaml("link: tcp\n  connections: x\n", origin="f")
    with pytest.raises(ConfigError, match="must map section names to settings, but holds a list"):
        parse_config_yaml("- a\n- b\n")
    assert parse_config_yaml("") == GcsConfig()
    assert parse_config_yaml("safety:\n  max_speed_mps: 4\n").safety.max_speed_mps == 4.0

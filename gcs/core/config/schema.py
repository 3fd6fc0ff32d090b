"""The settings schema: one pydantic model per area, gathered in ``GcsConfig``.

Every field carries a default, its bounds (``ge``/``le``, ``max_length`` or a ``Literal``), a
one-line description and whether a change applies live or needs a restart
(``json_schema_extra={"apply": ...}``), so editors, the API schema and the commented YAML are all
generated from this one file. Field names are a contract: the rest of the core codes against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Apply = Literal["live", "restart"]


def setting(default: Any, *, description: str, apply: Apply, **bounds: Any) -> Any:
    """One settings field: ``bounds`` are pydantic constraints (ge, le, max_length, min_length)."""
    return Field(default, description=description, json_schema_extra={"apply": apply}, **bounds)


class _Section(BaseModel):
    # coerce_numbers_to_str: ``source: 0`` in hand-written YAML means camera "0", not an error.
    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        validate_default=True,
        coerce_numbers_to_str=True,
        allow_inf_nan=False,
    )


class LinkConfig(_Section):
    """MAVLink connections, heartbeat, watchdog, commands and the built-in simulator."""

    connections: list[str] = setting(
        [], apply="restart",
        description="MAVProxy-style connection URLs opened at start "
        "(udpin:0.0.0.0:14550, udpout:host:port, tcp:host:port, /dev/ttyUSB0,57600)",
    )
    outputs: list[str] = setting(
        [], apply="restart",
        description="MAVLink forwarding outputs opened at start, like MAVProxy --out "
        "(udpout:127.0.0.1:14551, udpin:0.0.0.0:14552, tcpin:0.0.0.0:5762)",
    )
    recent_connections: list[str] = setting(
        [], apply="live", max_length=10,
        description="Connection URLs used lately, newest first, offered by the connect dialogs",
    )
    heartbeat_rate_hz: float = setting(
        1.0, apply="restart", ge=0.2, le=10, description="Rate of the GCS heartbeat sent to every link"
    )
    watchdog_timeout_s: float = setting(
        3.0, apply="live", ge=0.5, le=60,
        description="Silence from a vehicle after which its link is reported lost",
    )
    reconnect_interval_s: float = setting(
        2.0, apply="live", ge=0.2, le=60, description="Pause between attempts to reopen a failed link"
    )
    command_timeout_s: float = setting(
        1.5, apply="live", ge=0.1, le=30, description="Wait for a COMMAND_ACK before a command is resent"
    )
    command_retries: int = setting(
        3, apply="live", ge=0, le=10, description="Resends of an unacknowledged command before giving up"
    )
    stream_rate_hz: float = setting(
        10.0, apply="restart", ge=1, le=50,
        description="Rate asked of the vehicle for position, HUD, battery and status messages",
    )
    attitude_rate_hz: float = setting(
        50.0, apply="restart", ge=1, le=100, description="Rate asked of the vehicle for ATTITUDE messages"
    )
    demo_flavour: Literal["px4", "ardupilot"] = setting(
        "px4", apply="restart",
        description="Autopilot the built-in simulator imitates (its modes, offboard or GUIDED)",
    )
    demo_port: int = setting(
        14550, apply="restart", ge=1024, le=65535,
        description="UDP port the GCS listens on for the built-in simulator (QGroundControl's port)",
    )
    source_system: int = setting(
        255, apply="restart", ge=1, le=255, description="MAVLink system id the GCS sends as"
    )


class VideoConfig(_Section):
    """The video source, its capture format and the JPEG encoding shared by every viewer."""

    enabled: bool = setting(
        True, apply="restart",
        description="Open the video source at start (off: no video, tracking or follow; flying still works)",
    )
    source: str = setting(
        "virtual", apply="restart", min_length=1,
        description="Camera index, file path, rtsp/http/udp URL, GStreamer pipeline, or 'virtual' "
        "(the simulated camera)",
    )
    width: int = setting(640, apply="restart", ge=160, le=3840, description="Capture width in pixels")
    height: int = setting(480, apply="restart", ge=120, le=2160, description="Capture height in pixels")
    fps: float = setting(
        30, apply="restart", ge=1, le=120, description="Capture frame rate asked of the source"
    )
    loop_file: bool = setting(True, apply="restart", description="Start a video file again when it ends")
    stale_after_s: float = setting(
        1.0, apply="live", ge=0.1, le=30, description="Time without a new frame after which video is stale"
    )
    reconnect_max_backoff_s: float = setting(
        10, apply="live", ge=0.5, le=120, description="Longest pause between attempts to reopen a lost source"
    )
    jpeg_quality: int = setting(
        80, apply="live", ge=10, le=100, description="JPEG quality of streamed frames"
    )
    jpeg_quality_min: int = setting(
        40, apply="live", ge=10, le=100,
        description="Lowest JPEG quality the streamer may drop to when clients fall behind",
    )

    @model_validator(mode="after")
    def _quality_order(self) -> VideoConfig:
        if self.jpeg_quality_min > self.jpeg_quality:
            raise ValueError(
                f"jpeg_quality_min ({self.jpeg_quality_min}) must be <= jpeg_quality ({self.jpeg_quality})"
            )
        return self


class TrackingConfig(_Section):
    """Click-to-track: the classic tracker, the optional detector and its model."""

    tracker: Literal["CSRT", "KCF", "MIL", "MedianFlow"] = setting(
        "CSRT", apply="live", description="OpenCV tracker used after a click (CSRT: accurate, KCF: fast)"
    )
    smart_mode: bool = setting(
        False, apply="live", description="Snap a click to the detected object under it (needs the detector)"
    )
    model_path: str = setting(
        "", apply="restart", description="Detector model file; empty uses the shipped demo model"
    )
    backend: Literal["auto", "ultralytics", "onnxruntime"] = setting(
        "auto", apply="restart", description="Detector runtime; auto picks the first one installed"
    )
    confidence: float = setting(
        0.4, apply="live", ge=0.05, le=0.95, description="Lowest detector score kept as a detection"
    )
    image_size: int = setting(
        320, apply="restart", ge=64, le=1280, description="Square input size the detector runs at, in pixels"
    )
    device: str = setting(
        "cpu", apply="restart", min_length=1, description="Device the detector runs on (cpu, cuda:0, ...)"
    )
    classes: list[str] = setting(
        [], apply="live", description="Detector class names to keep; empty keeps every class"
    )
    click_box_px: int = setting(
        64, apply="live", ge=16, le=512,
        description="Side of the box around a click when no detection is under it, in pixels",
    )


class FollowConfig(_Section):
    """The follower: how target error becomes a velocity command (safety limits still apply)."""

    profile: Literal["chase", "yaw_only", "hold_distance"] = setting(
        "chase", apply="live",
        description="Follow behaviour: chase the target, only turn to face it, or keep its range",
    )
    max_forward_mps: float = setting(5, apply="live", ge=0, le=20, description="Fastest forward/back speed")
    max_lateral_mps: float = setting(3, apply="live", ge=0, le=15, description="Fastest sideways speed")
    max_vertical_mps: float = setting(1, apply="live", ge=0, le=5, description="Fastest climb/descent speed")
    max_yaw_rate_dps: float = setting(
        45, apply="live", ge=0, le=180, description="Fastest turn rate, in degrees per second"
    )
    gain_yaw: float = setting(
        1.0, apply="live", ge=0, le=10, description="Turn-rate gain on the target's horizontal offset"
    )
    gain_forward: float = setting(
        4.0, apply="live", ge=0, le=10,
        description="Forward-speed gain (m/s per unit of relative size or distance error)",
    )
    target_size_frac: float = setting(
        0.2, apply="live", ge=0.01, le=0.9,
        description="Target size as a fraction of the frame that chase keeps",
    )
    hold_distance_m: float = setting(
        20.0, apply="live", ge=2, le=200,
        description="Ground distance to the target that hold_distance keeps",
    )
    gain_integral: float = setting(
        0.8, apply="live", ge=0, le=5,
        description="Integral gain (1/s) on the follower's commands, so a moving target is not lagged",
    )


class SafetyConfig(_Section):
    """Limits the commander enforces on every setpoint, whoever asked for it."""

    setpoint_rate_hz: float = setting(
        20, apply="restart", ge=2, le=50,
        description="Rate the commander streams setpoints at (PX4 offboard needs at least 2 Hz)",
    )
    setpoint_lifetime_s: float = setting(
        0.5, apply="live", ge=0.05, le=5,
        description="Age after which an unrenewed setpoint becomes zero velocity",
    )
    max_speed_mps: float = setting(
        8, apply="live", ge=0.5, le=25, description="Horizontal speed no command may exceed"
    )
    min_altitude_m: float = setting(
        3, apply="live", ge=0, le=100, description="Height above home below which descent is refused"
    )
    max_altitude_m: float = setting(
        120, apply="live", ge=5, le=1000, description="Height above home above which climb is refused"
    )
    target_lost_timeout_s: float = setting(
        1.0, apply="live", ge=0.1, le=10, description="Time without the target after which the vehicle holds"
    )
    hold_on_link_loss: bool = setting(
        True, apply="live", description="Hold position when the GCS link is lost while following"
    )

    @model_validator(mode="after")
    def _consistent(self) -> SafetyConfig:
        if self.min_altitude_m >= self.max_altitude_m:
            raise ValueError(
                f"min_altitude_m ({self.min_altitude_m}) must be < max_altitude_m ({self.max_altitude_m})"
            )
        shortest = 2.0 / self.setpoint_rate_hz
        if self.setpoint_lifetime_s < shortest:
            raise ValueError(
                f"setpoint_lifetime_s ({self.setpoint_lifetime_s}) must be >= two setpoint periods "
                f"({shortest:g} s at {self.setpoint_rate_hz:g} Hz), or setpoints expire between sends"
            )
        return self


class ApiConfig(_Section):
    """The embedded web server (REST, WebSocket, SSE) and its access rules."""

    enabled: bool = setting(True, apply="restart", description="Serve the web API and dashboard")
    host: str = setting(
        "127.0.0.1", apply="restart", min_length=1,
        description="Address to listen on; 0.0.0.0 opens the API to the network",
    )
    port: int = setting(8080, apply="restart", ge=0, le=65535, description="TCP port; 0 picks any free port")
    cors_origins: list[str] = setting(
        [], apply="restart", description="Browser origins allowed to call the API from other sites"
    )
    rate_limit_per_minute: int = setting(
        600, apply="live", ge=10, le=100000, description="Requests one client may make per minute"
    )
    token_ttl_hours: float = setting(
        720, apply="live", ge=0.1, le=87600, description="Lifetime of newly issued access tokens, in hours"
    )


class LoggingConfig(_Section):
    """Application log and MAVLink telemetry logs (tlog)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting(
        "INFO", apply="live", description="Lowest severity written to the application log"
    )
    file: bool = setting(True, apply="restart", description="Also write the application log to a file")
    tlog: bool = setting(True, apply="restart", description="Record every MAVLink message to a .tlog file")
    tlog_dir: str = setting(
        "", apply="restart", description="Folder for tlogs; empty uses the user data folder"
    )
    min_free_disk_mb: int = setting(
        200, apply="live", ge=0, le=100000, description="Free disk space below which recording stops"
    )


class GcsConfig(BaseModel):
    """All settings of the application, one section per area."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    link: LinkConfig = Field(default_factory=LinkConfig, description=LinkConfig.__doc__)
    video: VideoConfig = Field(default_factory=VideoConfig, description=VideoConfig.__doc__)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description=TrackingConfig.__doc__)
    follow: FollowConfig = Field(default_factory=FollowConfig, description=FollowConfig.__doc__)
    safety: SafetyConfig = Field(default_factory=SafetyConfig, description=SafetyConfig.__doc__)
    api: ApiConfig = Field(default_factory=ApiConfig, description=ApiConfig.__doc__)
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description=LoggingConfig.__doc__)


SECTIONS: tuple[str, ...] = tuple(GcsConfig.model_fields)


def section_model(section: str) -> type[BaseModel]:
    """The model class of one section, e.g. ``section_model("link") is LinkConfig``."""
    annotation = GcsConfig.model_fields[section].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise TypeError(f"GcsConfig.{section} is not a settings section")
    return annotation

"""The settings schema: one pydantic model per area, gathered in ``GcsConfig``.

Every field carries a default, its bounds (``ge``/``le``, ``max_length`` or a ``Literal``), a
one-line description and whether a change applies live or needs a restart
(``json_schema_extra={"apply": ...}``), so editors, the API schema and the commented YAML are all
generated from this one file. Field names are a contract: the rest of the core codes against them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gcs.core.config.schema_base import Apply, _Section, setting
from gcs.core.config.schema_map import MapConfig

__all__ = ["Apply", "GcsConfig", "MapConfig", "setting"]


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
    camera_component_id: int = setting(
        100, apply="restart", ge=0, le=255,
        description="Component id of Kestrel's MAVLink tracking camera (QGC looks at 100-105); 0 turns it off",
    )
    camera_component_via: Literal["all", "outputs", "links"] = setting(
        "all", apply="restart",
        description="Where the camera component speaks: forwarding outputs, vehicle links, or both",
    )


class VideoConfig(_Section):
    """The video source, its capture format, the JPEG encoding shared by every viewer, and H.264 out."""

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
    latency_stamp: bool = setting(
        True, apply="live",
        description="Write each frame's capture time as a small black-and-white code (160x16 px, bottom "
        "right) so the dashboard and the window can show the measured glass-to-glass latency",
    )
    rtp_enabled: bool = setting(
        False, apply="live",
        description="Send the video, tracked box drawn in, as H.264 over RTP/UDP: what QGroundControl's "
        "'UDP h.264 Video Stream' plays",
    )
    rtp_host: str = setting(
        "127.0.0.1", apply="live", min_length=1, max_length=253,
        description="Where the RTP video goes: the QGroundControl machine's name or address (127.0.0.1: this one)",
    )
    rtp_port: int = setting(
        5600, apply="live", ge=1, le=65535, description="UDP port of the RTP video (QGroundControl listens on 5600)"
    )
    h264_bitrate_kbps: int = setting(
        2000, apply="restart", ge=100, le=50000,
        description="Highest bit rate of the H.264 video (the RTP stream and recordings), kbit/s",
    )
    h264_preset: Literal["ultrafast", "superfast", "veryfast"] = setting(
        "ultrafast", apply="restart",
        description="x264 speed preset: ultrafast takes the least CPU, veryfast gives more quality per bit",
    )
    h264_keyframe_interval_s: float = setting(
        1.0, apply="restart", ge=0.2, le=10,
        description="Time between H.264 keyframes: how soon a receiver that joins late shows a picture",
    )

    camera_hfov_deg: float = setting(
        70.0, apply="live", ge=5, le=160,
        description="A real camera's horizontal field of view, degrees (the follower and the map's target "
        "estimate; the virtual camera says its own)",
    )
    camera_tilt_deg: float = setting(
        45.0, apply="live", ge=-30, le=90,
        description="A real camera's tilt below the horizon, degrees (90: straight down)",
    )
    camera_stabilised: bool = setting(
        True, apply="live",
        description="The real camera is on a stabilised gimbal (off: hard-mounted, the vehicle's roll and "
        "pitch tilt it)",
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
    mavlink_point_tracker: Literal["auto", "smart", "classic"] = setting(
        "auto", apply="live",
        description="A MAVLink TRACK_POINT (QGC's click): auto = the detection under it, else the classic "
        "tracker; smart = only a detection; classic = the classic tracker",
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
    battery_low_percent: float = setting(
        30, apply="live", ge=0, le=100,
        description="Battery charge at or below which a low-battery warning is raised, in percent",
    )
    battery_critical_percent: float = setting(
        15, apply="live", ge=0, le=100,
        description="Battery charge at or below which the battery is critical: following stops "
        "and critical_battery_action runs, in percent",
    )
    critical_battery_action: Literal["hold", "rtl", "land"] = setting(
        "rtl", apply="live",
        description="What a critical battery does while following: hold position, return to "
        "launch or land where it is",
    )
    geofence_radius_m: float = setting(
        0, apply="live", ge=0, le=100000,
        description="Horizontal distance from home the vehicle should stay within; 0 turns the "
        "radius check off (the max_altitude_m check stays)",
    )
    geofence_margin_m: float = setting(
        10, apply="live", ge=0, le=1000,
        description="How close to the geofence radius or max_altitude_m a 'geofence near' "
        "warning is raised",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SafetyConfig:
        if self.battery_critical_percent >= self.battery_low_percent:
            raise ValueError(
                f"battery_critical_percent ({self.battery_critical_percent}) must be < "
                f"battery_low_percent ({self.battery_low_percent})"
            )
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
        12, apply="live", ge=0.1, le=87600,
        description="Lifetime of tokens made by 'gcs token create', in hours (12: one flying day; a leaked token "
        "cannot be revoked, only outlived). Make a long-lived one on purpose with --ttl-hours",
    )
    webrtc_enabled: bool = setting(
        True, apply="live",
        description="Offer the video to browsers over WebRTC (/ws/webrtc_signaling): H.264 from the one "
        "encoder, the lowest latency and bandwidth; off: they use the WebSocket or MJPEG streams",
    )
    webrtc_max_peers: int = setting(
        4, apply="live", ge=0, le=64,
        description="Browsers watching over WebRTC at once; one more is refused (it falls back to WebSocket video)",
    )
    webrtc_ice_servers: list[str] = setting(
        [], apply="live",
        description="STUN/TURN servers for WebRTC across networks (stun:host:3478, turn:user:pass@host:3478); "
        "empty: LAN/loopback only, nothing contacted",
    )
    webrtc_vp8: bool = setting(
        True, apply="live",
        description="Send VP8 (a second encode per browser) to a browser that cannot take H.264",
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


class FleetConfig(_Section):
    """Beyond one machine: this GCS's vehicles published through an MQTT broker."""

    mqtt_url: str = setting(
        "", apply="restart",
        description="MQTT broker (mqtt://[user:pass@]host:1883, mqtts://host:8883); empty publishes nothing",
    )
    gcs_id: str = setting(
        "", apply="restart", max_length=64, pattern=r"^[A-Za-z0-9_.-]*$",
        description="This GCS's name in the topics (<prefix>/<gcs_id>/...); empty uses the host name",
    )
    mqtt_prefix: str = setting(
        "kestrel", apply="restart", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_./-]+$",
        description="First level of every topic this GCS publishes",
    )
    mqtt_rate_hz: float = setting(
        2.0, apply="restart", ge=0.1, le=20, description="Vehicle states published per second per vehicle"
    )
    mqtt_payload: Literal["protobuf", "json"] = setting(
        "protobuf", apply="restart",
        description="Vehicle state payloads: protobuf TelemetryRecord (resources/proto/kestrel.proto) or JSON",
    )
    mqtt_username: str = setting(
        "", apply="restart", max_length=256, description="Broker user name (overrides one in mqtt_url)"
    )
    mqtt_password_file: str = setting(
        "", apply="restart",
        description="File whose first line is the broker password (kept out of the settings, which "
        "viewers may read); KESTREL_MQTT_PASSWORD overrides it",
    )
    mqtt_tls_ca_file: str = setting(
        "", apply="restart",
        description="CA certificates (PEM) the broker's certificate must chain to; set: TLS even for mqtt://",
    )
    mqtt_tls_cert_file: str = setting(
        "", apply="restart", description="Client certificate (PEM) for brokers that ask for one; needs the key"
    )
    mqtt_tls_key_file: str = setting("", apply="restart", description="Private key (PEM) of mqtt_tls_cert_file")
    mqtt_compression: bool = setting(
        False, apply="restart",
        description="Predictive compression: numeric fields on .../compact only when not predictable within "
        "their tolerance; the full state only when mode/armed/link change and on keyframes (thin links)",
    )
    mqtt_commands: bool = setting(
        False, apply="restart",
        description="Take commands on <prefix>/<gcs_id>/vehicle/<sysid>/command, each with a token "
        "checked like the API's (operator to fly); answered on .../reply",
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
    fleet: FleetConfig = Field(default_factory=FleetConfig, description=FleetConfig.__doc__)
    map: MapConfig = Field(default_factory=MapConfig, description=MapConfig.__doc__)


SECTIONS: tuple[str, ...] = tuple(GcsConfig.model_fields)


def section_model(section: str) -> type[BaseModel]:
    """The model class of one section, e.g. ``section_model("link") is LinkConfig``."""
    annotation = GcsConfig.model_fields[section].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise TypeError(f"GcsConfig.{section} is not a settings section")
    return annotation

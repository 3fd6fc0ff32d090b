# ruff: noqa
# mypy: ignore-errors
# fmt: off
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VehicleState(_message.Message):
    __slots__ = ("system_id", "autopilot", "vehicle_type", "mode", "armed", "system_status", "roll_rad", "pitch_rad", "yaw_rad", "lat_deg", "lon_deg", "alt_msl_m", "alt_rel_m", "north_mps", "east_mps", "down_mps", "groundspeed_mps", "airspeed_mps", "heading_deg", "climb_mps", "throttle_pct", "battery_voltage_v", "battery_remaining_pct", "gps_fix_type", "satellites", "landed_state", "link_state", "last_update_s", "mav_type")
    SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    AUTOPILOT_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ARMED_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_STATUS_FIELD_NUMBER: _ClassVar[int]
    ROLL_RAD_FIELD_NUMBER: _ClassVar[int]
    PITCH_RAD_FIELD_NUMBER: _ClassVar[int]
    YAW_RAD_FIELD_NUMBER: _ClassVar[int]
    LAT_DEG_FIELD_NUMBER: _ClassVar[int]
    LON_DEG_FIELD_NUMBER: _ClassVar[int]
    ALT_MSL_M_FIELD_NUMBER: _ClassVar[int]
    ALT_REL_M_FIELD_NUMBER: _ClassVar[int]
    NORTH_MPS_FIELD_NUMBER: _ClassVar[int]
    EAST_MPS_FIELD_NUMBER: _ClassVar[int]
    DOWN_MPS_FIELD_NUMBER: _ClassVar[int]
    GROUNDSPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    AIRSPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    HEADING_DEG_FIELD_NUMBER: _ClassVar[int]
    CLIMB_MPS_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_PCT_FIELD_NUMBER: _ClassVar[int]
    BATTERY_VOLTAGE_V_FIELD_NUMBER: _ClassVar[int]
    BATTERY_REMAINING_PCT_FIELD_NUMBER: _ClassVar[int]
    GPS_FIX_TYPE_FIELD_NUMBER: _ClassVar[int]
    SATELLITES_FIELD_NUMBER: _ClassVar[int]
    LANDED_STATE_FIELD_NUMBER: _ClassVar[int]
    LINK_STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATE_S_FIELD_NUMBER: _ClassVar[int]
    MAV_TYPE_FIELD_NUMBER: _ClassVar[int]
    system_id: int
    autopilot: str
    vehicle_type: str
    mode: str
    armed: bool
    system_status: str
    roll_rad: float
    pitch_rad: float
    yaw_rad: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    north_mps: float
    east_mps: float
    down_mps: float
    groundspeed_mps: float
    airspeed_mps: float
    heading_deg: float
    climb_mps: float
    throttle_pct: float
    battery_voltage_v: float
    battery_remaining_pct: float
    gps_fix_type: int
    satellites: int
    landed_state: str
    link_state: str
    last_update_s: float
    mav_type: int
    def __init__(self, system_id: _Optional[int] = ..., autopilot: _Optional[str] = ..., vehicle_type: _Optional[str] = ..., mode: _Optional[str] = ..., armed: _Optional[bool] = ..., system_status: _Optional[str] = ..., roll_rad: _Optional[float] = ..., pitch_rad: _Optional[float] = ..., yaw_rad: _Optional[float] = ..., lat_deg: _Optional[float] = ..., lon_deg: _Optional[float] = ..., alt_msl_m: _Optional[float] = ..., alt_rel_m: _Optional[float] = ..., north_mps: _Optional[float] = ..., east_mps: _Optional[float] = ..., down_mps: _Optional[float] = ..., groundspeed_mps: _Optional[float] = ..., airspeed_mps: _Optional[float] = ..., heading_deg: _Optional[float] = ..., climb_mps: _Optional[float] = ..., throttle_pct: _Optional[float] = ..., battery_voltage_v: _Optional[float] = ..., battery_remaining_pct: _Optional[float] = ..., gps_fix_type: _Optional[int] = ..., satellites: _Optional[int] = ..., landed_state: _Optional[str] = ..., link_state: _Optional[str] = ..., last_update_s: _Optional[float] = ..., mav_type: _Optional[int] = ...) -> None: ...

class TrackerState(_message.Message):
    __slots__ = ("active", "tracker", "state", "x", "y", "width", "height", "confidence", "label", "reason", "time_s")
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TRACKER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    active: bool
    tracker: str
    state: str
    x: float
    y: float
    width: float
    height: float
    confidence: float
    label: str
    reason: str
    time_s: float
    def __init__(self, active: _Optional[bool] = ..., tracker: _Optional[str] = ..., state: _Optional[str] = ..., x: _Optional[float] = ..., y: _Optional[float] = ..., width: _Optional[float] = ..., height: _Optional[float] = ..., confidence: _Optional[float] = ..., label: _Optional[str] = ..., reason: _Optional[str] = ..., time_s: _Optional[float] = ...) -> None: ...

class FollowerState(_message.Message):
    __slots__ = ("engaged", "profile", "forward_mps", "right_mps", "down_mps", "yaw_rate_radps", "stale", "reason", "held", "error_x", "error_y", "size_frac", "updates", "frame", "north_mps", "east_mps")
    ENGAGED_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    FORWARD_MPS_FIELD_NUMBER: _ClassVar[int]
    RIGHT_MPS_FIELD_NUMBER: _ClassVar[int]
    DOWN_MPS_FIELD_NUMBER: _ClassVar[int]
    YAW_RATE_RADPS_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    ERROR_X_FIELD_NUMBER: _ClassVar[int]
    ERROR_Y_FIELD_NUMBER: _ClassVar[int]
    SIZE_FRAC_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    NORTH_MPS_FIELD_NUMBER: _ClassVar[int]
    EAST_MPS_FIELD_NUMBER: _ClassVar[int]
    engaged: bool
    profile: str
    forward_mps: float
    right_mps: float
    down_mps: float
    yaw_rate_radps: float
    stale: bool
    reason: str
    held: bool
    error_x: float
    error_y: float
    size_frac: float
    updates: int
    frame: str
    north_mps: float
    east_mps: float
    def __init__(self, engaged: _Optional[bool] = ..., profile: _Optional[str] = ..., forward_mps: _Optional[float] = ..., right_mps: _Optional[float] = ..., down_mps: _Optional[float] = ..., yaw_rate_radps: _Optional[float] = ..., stale: _Optional[bool] = ..., reason: _Optional[str] = ..., held: _Optional[bool] = ..., error_x: _Optional[float] = ..., error_y: _Optional[float] = ..., size_frac: _Optional[float] = ..., updates: _Optional[int] = ..., frame: _Optional[str] = ..., north_mps: _Optional[float] = ..., east_mps: _Optional[float] = ...) -> None: ...

class TelemetryRecord(_message.Message):
    __slots__ = ("time_s", "source", "vehicle", "tracker", "follower")
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_FIELD_NUMBER: _ClassVar[int]
    TRACKER_FIELD_NUMBER: _ClassVar[int]
    FOLLOWER_FIELD_NUMBER: _ClassVar[int]
    time_s: float
    source: str
    vehicle: VehicleState
    tracker: TrackerState
    follower: FollowerState
    def __init__(self, time_s: _Optional[float] = ..., source: _Optional[str] = ..., vehicle: _Optional[_Union[VehicleState, _Mapping]] = ..., tracker: _Optional[_Union[TrackerState, _Mapping]] = ..., follower: _Optional[_Union[FollowerState, _Mapping]] = ...) -> None: ...

class TelemetryBatch(_message.Message):
    __slots__ = ("device_id", "records")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    records: _containers.RepeatedCompositeFieldContainer[TelemetryRecord]
    def __init__(self, device_id: _Optional[str] = ..., records: _Optional[_Iterable[_Union[TelemetryRecord, _Mapping]]] = ...) -> None: ...

class StreamEvent(_message.Message):
    __slots__ = ("id", "type", "time_s", "telemetry", "history", "json")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    TELEMETRY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    type: str
    time_s: float
    telemetry: VehicleState
    history: History
    json: str
    def __init__(self, id: _Optional[int] = ..., type: _Optional[str] = ..., time_s: _Optional[float] = ..., telemetry: _Optional[_Union[VehicleState, _Mapping]] = ..., history: _Optional[_Union[History, _Mapping]] = ..., json: _Optional[str] = ...) -> None: ...

class History(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[StreamEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[StreamEvent, _Mapping]]] = ...) -> None: ...

"""The one exception tree of the core; the faces (GUI, API) catch these at their edges.

    GcsError
    ├── ConfigError            a config value or file was refused (names the field and bound)
    ├── LinkError              a connection string is wrong or a link cannot be opened/used
    │   ├── LinkLost           the vehicle is not heard (watchdog)
    │   └── ReadOnlyLink       a replay was asked to send: it never commands a vehicle
    ├── VehicleNotFound        no vehicle with that system id (or none connected yet)
    ├── AlertNotFound          no alert with that id is shown (acknowledged and cleared, or never)
    ├── CommandError           a MAVLink command did not succeed
    │   ├── CommandRejected    the vehicle answered COMMAND_ACK with a failing MAV_RESULT
    │   └── CommandTimeout     no COMMAND_ACK after every retry
    ├── UnsupportedMode        a mode name this autopilot does not have
    ├── ParamError             a parameter could not be read, set or loaded
    │   ├── ParamUnknown       the vehicle has no parameter of that name
    │   ├── ParamInvalid       not a value of the parameter's type (NaN, 1.5 for an integer, a bad file)
    │   ├── ParamNeedsConfirm  outside the metadata's range: set it only with confirmation
    │   ├── ParamRefused       the vehicle echoed another value (its STATUSTEXT says why, when it sent one)
    │   └── ParamTimeout       no PARAM_VALUE after every retry (a set, a read, a list download)
    ├── MissionError           a mission, fence or rally list could not be read, written or flown
    │   ├── MissionInvalid     a mission file or item is malformed (names the line or item and why)
    │   ├── MissionRefused     the vehicle answered MISSION_ACK with an error (its STATUSTEXT says why)
    │   └── MissionTimeout     the vehicle stopped answering a transfer after every retry
    ├── RecordingError         a tlog cannot be written (free disk, permissions) or read
    └── AuthError              a token is missing, malformed or expired
        └── RoleTooLow         a valid token whose role may not do this (HTTP 403)
"""

from __future__ import annotations


class GcsError(Exception):
    """Root of every error the core raises on purpose."""


class ConfigError(GcsError):
    """A config value or file was refused; the previous config stays in force."""


class LinkError(GcsError):
    """A connection string is malformed or a link cannot be opened or written."""


class LinkLost(LinkError):
    """The vehicle has not been heard within the watchdog time."""


class ReadOnlyLink(LinkError):
    """A read-only replay (or relay) was asked to send; commands to its vehicles are refused with this
    (HTTP 409); ``result`` says which: READ_ONLY_REPLAY or READ_ONLY_RELAY."""

    def __init__(self, message: str, result: str = "READ_ONLY_REPLAY") -> None:
        super().__init__(message)
        self.result = result


class VehicleNotFound(GcsError):
    """No vehicle with the requested system id is known."""


class AlertNotFound(GcsError):
    """No alert with the requested id is shown."""


class CommandError(GcsError):
    """A MAVLink command did not succeed."""

    def __init__(self, message: str, command: str = "", result: str = "") -> None:
        super().__init__(message)
        self.command = command
        self.result = result


class CommandRejected(CommandError):
    """The vehicle refused a command; `result` holds the MAV_RESULT name."""


class CommandTimeout(CommandError):
    """The vehicle never acknowledged a command, after all retries."""


class UnsupportedMode(GcsError):
    """The autopilot has no mode of that name."""


class ParamError(GcsError):
    """A parameter could not be read, set or loaded; the message names it and says why."""


class ParamUnknown(ParamError):
    """The vehicle has no parameter of that name (or its list has not been downloaded)."""


class ParamInvalid(ParamError):
    """The value is not one of the parameter's type, or a parameter file cannot be read."""


class ParamNeedsConfirm(ParamError):
    """The value is outside the range the autopilot's metadata recommends: it needs confirmation."""


class ParamRefused(ParamError):
    """The vehicle kept another value than the one sent."""


class ParamTimeout(ParamError):
    """The vehicle did not answer with PARAM_VALUE after every retry."""


class MissionError(GcsError):
    """A mission (or fence, or rally) transfer or file failed; the message says which and why."""


class MissionInvalid(MissionError):
    """A mission file or item is malformed: the message names the line (or item) and the problem."""


class MissionRefused(MissionError):
    """The vehicle refused a transfer (MISSION_ACK with an error, a denied mission command)."""


class MissionTimeout(MissionError):
    """The vehicle did not answer a mission transfer step after every retry."""


class RecordingError(GcsError):
    """A flight log cannot be recorded, read or imported; the message says which file and why."""


class AuthError(GcsError):
    """A token is missing, invalid, expired or lacks the role a route needs."""


class RoleTooLow(AuthError):
    """A valid token whose role is below what the action needs (a viewer asking to fly): HTTP 403."""

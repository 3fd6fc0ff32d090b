"""The one exception tree of the core; the faces (GUI, API) catch these at their edges.

    GcsError
    ├── ConfigError            a config value or file was refused (names the field and bound)
    ├── LinkError              a connection string is wrong or a link cannot be opened/used
    │   └── LinkLost           the vehicle is not heard (watchdog)
    ├── VehicleNotFound        no vehicle with that system id (or none connected yet)
    ├── CommandError           a MAVLink command did not succeed
    │   ├── CommandRejected    the vehicle answered COMMAND_ACK with a failing MAV_RESULT
    │   └── CommandTimeout     no COMMAND_ACK after every retry
    ├── UnsupportedMode        a mode name this autopilot does not have
    ├── RecordingError         a tlog cannot be written (free disk, permissions) or read
    └── AuthError              a token is missing, malformed, expired or lacks the role
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


class VehicleNotFound(GcsError):
    """No vehicle with the requested system id is known."""


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


class RecordingError(GcsError):
    """A flight log cannot be recorded, read or imported; the message says which file and why."""


class AuthError(GcsError):
    """A token is missing, invalid, expired or lacks the role a route needs."""

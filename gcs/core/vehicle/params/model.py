"""Value types of the parameter manager; frozen, so they cross threads (link, callers, faces) freely."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gcs.core.vehicle.params.encoding import Value, text, type_name


class DownloadState(enum.StrEnum):
    IDLE = "idle"  # never asked
    DOWNLOADING = "downloading"
    COMPLETE = "complete"
    FAILED = "failed"  # the message says which indices never came


@dataclass(frozen=True)
class ParamMeta:
    """What the autopilot's documentation says of one parameter (offline metadata, see ``metadata``)."""

    description: str = ""
    units: str = ""
    min: float | None = None
    max: float | None = None
    default: float | None = None
    increment: float | None = None
    values: tuple[tuple[int, str], ...] = ()  # enumerated choices (code, label)
    reboot_required: bool = False

    def in_range(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class Param:
    """One parameter as the vehicle last reported it."""

    name: str
    value: Value
    ptype: int  # MAV_PARAM_TYPE
    index: int  # -1 when only heard outside the list (a set's echo of a parameter we never listed)

    @property
    def type_name(self) -> str:
        return type_name(self.ptype)

    @property
    def text(self) -> str:
        return text(self.value, self.ptype)


@dataclass(frozen=True)
class ParamChange:
    """A parameter whose value changed, and who changed it (the setter's name, or "vehicle": changed
    on the vehicle, by its pilot, another GCS or the autopilot itself)."""

    system_id: int
    name: str
    old: Value | None
    new: Value
    ptype: int
    source: str


@dataclass(frozen=True)
class ParamProgress:
    """Where a download stands: ``received`` of ``total`` (None until the first PARAM_VALUE)."""

    system_id: int
    state: DownloadState
    received: int
    total: int | None
    re_requested: int = 0  # PARAM_REQUEST_READs sent for indices missing from the list
    list_requests: int = 0  # PARAM_REQUEST_LISTs sent (1 unless the first went unanswered)
    duration_s: float | None = None  # of the last download, start to its last parameter
    error: str | None = None

    @property
    def fraction(self) -> float:
        if self.state is DownloadState.COMPLETE:
            return 1.0
        return self.received / self.total if self.total else 0.0

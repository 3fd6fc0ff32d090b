"""Parameter files as QGC and MAVProxy/Mission Planner write them, in and out, and a diff against the vehicle.

QGC ``.params``: ``#`` comment lines, then one parameter a line, tab-separated
``<vehicle id> <component id> <name> <value> <MAV_PARAM_TYPE>`` (QGC writes floats with 18 decimals;
we write the shortest text that reads back as the same float32).
MAVProxy ``.parm`` / Mission Planner ``.param``: ``NAME VALUE`` (MAVProxy, spaces) or ``NAME,VALUE``
(Mission Planner), ``#`` comments; no type: the vehicle's own type is used when applying.
Reading accepts either by looking at each line (as pymavlink's ``mavparm.load`` does); a line that
fits neither is an error naming its number, so a wrong file is never half-applied.
"""

from __future__ import annotations

import enum
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from gcs.core.errors import ParamInvalid
from gcs.core.vehicle.params.encoding import Value, coerce, f32, is_integer_type, same, text
from gcs.core.vehicle.params.model import Param

NAME = re.compile(r"^[A-Za-z0-9_]{1,16}$")
MAX_LINES = 20000


class FileFormat(enum.StrEnum):
    QGC = "qgc"  # .params
    MAVPROXY = "mavproxy"  # .parm / .param: NAME VALUE

    @property
    def suffix(self) -> str:
        return ".params" if self is FileFormat.QGC else ".parm"


@dataclass(frozen=True)
class FileEntry:
    """One line of a parameter file: the value as written (ptype only in QGC files)."""

    name: str
    value: float
    ptype: int | None = None
    line: int = 0


def parse(content: str) -> list[FileEntry]:
    """Every parameter of a QGC or MAVProxy/Mission Planner file; ParamInvalid names a bad line."""
    entries: dict[str, FileEntry] = {}
    lines = content.splitlines()
    if len(lines) > MAX_LINES:
        raise ParamInvalid(f"parameter file has {len(lines)} lines; at most {MAX_LINES} are read")
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split("\t") if "\t" in line and len(line.split("\t")) >= 5 else re.split(r"[\s,]+", line)
        entry = _qgc(fields, number) if len(fields) >= 5 else _plain(fields, number)
        entries[entry.name] = entry  # a later line wins, as when each is applied in turn
    return list(entries.values())


def _number(field: str, number: int) -> float:
    try:
        value = float(field)
    except ValueError:
        raise ParamInvalid(f"line {number}: {field!r} is not a number") from None
    if not math.isfinite(value):
        raise ParamInvalid(f"line {number}: {field!r} is not a finite number")
    return value


def _name(field: str, number: int) -> str:
    if not NAME.match(field):
        raise ParamInvalid(f"line {number}: {field!r} is not a parameter name (letters, digits, _; 16 at most)")
    return field


def _qgc(fields: list[str], number: int) -> FileEntry:
    fields = [f.strip() for f in fields]
    try:
        int(fields[0]), int(fields[1])
        ptype = int(fields[4])
    except ValueError:
        raise ParamInvalid(f"line {number}: not 'vehicle component name value type' (QGC .params)") from None
    return FileEntry(_name(fields[2], number), _number(fields[3], number), ptype, number)


def _plain(fields: list[str], number: int) -> FileEntry:
    fields = [f for f in fields if f]
    if len(fields) != 2:
        raise ParamInvalid(f"line {number}: not 'NAME VALUE' nor 'NAME,VALUE' (MAVProxy / Mission Planner)")
    return FileEntry(_name(fields[0], number), _number(fields[1], number), None, number)


def write(params: Iterable[Param], fmt: FileFormat, *, system_id: int, component_id: int = 1,
          autopilot: str = "", vehicle: str = "") -> str:
    """The file text of ``params`` (sorted by name) in ``fmt``."""
    ordered = sorted(params, key=lambda p: p.name)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    if fmt is FileFormat.QGC:
        head = [f"# Onboard parameters for Vehicle {system_id}", "#", f"# Stack: {autopilot}",
                f"# Vehicle: {vehicle}", f"# Saved by Kestrel GCS {stamp}", "#",
                "# Vehicle-Id Component-Id Name Value Type"]
        rows = [f"{system_id}\t{component_id}\t{p.name}\t{p.text}\t{p.ptype}" for p in ordered]
    else:
        head = [f"# Parameters of vehicle {system_id} ({autopilot}), saved by Kestrel GCS {stamp}"]
        rows = [f"{p.name:<16} {p.text}" for p in ordered]
    return "\n".join([*head, *rows]) + "\n"


@dataclass(frozen=True)
class DiffEntry:
    """A parameter whose file value differs from the vehicle's (``vehicle`` None: the vehicle lacks it)."""

    name: str
    vehicle: Value | None
    file: Value | float
    ptype: int | None
    error: str | None = None  # the file's value is not one of the parameter's type

    @property
    def applicable(self) -> bool:
        return self.vehicle is not None and self.error is None


@dataclass(frozen=True)
class ParamDiff:
    changed: tuple[DiffEntry, ...]  # differ (applying sets them)
    unknown: tuple[str, ...]  # in the file, not on the vehicle
    unchanged: int  # in the file with the vehicle's value already
    missing: int  # on the vehicle, not in the file


def diff(entries: Iterable[FileEntry], current: dict[str, Param]) -> ParamDiff:
    """What applying ``entries`` would change on a vehicle whose parameters are ``current``."""
    changed: list[DiffEntry] = []
    unknown: list[str] = []
    unchanged = 0
    seen = set()
    for entry in entries:
        seen.add(entry.name)
        param = current.get(entry.name)
        if param is None:
            unknown.append(entry.name)
            continue
        try:
            wanted: Value = coerce(entry.name, entry.value, param.ptype)
        except ParamInvalid as exc:
            changed.append(DiffEntry(entry.name, param.value, entry.value, param.ptype, str(exc)))
            continue
        if same(wanted, param.value, param.ptype):
            unchanged += 1
        else:
            changed.append(DiffEntry(entry.name, param.value, wanted, param.ptype))
    missing = sum(1 for name in current if name not in seen)
    return ParamDiff(tuple(sorted(changed, key=lambda d: d.name)), tuple(sorted(unknown)), unchanged, missing)


def entry_text(entry: DiffEntry) -> str:
    """``NAME: 5 -> 8`` for logs and the faces."""
    ptype = entry.ptype if entry.ptype is not None else 9
    old = "?" if entry.vehicle is None else text(entry.vehicle, ptype)
    new = str(int(entry.file)) if is_integer_type(ptype) and entry.error is None else text(f32(float(entry.file)), 9)
    return f"{entry.name}: {old} -> {new}"

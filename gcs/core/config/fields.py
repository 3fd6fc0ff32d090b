"""What the schema says about each setting, flat and plain, for editors and error messages.

``describe_fields()`` turns the pydantic models into ``FieldInfo`` rows that a GUI form or a web
page can render without knowing pydantic; ``refusal()`` turns a ``ValidationError`` into the one
line a pilot reads ("safety.setpoint_lifetime_s = 9.0 is refused: must be <= 5").
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from gcs.core.config.schema import SECTIONS, Apply, GcsConfig, section_model
from gcs.core.errors import ConfigError

Number = int | float


@dataclass(frozen=True)
class FieldInfo:
    """One setting as an editor sees it. ``type`` is bool, int, float, str or list[str];
    a ``choices`` tuple means "pick one of these" (a ``Literal`` in the schema)."""

    section: str
    name: str
    type: str
    default: Any
    description: str
    apply: Apply
    minimum: Number | None = None
    maximum: Number | None = None
    choices: tuple[str, ...] | None = None
    max_items: int | None = None

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def label(self) -> str:
        """The name a person reads: "max_speed_mps" -> "Max speed (m/s)", "rtp_port" -> "RTP port"."""
        return human_label(self.name)


# Name suffixes that are units (longest first where one ends another) and words written in capitals.
_UNIT_SUFFIXES = (
    ("_radps", "rad/s"), ("_dps", "°/s"), ("_mps", "m/s"), ("_kbps", "kbit/s"), ("_ms", "ms"), ("_pct", "%"),
    ("_percent", "%"), ("_deg", "°"), ("_rad", "rad"), ("_hz", "Hz"), ("_px", "px"), ("_mb", "MB"),
    ("_hours", "h"), ("_days", "days"), ("_frac", "fraction"), ("_m", "m"), ("_v", "V"), ("_s", "s"),
)
_SPELLED = {"webrtc": "WebRTC", "mavlink": "MAVLink", "mbtiles": "MBTiles"}
_CAPITALS = {"api", "url", "urls", "rtp", "gps", "h264", "fps", "id", "ids", "mqtt", "rtl", "ekf", "yolo",
             "jpeg", "cors", "hfov", "ttl", "udp", "tcp", "http", "rc", "gcs", "mjpeg", "iou", "sdp", "ws", "tls",
             "ca", "ice", "vp8"}


def human_label(name: str) -> str:
    """A setting's name in words with its unit: "setpoint_lifetime_s" -> "Setpoint lifetime (s)"."""
    unit = ""
    for suffix, text in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name, unit = name[: -len(suffix)], text
            break
    words = [_SPELLED.get(w, w.upper() if w in _CAPITALS else w) for w in name.split("_") if w]
    if words and words[0] == words[0].lower():
        words[0] = words[0].capitalize()
    return " ".join(words) + (f" ({unit})" if unit else "")


@functools.cache
def _field_table() -> dict[str, FieldInfo]:
    defaults = GcsConfig()
    table: dict[str, FieldInfo] = {}
    for section in SECTIONS:
        model = section_model(section)
        section_defaults = getattr(defaults, section)
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra
            if not isinstance(extra, dict) or extra.get("apply") not in ("live", "restart"):
                raise TypeError(f"{section}.{name} does not say whether it applies live or on restart")
            apply: Apply = "live" if extra["apply"] == "live" else "restart"
            minimum: Number | None = None
            maximum: Number | None = None
            max_items: int | None = None
            for bound in info.metadata:
                if isinstance(bound, annotated_types.Ge):
                    minimum = typing.cast(Number, bound.ge)
                elif isinstance(bound, annotated_types.Le):
                    maximum = typing.cast(Number, bound.le)
                elif isinstance(bound, annotated_types.MaxLen):
                    max_items = bound.max_length
            choices: tuple[str, ...] | None = None
            if typing.get_origin(info.annotation) is typing.Literal:
                choices = tuple(str(c) for c in typing.get_args(info.annotation))
            table[f"{section}.{name}"] = FieldInfo(
                section=section,
                name=name,
                type=_type_name(info.annotation),
                default=getattr(section_defaults, name),
                description=info.description or "",
                apply=apply,
                minimum=minimum,
                maximum=maximum,
                choices=choices,
                max_items=max_items,
            )
    return table


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "str"
    if typing.get_origin(annotation) is list:
        return "list[str]"
    if annotation in (bool, int, float, str):
        return str(annotation.__name__)
    raise TypeError(f"settings field of unsupported type {annotation!r}")


def describe_fields() -> list[FieldInfo]:
    """Every setting in schema order (section by section); list defaults are fresh copies."""
    return [
        dataclasses.replace(f, default=list(f.default)) if isinstance(f.default, list) else f
        for f in _field_table().values()
    ]


def field_info(key: str) -> FieldInfo:
    """The ``FieldInfo`` of a dotted key; ConfigError if there is no such setting."""
    try:
        return _field_table()[key]
    except KeyError:
        raise ConfigError(f"{key!r} is not a known setting") from None


def requires_restart(keys: Iterable[str]) -> list[str]:
    """Those of ``keys`` (dotted) that take effect only after a restart, in the order given."""
    return [key for key in keys if field_info(key).apply == "restart"]


def flatten(config: GcsConfig) -> dict[str, Any]:
    """``{"section.param": value}`` for every setting; lists are copies."""
    flat: dict[str, Any] = {}
    for section in SECTIONS:
        values: BaseModel = getattr(config, section)
        for name, value in values.model_dump().items():
            flat[f"{section}.{name}"] = value
    return flat


def changed_keys(old: GcsConfig, new: GcsConfig) -> dict[str, tuple[Any, Any]]:
    """``{"section.param": (old, new)}`` for every setting that differs."""
    before, after = flatten(old), flatten(new)
    return {key: (before[key], after[key]) for key in after if before[key] != after[key]}


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _reason(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "less_than_equal":
        return f"must be <= {_num(ctx['le'])}"
    if kind == "greater_than_equal":
        return f"must be >= {_num(ctx['ge'])}"
    if kind == "less_than":
        return f"must be < {_num(ctx['lt'])}"
    if kind == "greater_than":
        return f"must be > {_num(ctx['gt'])}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items"
    if kind in ("too_short", "string_too_short"):
        size = ctx.get("min_length")
        return "must not be empty" if size == 1 else f"must have at least {size} items/characters"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    message = str(error["msg"])
    return message.replace("Input should be", "must be", 1)


def refusal(exc: ValidationError, attempted: dict[str, Any] | None = None) -> str:
    """One line per problem, joined by "; ". ``attempted`` ({"section.param": value}) names the
    values being changed, so a cross-field rule (reported on the whole section) names them too."""
    lines = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        where = ".".join(loc)
        if error["type"] == "extra_forbidden":
            lines.append(f"{where} is not a known setting")
        elif len(loc) >= 2:
            lines.append(f"{where} = {_shown(error['input'])} is refused: {_reason(error)}")
        else:
            section = loc[0] if loc else ""
            tried = {k: v for k, v in (attempted or {}).items() if k.startswith(section + ".")}
            if tried:
                shown = ", ".join(f"{k} = {_shown(v)}" for k, v in tried.items())
                lines.append(f"{shown} is refused: {_reason(error)}")
            else:
                lines.append(f"{where or 'settings'}: {_reason(error)}")
    return "; ".join(lines)

"""Plain-data views of core values (dicts of JSON types) for the API, logs and recorders."""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any


def to_plain(value: Any) -> Any:
    """Frozen dataclasses/enums/tuples -> dicts, strings and lists; NaN/inf -> None (valid JSON)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

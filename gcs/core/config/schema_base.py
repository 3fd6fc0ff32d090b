"""What every settings section shares: the ``setting`` field helper and the strict ``_Section`` base.

Apart from schema.py so a section can live in a file of its own (schema_map.py) without a cycle.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

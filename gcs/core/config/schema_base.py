"""What every settings section shares: the ``setting`` field helper and the strict ``_Section`` base.

Apart from schema.py so a section can live in a file of its own (schema_map.py) without a cycle.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

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

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        """No path, URL or name holds a NUL; the OS calls that use one raise ValueError instead of saying why."""
        texts = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else ()
        if any(isinstance(text, str) and "\0" in text for text in texts):
            raise ValueError(f"{info.field_name} contains a NUL character")
        return value

"""A registry of tracker backends with a parameter schema, so faces can list and switch them.

The GUI builds its tracker menu and parameter editors from :meth:`TrackerRegistry.specs`; the
API serves the same specs as JSON (``dataclasses.asdict``). ``create`` validates every parameter
against its bounds before any backend sees it, so a bad value from a remote client is a clear
``TrackerError`` naming the parameter and the bound, never an OpenCV assertion.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.protocol import Tracker

log = logging.getLogger(__name__)

ParamKind = Literal["float", "int", "bool"]
ParamValue = float | int | bool
TrackerFactory = Callable[[Mapping[str, ParamValue]], Tracker]
"""Builds a tracker from already validated parameters (every declared one present)."""


@dataclass(frozen=True)
class ParamSpec:
    """One tunable parameter; ``minimum``/``maximum`` are inclusive and ignored for bools."""

    name: str
    kind: ParamKind
    default: ParamValue
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def validate(self, value: object) -> ParamValue:
        """Coerce ``value`` to this parameter's kind and check its bounds."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise TrackerError(f"parameter {self.name!r} must be true or false, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TrackerError(f"parameter {self.name!r} must be a number, got {value!r}")
        # int(inf), int(nan) and float() of a huge int raise: refuse those with the reason first
        if isinstance(value, float) and not math.isfinite(value):
            raise TrackerError(f"parameter {self.name!r} must be finite, got {value!r}")
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise TrackerError(f"parameter {self.name!r} must be a whole number, got {value!r}")
            number: ParamValue = int(value)
        else:
            if abs(value) > sys.float_info.max:
                raise TrackerError(f"parameter {self.name!r} is too large for a number (maximum {self.maximum})")
            number = float(value)
        if self.minimum is not None and number < self.minimum:
            raise TrackerError(f"parameter {self.name!r} = {number} is below its minimum {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise TrackerError(f"parameter {self.name!r} = {number} is above its maximum {self.maximum}")
        return number


@dataclass(frozen=True)
class TrackerSpec:
    """A backend as the faces see it: name, one-line description, parameters, and its factory."""

    name: str
    description: str
    params: tuple[ParamSpec, ...]
    factory: TrackerFactory

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides: Mapping[str, object]) -> dict[str, ParamValue]:
        """Defaults with ``overrides`` applied, every value validated; unknown names are refused."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise TrackerError(
                f"tracker {self.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(known) or 'none'}"
            )
        values = self.defaults()
        for key, raw in overrides.items():
            values[key] = known[key].validate(raw)
        return values


class TrackerRegistry:
    """Name -> spec, case-insensitive on lookup; safe to read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._specs: dict[str, TrackerSpec] = {}

    def register(self, spec: TrackerSpec, *, replace: bool = False) -> None:
        """Add a backend; a second one of the same name is refused unless ``replace``."""
        for p in spec.params:
            p.validate(p.default)  # a spec whose default breaks its own bounds is a programming error
        key = spec.name.upper()
        with self._lock:
            if key in self._specs and not replace:
                raise TrackerError(f"tracker {spec.name!r} is already registered")
            self._specs[key] = spec
        log.debug("registered tracker %s", spec.name)

    def names(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(s.name for s in self._specs.values())

    def specs(self) -> tuple[TrackerSpec, ...]:
        with self._lock:
            return tuple(self._specs.values())

    def get(self, name: str) -> TrackerSpec:
        """The spec for ``name``; ``TrackerError`` listing the known names if there is none."""
        with self._lock:
            spec = self._specs.get(name.upper())
            known = ", ".join(s.name for s in self._specs.values())
        if spec is None:
            raise TrackerError(f"unknown tracker {name!r}; known: {known or 'none'}")
        return spec

    def create(self, name: str, **params: object) -> Tracker:
        """A new, not yet initialised tracker of backend ``name`` with validated parameters."""
        spec = self.get(name)
        return spec.factory(spec.resolve(params))

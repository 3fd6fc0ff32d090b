"""Job kinds: a registry, so a new long job (detector over a video, tlog import) plugs in with one call.

A kind declares its name, a one-line summary, the pydantic model of its parameters (a bad
parameter is refused with the field named before anything runs), an optional ``prepare`` that
checks the request against the world at submit time (file exists, allowed folder) and the
``run`` function itself, which reports progress through its ``JobContext`` and returns a plain
result (JSON types). ``run`` happens on a worker thread of the job runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from gcs.core.service import GcsService


class JobRefused(Exception):
    """A job request that cannot run; ``status`` is the HTTP code (404 not found, 422 invalid)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class JobCancelled(Exception):
    """Raised inside ``run`` (by ``JobContext.progress``) when the job was cancelled."""


class JobContext(Protocol):
    """What a running job may use: the core, the allowed folders, and a progress reporter."""

    @property
    def service(self) -> GcsService: ...

    @property
    def tlog_roots(self) -> tuple[Path, ...]: ...

    def progress(self, fraction: float, message: str = "") -> None:
        """Report 0..1 (throttled to about 1% steps); raises JobCancelled if the job was cancelled."""
        ...


Prepare = Callable[[JobContext, Any], None]
Run = Callable[[JobContext, Any], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    name: str
    summary: str
    params: type[BaseModel]
    run: Run
    prepare: Prepare | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make ``kind`` available at ``POST /api/jobs/{kind.name}``."""
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"job kind {kind.name!r} is registered already")
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS)) or "none"
        raise JobRefused(f"no job kind {name!r} (known: {known})", status=404) from None


def describe_kinds() -> list[dict[str, Any]]:
    return [
        {"name": k.name, "summary": k.summary, "params": k.params.model_json_schema()}
        for k in sorted(KINDS.values(), key=lambda k: k.name)
    ]

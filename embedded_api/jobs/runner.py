"""JobRunner: long jobs on a small thread pool, each an append-only list of events to stream.

A job's events are ``start``, ``progress`` (0..1 with a message, about 1% steps), ``result`` or
``error``, then always ``complete`` last, numbered from 1 so an SSE client resumes with
Last-Event-ID. Events are appended on the worker thread; async streams (SSE, WebSocket) wait on
an ``asyncio.Event`` that the worker sets through ``call_soon_threadsafe``, so the API loop never
blocks on a job and a job never waits for a slow client.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from embedded_api.jobs.registry import JobCancelled, JobKind, JobRefused, get_kind
from embedded_api.stream.events import dumps
from gcs.core.errors import GcsError
from gcs.core.service import GcsService

log = logging.getLogger(__name__)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobEvent:
    id: int
    type: str  # start | progress | result | error | complete
    time_s: float
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "time": self.time_s, "data": self.data}

    def sse(self) -> bytes:
        return f"id: {self.id}\nevent: {self.type}\ndata: {dumps(self.as_dict())}\n\n".encode()


class Job:
    """One submitted job; also the ``JobContext`` its kind's ``run`` is handed."""

    def __init__(self, kind: str, params: BaseModel, service: GcsService, tlog_roots: tuple[Path, ...]) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.kind = kind
        self.params = params
        self._service = service
        self._tlog_roots = tlog_roots
        self.state = JobState.QUEUED
        self.fraction = 0.0
        self.message = ""
        self.result: dict[str, Any] | None = None
        self.error: str | None = None
        self.created_s = time.time()
        self.started_s: float | None = None
        self.finished_s: float | None = None
        self._events: list[JobEvent] = []
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._cancel = threading.Event()
        self._last_emit = 0.0

    # ---- JobContext --------------------------------------------------------------------------

    @property
    def service(self) -> GcsService:
        return self._service

    @property
    def tlog_roots(self) -> tuple[Path, ...]:
        return self._tlog_roots

    def progress(self, fraction: float, message: str = "") -> None:
        if self._cancel.is_set():
            raise JobCancelled
        fraction = min(1.0, max(0.0, fraction))
        now = time.monotonic()
        if fraction < 1.0 and fraction - self.fraction < 0.01 and now - self._last_emit < 0.5:
            return
        self._last_emit = now
        self.fraction, self.message = fraction, message
        self._emit("progress", {"fraction": round(fraction, 4), "message": message})

    # ---- lifecycle (worker thread) -------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)

    def cancel(self) -> None:
        self._cancel.set()

    def start(self) -> bool:
        """Queued -> running (False if it was cancelled first)."""
        with self._lock:
            if self.state is not JobState.QUEUED or self._cancel.is_set():
                return False
            self.state, self.started_s = JobState.RUNNING, time.time()
        self._emit("start", {"kind": self.kind, "params": self.params.model_dump(mode="json")})
        return True

    def abandon(self, reason: str) -> None:
        """Cancel a job that has not started yet; its streams end with ``error`` and ``complete``."""
        with self._lock:
            if self.state is not JobState.QUEUED:
                return
            self._cancel.set()
            self.state = JobState.RUNNING  # claimed here, so no worker starts it
        self.finished(JobState.CANCELLED, error=reason)

    def finished(self, state: JobState, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        self.result, self.error, self.finished_s = result, error, time.time()
        if result is not None:
            self.fraction = 1.0
            self._emit("result", result)
        if error is not None:
            self._emit("error", {"error": error})
        self.state = state
        started = self.started_s or self.created_s
        self._emit("complete", {"state": state.value, "duration_s": round(self.finished_s - started, 3)})

    def _emit(self, type_: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._events.append(JobEvent(len(self._events) + 1, type_, time.time(), data))
            waiters = list(self._waiters)
        for loop, wake in waiters:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # that client's loop has stopped
                continue

    # ---- readers (any thread / API loop) -------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state.value,
            "progress": round(self.fraction, 4),
            "message": self.message,
            "params": self.params.model_dump(mode="json"),
            "result": self.result,
            "error": self.error,
            "created_s": self.created_s,
            "started_s": self.started_s,
            "finished_s": self.finished_s,
            "events": len(self._events),
        }

    async def stream(self, after_id: int = 0) -> AsyncIterator[JobEvent]:
        """Every event after ``after_id``, then each new one as it comes, until ``complete``."""
        wake = asyncio.Event()
        waiter = (asyncio.get_running_loop(), wake)
        with self._lock:
            self._waiters.add(waiter)
        try:
            while True:
                wake.clear()
                with self._lock:
                    new = self._events[after_id:]
                for event in new:
                    yield event
                    after_id = event.id
                    if event.type == "complete":
                        return
                await wake.wait()
        finally:
            with self._lock:
                self._waiters.discard(waiter)


class JobRunner:
    """Submits jobs to ``workers`` threads and remembers the last ``keep`` of them."""

    def __init__(self, service: GcsService, tlog_roots: tuple[Path, ...], workers: int = 2, keep: int = 100) -> None:
        self._service = service
        self._tlog_roots = tlog_roots
        self._keep = keep
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="api-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind_name: str, raw_params: dict[str, Any]) -> Job:
        """Validate and queue a job. JobRefused (404/422) or pydantic ValidationError if it cannot run."""
        kind = get_kind(kind_name)
        params = kind.params.model_validate(raw_params)
        job = Job(kind.name, params, self._service, self._tlog_roots)
        if kind.prepare is not None:
            kind.prepare(job, params)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._executor.submit(self._run, job, kind)
        return job

    def _run(self, job: Job, kind: JobKind) -> None:
        if not job.start():
            return
        try:
            result = kind.run(job, job.params)
        except JobCancelled:
            job.finished(JobState.CANCELLED, error="cancelled")
        except (GcsError, JobRefused, OSError, ValueError) as exc:
            job.finished(JobState.FAILED, error=str(exc))
        except Exception as exc:  # the edge of a worker: a bug must still end the stream, not hang it
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.finished(JobState.FAILED, error=f"internal error: {type(exc).__name__}: {exc}")
        else:
            job.finished(JobState.SUCCEEDED, result=result)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobRefused(f"no job {job_id!r} (finished jobs are kept for the last {self._keep})", status=404)
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def _forget_old(self) -> None:
        while len(self._jobs) > self._keep:
            oldest = next((j for j in self._jobs.values() if j.done), None)
            if oldest is None:
                return
            del self._jobs[oldest.id]

    def stats(self) -> dict[str, Any]:
        jobs = self.jobs()
        by_state: dict[str, int] = {}
        for job in jobs:
            by_state[job.state.value] = by_state.get(job.state.value, 0) + 1
        return {"kept": len(jobs), "by_state": by_state}

    def close(self) -> None:
        """Cancel every job (running ones stop at their next progress report) and the workers."""
        for job in self.jobs():
            job.cancel()
            job.abandon("server shutting down")
        self._executor.shutdown(wait=False, cancel_futures=True)

"""Long jobs with progress: the runner, the registry of kinds, and the kinds that exist now.

Add a kind: write a module with a ``JobKind`` and ``register()`` it, then import it here.
"""

from embedded_api.jobs import detect_video, tlog_import, tlog_summary
from embedded_api.jobs.registry import KINDS, JobContext, JobKind, JobRefused, describe_kinds, register
from embedded_api.jobs.runner import Job, JobEvent, JobRunner, JobState

__all__ = [
    "KINDS",
    "Job",
    "JobContext",
    "JobEvent",
    "JobKind",
    "JobRefused",
    "JobRunner",
    "JobState",
    "describe_kinds",
    "detect_video",
    "register",
    "tlog_import",
    "tlog_summary",
]

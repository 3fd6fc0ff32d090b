"""Visual tracking: a tracker protocol, OpenCV classic trackers, lost-target checks, a worker.

Modules import each other directly (``gcs.core.tracking.types``); this package file re-exports
nothing so that importing the value types does not load OpenCV.
"""

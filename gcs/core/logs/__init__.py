"""Flight logs: tlog recording, replay through the live path, and the flight-session index.

    tlog.py      the tlog format (timestamp + raw frame) and its writer (flushed twice a second)
    index.py     one pass over a tlog: where each record is, for replay and seeking
    replay.py    ReplayLink: a tlog as a read-only link with play/pause/seek/speed/step
    paths.py     the data dir, tlog names, the free-disk check
    stats.py     events and figures folded from vehicle states (live or from a tlog)
    store.py     SessionStore: sessions, events and videos in SQLite
    recorder.py  FlightRecorder: one tlog and one session per live link
    analysis.py  whole-tlog analysis: import, and closing sessions a crash left open
"""

from gcs.core.logs.analysis import analyze_tlog, import_tlog, recover_open_sessions
from gcs.core.logs.index import TlogIndex
from gcs.core.logs.recorder import FlightRecorder, RecorderSettings, RecordingStatus
from gcs.core.logs.replay import ReplayLink, ReplayStatus
from gcs.core.logs.stats import EventKind, FlightEvent, FlightStats
from gcs.core.logs.store import FlightSession, SessionStore
from gcs.core.logs.tlog import TlogWriter

__all__ = [
    "EventKind",
    "FlightEvent",
    "FlightRecorder",
    "FlightSession",
    "FlightStats",
    "RecorderSettings",
    "RecordingStatus",
    "ReplayLink",
    "ReplayStatus",
    "SessionStore",
    "TlogIndex",
    "TlogWriter",
    "analyze_tlog",
    "import_tlog",
    "recover_open_sessions",
]

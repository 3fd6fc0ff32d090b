"""Vehicle parameters: the MAVLink parameter protocol (``manager``), value encoding, files and metadata."""

from gcs.core.vehicle.params.encoding import Value, coerce, type_name
from gcs.core.vehicle.params.files import DiffEntry, FileEntry, FileFormat, ParamDiff, diff, parse, write
from gcs.core.vehicle.params.manager import ParamManager, ParamSettings
from gcs.core.vehicle.params.metadata import metadata_for
from gcs.core.vehicle.params.model import DownloadState, Param, ParamChange, ParamMeta, ParamProgress

__all__ = [
    "DiffEntry", "DownloadState", "FileEntry", "FileFormat", "Param", "ParamChange", "ParamDiff", "ParamManager",
    "ParamMeta", "ParamProgress", "ParamSettings", "Value", "coerce", "diff", "metadata_for", "parse",
    "type_name", "write",
]

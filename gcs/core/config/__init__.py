"""Settings: the pydantic schema, the YAML store (atomic writes, backups, history) and editors' metadata.

    from gcs.core.config import ConfigStore
    store = ConfigStore(); store.load()
    store.current.safety.max_speed_mps

Modules: ``schema`` (the models), ``fields`` (flat field descriptions, refusal messages),
``yaml_text`` (commented YAML out, strict YAML in), ``files`` (the folder on disk), ``store``.
"""

from gcs.core.config.fields import FieldInfo, describe_fields, requires_restart
from gcs.core.config.files import MAX_BACKUPS, BackupInfo
from gcs.core.config.schema import (
    SECTIONS,
    ApiConfig,
    Apply,
    FollowConfig,
    GcsConfig,
    LinkConfig,
    LoggingConfig,
    SafetyConfig,
    TrackingConfig,
    VideoConfig,
    setting,
)
from gcs.core.config.store import ENV_CONFIG_DIR, ConfigListener, ConfigStore, default_config_path
from gcs.core.config.yaml_text import dump_config_yaml, dump_defaults_yaml, parse_config_yaml

__all__ = [
    "ENV_CONFIG_DIR",
    "MAX_BACKUPS",
    "SECTIONS",
    "ApiConfig",
    "Apply",
    "BackupInfo",
    "ConfigListener",
    "ConfigStore",
    "FieldInfo",
    "FollowConfig",
    "GcsConfig",
    "LinkConfig",
    "LoggingConfig",
    "SafetyConfig",
    "TrackingConfig",
    "VideoConfig",
    "default_config_path",
    "describe_fields",
    "dump_config_yaml",
    "dump_defaults_yaml",
    "parse_config_yaml",
    "requires_restart",
    "setting",
]

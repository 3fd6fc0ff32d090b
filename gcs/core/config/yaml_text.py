"""Settings <-> YAML text: a commented file people can read and edit, and a strict reader.

Every field is written with its description, bounds and apply mode as comments, the same text
whether it is the user's file or ``resources/default_config.yaml`` (``dump_defaults_yaml()``;
a test keeps the committed file equal to it). Regenerate after a schema change with::

    python -c "from gcs.core.config import dump_defaults_yaml as d; \\
open('resources/default_config.yaml', 'w', encoding='utf-8').write(d())"
"""

from __future__ import annotations

import textwrap
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from gcs.core.config.fields import FieldInfo, describe_fields, refusal
from gcs.core.config.schema import SECTIONS, GcsConfig, section_model
from gcs.core.errors import ConfigError

_HEADER = """\
# Kestrel GCS settings.
#
# Written by the application on every change (the previous file goes to backups/). You may
# edit it by hand while the GCS is closed; a setting left out takes its default, and a file
# that does not validate is set aside as config.yaml.bad-<time> and the GCS starts on defaults.
# Each setting says its range and whether a change applies live or needs a restart.
"""


def _bounds_line(info: FieldInfo) -> str:
    parts = []
    if info.choices is not None:
        parts.append("one of: " + ", ".join(info.choices))
    if info.minimum is not None and info.maximum is not None:
        parts.append(f"{info.minimum:g} to {info.maximum:g}")
    elif info.minimum is not None:
        parts.append(f"at least {info.minimum:g}")
    elif info.maximum is not None:
        parts.append(f"at most {info.maximum:g}")
    if info.max_items is not None:
        parts.append(f"at most {info.max_items} items")
    parts.append("applies live" if info.apply == "live" else "needs restart")
    return "; ".join(parts)


def _field_yaml(name: str, value: Any) -> list[str]:
    text = yaml.safe_dump(
        {name: value}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10**6
    )
    return ["  " + line for line in text.splitlines()]


def dump_config_yaml(config: GcsConfig) -> str:
    """The whole config as commented YAML; ``yaml.safe_load`` of it equals ``config.model_dump()``."""
    by_section: dict[str, list[FieldInfo]] = {}
    for info in describe_fields():
        by_section.setdefault(info.section, []).append(info)
    lines = [_HEADER.rstrip("\n")]
    for section in SECTIONS:
        lines.append("")
        lines.append(f"# {(section_model(section).__doc__ or section).strip()}")
        lines.append(f"{section}:")
        values: BaseModel = getattr(config, section)
        dumped = values.model_dump()
        for info in by_section[section]:
            for chunk in textwrap.wrap(info.description, width=96):
                lines.append(f"  # {chunk}")
            lines.append(f"  # ({_bounds_line(info)})")
            lines.extend(_field_yaml(info.name, dumped[info.name]))
    return "\n".join(lines) + "\n"


def dump_defaults_yaml() -> str:
    """The defaults as commented YAML: the text of ``resources/default_config.yaml``."""
    return dump_config_yaml(GcsConfig())


def parse_config_yaml(text: str, origin: str = "settings") -> GcsConfig:
    """Read settings from YAML text; ConfigError naming ``origin`` and the problem if refused.

    Missing sections and fields take their defaults; unknown ones are refused (a typo must not
    silently fall back to a default that flies the vehicle differently)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ConfigError(f"{origin} is not valid YAML{where}: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin} must map section names to settings, but holds a {type(data).__name__}")
    try:
        return GcsConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {refusal(exc)}") from exc

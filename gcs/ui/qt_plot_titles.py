"""What the telemetry plots are called: the default plots, the curve colours, each curve's short name
and the title line that doubles as the legend (a legend box inside a plot covered the newest samples).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

from gcs.ui.plot_data import UNIT_SUFFIXES

PALETTE = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292")
DEFAULT_PLOTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Altitude", ("global_position.alt_rel_m",)),
    ("Ground speed", ("hud.groundspeed_mps",)),
    ("Roll / pitch", ("derived.roll_deg", "derived.pitch_deg")),
    ("Battery", ("battery.voltage_v",)),
    ("Link", ("link.messages_per_s",)),
    ("Forward: cmd vs actual", ("commander.forward_mps", "derived.forward_mps")),
    ("Tracker error", ("tracker.error_x", "tracker.error_y")),
    ("Follower command", ("follower.forward_mps", "follower.right_mps", "follower.down_mps")),
)
KEEP_GROUP = ("derived", "commander", "tracker", "follower")


def legend_name(name: str) -> str:
    """"global_position.alt_rel_m" -> "alt_rel_m"; derived values keep their group ("commander.forward_mps")."""
    group, _, leaf = name.rpartition(".")
    return name if group in KEEP_GROUP else leaf


def key_names(fields: list[str]) -> list[str]:
    """Short curve names for a plot's key: the field without group and unit ("roll_deg" -> "roll"),
    or its group where two share a name ("commander.forward_mps", "derived.forward_mps")."""
    def short(name: str) -> str:
        leaf = name.rsplit(".", 1)[-1]
        unit = next((suffix for suffix, _u in UNIT_SUFFIXES if leaf.endswith(suffix)), "")
        return leaf[: len(leaf) - len(unit)] if unit and len(leaf) > len(unit) else leaf

    shorts = [short(f) for f in fields]
    words = [n.split("_") for n in shorts]
    common = 0
    while len(shorts) > 1 and all(len(w) > common + 1 and w[common] == words[0][common] for w in words):
        common += 1
    prefix = "_".join(words[0][:common]) + "_" if common else ""  # "error_x", "error_y" -> "x", "y"
    shorts = [n[len(prefix):] or n for n in shorts]
    groups = {"commander": "cmd", "derived": "actual"}
    return [groups.get(f.rpartition(".")[0], f.rpartition(".")[0] or f) if shorts.count(n) > 1 else n
            for f, n in zip(fields, shorts, strict=True)]


def plot_title_html(title: str, unit: str, names: list[tuple[str, str]]) -> str:
    """The plot's title line: its name, its unit, and (two curves or more) each curve's name in its colour.

    This is the legend: in the title row it never covers a curve (a legend box inside the plot
    did, in the corner where the newest samples are), and the unit here leaves the narrow left
    axis to its tick labels.
    """
    unit_text = f' <span style="color:#8a8f98">({unit})</span>' if unit else ""
    keys = "".join(f'&nbsp;<span style="color:{colour}">&#9632;{name}</span>' for name, colour in names)
    return f"{title}{unit_text}{keys if len(names) > 1 else ''}"


def clip_title(label: Any) -> None:
    """pyqtgraph makes a title's text width the plot's minimum and preferred width, so a long title
    widened its column past the panel (cut off, no scroll bar) and unequal titles made unequal
    columns. Here the title takes only its height and is clipped to the plot's width."""

    def update_min() -> None:
        height = label.itemRect().height()
        label.setMinimumWidth(0)
        label.setMinimumHeight(height)
        label._sizeHint = {Qt.SizeHint.MinimumSize: (0.0, height), Qt.SizeHint.PreferredSize: (0.0, height),
                           Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
        label.updateGeometry()

    label.updateMin = update_min  # LabelItem calls it on every text change and resize
    label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)

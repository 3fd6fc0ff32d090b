"""The fleet link's compression in the status bar: ratio, fields skipped, worst reconstruction error.

Shown only when ``fleet.mqtt_compression`` is on; fed once a second from ``GcsService.compression_stats``
(asked off the GUI thread by the main window's poll), one vehicle per part: ``#1 0.31 · 72% skipped``.
The tooltip lists every field's largest reconstruction error against its tolerance.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget


class QtFleetLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleet_compression")
        self.hide()

    def show_stats(self, stats: dict[str, dict[str, Any]] | None) -> None:
        """``stats``: per vehicle (system id), as ``CompactSender.stats`` gives them; None hides the label."""
        if not stats:
            self.hide()
            return
        parts, tips = [], []
        for sysid, s in stats.items():
            parts.append(f"#{sysid} {s['ratio']:.2f} · {s['skipped_pct']:.0f}% skipped")
            errors = ", ".join(f"{name} {err:g}" for name, err in sorted(s.get("max_error", {}).items()))
            tips.append(f"vehicle {sysid}: {s['readings']} readings, {s['transmitted']} fields sent, "
                        f"{s['skipped']} skipped, {s['bytes_sent']} of {s['bytes_uncompressed']} bytes; "
                        f"max error: {errors}")  # fmt: skip
        text = "fleet link " + "  ".join(parts)
        if self.text() != text:
            self.setText(text)
        self.setToolTip("\n".join(tips))
        self.show()

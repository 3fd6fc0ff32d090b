"""The replay bar, shown under the video while a tlog replay is open: play/pause, seek, speed, time.

It drives one replay link (``connect("replay:PATH")``) through the service on the command runner
and shows the ``ReplayStatus`` the bridge hands it (<= 10 Hz). The file name and the note are
elided to the width they get (full text in the tooltip) and the note sits on its own row, so a
long name never widens the window or squeezes the slider (which keeps ``SLIDER_MIN_PX``).
Dragging the slider only moves the handle and the time shown; the seek is sent when the handle
is released (a click on the groove jumps there first), and statuses older than that seek are
ignored until it has been done, so the handle never jumps back. Everything runs on the GUI thread.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QVBoxLayout,
    QWidget,
)

from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

SLIDER_STEPS = 1000
SLIDER_MIN_PX = 240
TITLE_MAX_PX = 320
SPEEDS: tuple[tuple[str, float | None], ...] = (
    ("0.1x", 0.1), ("0.25x", 0.25), ("0.5x", 0.5), ("1x", 1.0), ("2x", 2.0), ("5x", 5.0),
    ("10x", 10.0), ("25x", 25.0), ("50x", 50.0), ("100x", 100.0), ("max", None),
)
REPLAY_LABELS = ("PLAY", "PAUSE", "SEEK", "SPEED", "CLOSE_REPLAY", "SHOW_REPLAYED")
JUMP_S = 10.0
REPLAY_SHORTCUTS: tuple[tuple[str, str, str], ...] = (  # (name, keys, what it does); live while the bar shows
    ("play", "Ctrl+Shift+Space", "Replay: play / pause"),
    ("back", "Ctrl+Shift+Left", f"Replay: back {JUMP_S:g} s"),
    ("forward", "Ctrl+Shift+Right", f"Replay: forward {JUMP_S:g} s"),
)


def clock(seconds: float) -> str:
    """mm:ss (h:mm:ss from an hour up); never negative."""
    total = int(max(0.0, seconds) + 0.5) if math.isfinite(seconds) else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def speed_text(speed: float | None) -> str:
    return "max" if speed is None else f"{speed:g}x"


class QtElidedLabel(QLabel):
    """One line that elides its text to the width the layout gives it; never widens the layout."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.updateGeometry()
        self._elide()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 8, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(min(40, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(0, self.width())))


class QtSeekSlider(QSlider):
    """A horizontal slider where a press on the groove jumps there and keeps dragging."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(0, SLIDER_STEPS)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                value = QStyle.sliderValueFromPosition(self.minimum(), self.maximum(),
                                                       int(event.position().x() - handle.width() / 2),
                                                       self.width() - handle.width())
                self.setValue(value)  # the handle is now under the cursor: the press starts a drag
        super().mousePressEvent(event)


class QtReplayBar(QWidget):
    """Controls of one open replay; ``set_replay`` binds it, ``set_status`` feeds it (GUI thread)."""

    close_requested = Signal(str)  # link id: the pilot closed the replay

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replay_bar")
        self._service = service
        self._runner = runner
        self.link_id: str | None = None
        self._status: Any = None
        self._duration = 0.0
        self._seek_pending = False
        self._show_sysid: int | None = None
        self.title_label = QtElidedLabel("REPLAY")
        self.title_label.setMaximumWidth(TITLE_MAX_PX)
        self.title_label.setStyleSheet("font-weight: bold; color: #6cb6ff;")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("replay_play")
        self.play_button.setToolTip("Play / pause the replay (Ctrl+Shift+Space)")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setMinimumWidth(70)
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QtSeekSlider()
        self.slider.setMinimumWidth(SLIDER_MIN_PX)
        self.slider.setToolTip("Position in the log: drag and release (or click) to seek")
        self.slider.sliderMoved.connect(self._on_slider_moved)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.time_label = QLabel("00:00 / 00:00")
        self.time_label.setObjectName("replay_time")
        self.time_label.setMinimumWidth(110)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.speed_combo = QComboBox()
        self.speed_combo.setToolTip("Replay speed (max: as fast as the log can be read)")
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, speed in SPEEDS:
            self.speed_combo.addItem(text, speed)
        self.speed_combo.setCurrentIndex(3)
        self.speed_combo.activated.connect(self._on_speed_chosen)
        self.note_label = QtElidedLabel("")
        self.note_label.setStyleSheet("color: #f0b400;")
        self.show_button = QPushButton("Show")
        self.show_button.setObjectName("replay_show")
        self.show_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.show_button.clicked.connect(self._on_show)
        self.close_button = QPushButton("Close replay")
        self.close_button.setToolTip("Close this replay link (the log file is kept)")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self._on_close)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(6, 3, 6, 3)
        rows.setSpacing(2)
        layout = QHBoxLayout()
        layout.addWidget(self.title_label)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.speed_combo)
        layout.addWidget(self.close_button)
        rows.addLayout(layout)
        self.note_row = QWidget()
        note_layout = QHBoxLayout(self.note_row)
        note_layout.setContentsMargins(0, 0, 0, 0)
        note_layout.addWidget(self.note_label, 1)
        note_layout.addWidget(self.show_button)
        rows.addWidget(self.note_row)
        self.note_row.setVisible(False)
        self.setStyleSheet("#replay_bar { background: #1d2a38; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        handlers = {"play": self.toggle_play, "back": lambda: self.jump(-JUMP_S), "forward": lambda: self.jump(JUMP_S)}
        for name, keys, description in REPLAY_SHORTCUTS:
            action = QAction(description, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # only while the bar is shown
            action.triggered.connect(handlers[name])
            self.addAction(action)

    # ---- inputs (GUI thread) ---------------------------------------------------------------

    def set_replay(self, link_id: str | None, path: str = "", note: str = "", show_sysid: int | None = None) -> None:
        """Bind the bar to a replay link (and show it), or hide it with None; ``note`` (with a Show
        button for vehicle ``show_sysid``) says why the active vehicle is not this replay's."""
        if link_id != self.link_id:
            self._status = None
            self._seek_pending = False
        self.link_id = link_id
        self.setVisible(link_id is not None)
        if link_id is not None:
            self.title_label.set_full_text(f"REPLAY  {Path(path).name}" if path else "REPLAY")
            self.title_label.setToolTip(path)
            if note != self.note_label.full_text():
                self.note_label.set_full_text(note)
            self._show_sysid = show_sysid
            self.show_button.setVisible(show_sysid is not None)
            self.show_button.setText(f"Show vehicle {show_sysid}")
            self.show_button.setToolTip(f"Make vehicle {show_sysid} (this replay's) the active one: HUD and plots")
            self.note_row.setVisible(bool(note))

    @Slot(object)
    def set_status(self, status: Any) -> None:
        """A ReplayStatus; ignored for another link, and while a seek is dragged or on its way."""
        if status.link_id != self.link_id:
            return
        self._status = status
        self._duration = status.duration_s
        self.play_button.setText("Pause" if status.playing else ("Replay" if status.ended else "Play"))
        index = self.speed_combo.findText(speed_text(status.speed))
        if index >= 0 and not self._runner.is_busy("SPEED") and index != self.speed_combo.currentIndex():
            self.speed_combo.setCurrentIndex(index)
        if self.slider.isSliderDown() or self._seek_pending:
            return
        value = round(status.fraction * SLIDER_STEPS)
        if self.slider.value() != value:
            self.slider.blockSignals(True)
            self.slider.setValue(value)
            self.slider.blockSignals(False)
        self._show_time(status.position_s)

    def on_outcome(self, outcome: Any) -> None:
        """A replay control finished: its status is the newest truth (seek done, or refused)."""
        if outcome.label not in REPLAY_LABELS:
            return
        if outcome.label == "SEEK":
            self._seek_pending = False
        if outcome.ok and outcome.value is not None and hasattr(outcome.value, "fraction"):
            self.set_status(outcome.value)

    @property
    def status(self) -> Any:
        return self._status

    # ---- controls --------------------------------------------------------------------------

    def _show_time(self, position_s: float) -> None:
        text = f"{clock(position_s)} / {clock(self._duration)}"
        if self.time_label.text() != text:
            self.time_label.setText(text)

    @Slot()
    def toggle_play(self) -> None:
        if self.link_id is None:
            return
        if self._status is not None and self._status.playing:
            self._runner.submit("PAUSE", self._service.replay_pause, self.link_id)
        else:
            self._runner.submit("PLAY", self._service.replay_play, self.link_id)

    def seek_fraction(self, fraction: float) -> None:
        """Seek to a fraction (0-1) of the log; the slider and time show it at once."""
        if self.link_id is None:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        self._seek_pending = True
        self._show_time(fraction * self._duration)
        self._runner.submit("SEEK", self._service.replay_seek, fraction=fraction, link_id=self.link_id)

    def jump(self, seconds: float) -> None:
        """Seek ``seconds`` from the current position (negative: back)."""
        if self._status is not None and self._duration > 0:
            self.seek_fraction((self._status.position_s + seconds) / self._duration)

    @Slot(int)
    def _on_slider_moved(self, value: int) -> None:
        self._show_time(value / SLIDER_STEPS * self._duration)

    @Slot()
    def _on_slider_released(self) -> None:
        self.seek_fraction(self.slider.value() / SLIDER_STEPS)

    @Slot(int)
    def _on_speed_chosen(self, index: int) -> None:
        if self.link_id is not None:
            self._runner.submit("SPEED", self._service.replay_speed, self.speed_combo.itemData(index), self.link_id)

    @Slot()
    def _on_show(self) -> None:
        if self._show_sysid is not None:
            self._runner.submit("SHOW_REPLAYED", self._service.select_vehicle, self._show_sysid)

    @Slot()
    def _on_close(self) -> None:
        if self.link_id is not None:
            link_id = self.link_id
            self._runner.submit("CLOSE_REPLAY", self._service.disconnect, link_id)
            self.close_requested.emit(link_id)

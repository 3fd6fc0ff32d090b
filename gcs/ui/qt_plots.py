"""Live telemetry plots: stacked pyqtgraph plots on one shared time axis, drawn at 30 fps.

Samples are appended to preallocated ring buffers when a state arrives (GUI thread, from the
bridge, <= 30 Hz); a 30 fps QTimer redraws the curves, never once per message. The time axis
reads seconds before now (-60 ... 0), so it stays still while the curves scroll: a moving axis
(and a grid) cost more to paint than the curves themselves. Pause (or a mouse zoom, which
pauses) freezes the curves for inspection; "Auto" resumes and re-fits every axis. Fields are
added and removed at run time from every numeric field of VehicleState (see ``plot_data``).

Tracker and follower fields (``tracker.error_x``, ``follower.forward_mps``...) are sampled when
their events arrive (``on_tracking_target`` / ``on_follower``, throttled by the bridge), on the
same clock as the vehicle state, so every curve shares one time axis. The control column beside
the plots is ``qt_plot_controls.QtPlotControls``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QWidget

from gcs.core.models import VehicleState
from gcs.ui.plot_data import (
    MIN_SPANS,
    RingBuffer,
    YRange,
    event_reader,
    field_reader,
    field_source,
    finite_bounds,
    peak_decimate,
    telemetry_fields,
    unit_of,
)
from gcs.ui.qt_plot_controls import NEW_PLOT, QtPlotControls
from gcs.ui.qt_plot_titles import DEFAULT_PLOTS, PALETTE, clip_title, key_names, legend_name, plot_title_html

REDRAW_FPS = 30
PLOT_BUDGET = 0.3  # share of the GUI thread the plots may take; above it they redraw less often
DEFAULT_CAPACITY = 20_000  # samples per series: 60 s at 30 Hz needs 1,800; room for long windows
MIN_BUCKETS = 100  # decimation runs per curve, at least (normally one per pixel of plot width)
MIN_PLOT_W = 200  # px: below this a plot's ticks and title crowd out its curve; fewer columns instead
MIN_PLOT_H = 105  # px: rows that do not fit this scroll (the scroll bar shows there are more)
@dataclass
class Series:
    """One field drawn as one curve in one plot."""

    field: str
    buffer: RingBuffer
    curve: pg.PlotCurveItem
    plot: pg.PlotItem
    colour: str
    source: str = "state"  # "state", "tracker" or "follower": which event samples it
    dirty: bool = False


@dataclass
class PlotSlot:
    title: str
    item: pg.PlotItem
    unit: str = ""
    fields: list[str] = field(default_factory=list)
    y: YRange = field(default_factory=YRange)


class QtTimedGraphicsLayout(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    """The plots' canvas; remembers how long its last paint took (for the redraw budget)."""

    last_paint_s = 0.0

    def paintEvent(self, event: Any) -> None:
        began = time.perf_counter()
        super().paintEvent(event)
        self.last_paint_s = time.perf_counter() - began


class QtTelemetryPlots(QWidget):
    """Telemetry plots with a control row; feed it with ``on_state``/``on_commander`` (GUI thread)."""

    def __init__(self, *, window_s: float = 60.0, capacity: int = DEFAULT_CAPACITY, columns: int = 4,
                 plots: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_PLOTS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, background="#15171a", foreground="#c8ccd2")
        self.window_s = window_s
        self.capacity = capacity
        self.max_columns = max(1, columns)
        self.columns = self.max_columns  # as many as fit MIN_PLOT_W each, up to max_columns (resizeEvent)
        self._t0 = time.monotonic()
        self._series: dict[str, Series] = {}
        self._plots: list[PlotSlot] = []
        self._commander: Any = None
        self._paused = False
        self._colour = 0
        self._x_range: tuple[float, float] | None = None
        self._next_redraw = 0.0
        self.redraws = 0

        self.graphics = QtTimedGraphicsLayout()
        self.graphics.ci.setSpacing(2)
        self._controls = QtPlotControls(window_s)
        c = self._controls
        self.window_spin, self.pause_button, self.auto_button = c.window_spin, c.pause_button, c.auto_button
        self.field_combo, self.target_combo, self.add_button = c.field_combo, c.target_combo, c.add_button
        self.series_combo, self.remove_button = c.series_combo, c.remove_button
        self.window_spin.valueChanged.connect(self.set_window)
        self.pause_button.toggled.connect(self.set_paused)
        self.auto_button.clicked.connect(self.auto_range)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(4)
        layout.addWidget(self._controls)
        self.scroll = QScrollArea()  # rows that do not fit scroll, rather than being cut off unseen
        self.scroll.setObjectName("plots_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.graphics)
        self.scroll.installEventFilter(self)
        layout.addWidget(self.scroll, 1)
        for title, fields in plots:
            for name in fields:
                self.add_series(name, title)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_redraw)
        self._timer.start(1000 // REDRAW_FPS)

    # ---- controls --------------------------------------------------------------------------

    def _refresh_combos(self) -> None:
        self._controls.refresh([slot.title for slot in self._plots], list(self._series))

    @Slot()
    def _on_add_clicked(self) -> None:
        name = self.field_combo.currentText().strip()
        target = self.target_combo.currentText()
        if name in telemetry_fields() and name not in self._series:
            self.add_series(name, None if target == NEW_PLOT else target)

    @Slot()
    def _on_remove_clicked(self) -> None:
        name = self.series_combo.currentText()
        if name:
            self.remove_series(name)

    # ---- series and plots ------------------------------------------------------------------

    def add_series(self, name: str, plot_title: str | None = None) -> Series:
        """Plot ``name`` in the plot titled ``plot_title`` (a new one if None or unknown)."""
        source = field_source(name)
        if source == "state":
            field_reader(name)  # KeyError for unknown names, before anything changes
        if name in self._series:
            return self._series[name]
        slot = next((p for p in self._plots if p.title == plot_title), None)
        if slot is None:
            slot = self._add_plot(plot_title or name.rsplit(".", 1)[-1], unit_of(name))
        used = {self._series[f].colour for f in slot.fields}
        colour = next((c for c in PALETTE[self._colour % len(PALETTE):] + PALETTE if c not in used),
                      PALETTE[self._colour % len(PALETTE)])
        self._colour += 1
        curve = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1), name=legend_name(name), connect="finite",
                                 skipFiniteCheck=True)
        slot.item.addItem(curve)
        series = Series(name, RingBuffer(self.capacity), curve, slot.item, colour, source)
        self._series[name] = series
        slot.fields.append(name)
        self._retitle(slot)
        self._refresh_combos()
        return series

    def _retitle(self, slot: PlotSlot) -> None:
        names = list(zip(key_names(slot.fields), (self._series[f].colour for f in slot.fields), strict=True))
        slot.item.setTitle(plot_title_html(slot.title, slot.unit, names), size="8pt", justify="left")



    def title_text(self, plot_title: str) -> str:
        """A plot's title line as shown (HTML: name, unit, curve names), for tests."""
        slot = next(p for p in self._plots if p.title == plot_title)
        return str(slot.item.titleLabel.text)

    def remove_series(self, name: str) -> None:
        """Stop plotting ``name``; a plot left empty is removed."""
        series = self._series.pop(name, None)
        if series is None:
            return
        slot = next(p for p in self._plots if p.item is series.plot)
        slot.item.removeItem(series.curve)
        slot.fields.remove(name)
        if not slot.fields:
            self._remove_plot(slot)
        else:
            self._retitle(slot)
        self._refresh_combos()

    def _add_plot(self, title: str, unit: str) -> PlotSlot:
        item = pg.PlotItem()
        clip_title(item.titleLabel)
        item.setTitle(title, size="8pt")  # the unit and the curve names join it in _retitle
        item.getAxis("left").setWidth(40)  # tick labels only ("16.5", "-0.25"): the unit is in the title
        item.getAxis("left").enableAutoSIPrefix(False)  # volts stay volts, never "mV" around a flat line
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.setMenuEnabled(True)
        item.hideButtons()  # the "A" button: the Auto button beside the plots does it for all
        item.disableAutoRange()  # y limits come from YRange, x from the rolling window
        item.getViewBox().sigRangeChangedManually.connect(self._on_manual_range)
        slot = PlotSlot(title, item, unit, y=YRange(MIN_SPANS.get(unit, 0.0)))
        self._plots.append(slot)
        self._relayout()
        return slot

    def _remove_plot(self, slot: PlotSlot) -> None:
        self._plots.remove(slot)
        self.graphics.removeItem(slot.item)
        self._relayout()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """As many columns as fit at MIN_PLOT_W (the scroll bar's room always kept, so its coming and
        going cannot flip the count), so no plot is squeezed or cut off at the right edge; the rows
        then scroll if they are taller than the panel."""
        width = self.scroll.width() - self.scroll.verticalScrollBar().sizeHint().width()
        columns = max(1, min(self.max_columns, width // MIN_PLOT_W))
        if columns != self.columns:
            self.columns = columns
            self._relayout()

    @property
    def visible_plot_rows(self) -> int:
        """Rows of plots: the panel scrolls when they need more than its height."""
        return (len(self._plots) + self.columns - 1) // self.columns

    def _relayout(self) -> None:
        self.graphics.ci.clear()
        rows = (len(self._plots) + self.columns - 1) // self.columns
        self.graphics.setMinimumHeight(rows * MIN_PLOT_H + 24)  # + the time axis label under the last row
        master = self._plots[0].item if self._plots else None
        for i, slot in enumerate(self._plots):
            row, col = divmod(i, self.columns)
            self.graphics.addItem(slot.item, row=row, col=col)
            slot.item.setXLink(master if slot.item is not master else None)
            bottom_row = row == rows - 1 or i + self.columns >= len(self._plots)
            axis = slot.item.getAxis("bottom")
            axis.setStyle(showValues=bottom_row)
            if bottom_row:
                slot.item.setLabel("bottom", "time before now", units="s")
            else:
                axis.showLabel(False)

    @property
    def plot_titles(self) -> list[str]:
        return [slot.title for slot in self._plots]

    def series(self, name: str) -> Series:
        return self._series[name]

    @property
    def series_names(self) -> list[str]:
        return list(self._series)

    # ---- data (GUI thread) -----------------------------------------------------------------

    @Slot(object)
    def on_state(self, state: VehicleState) -> None:
        """Sample every plotted field from one state snapshot."""
        t = time.monotonic() - self._t0
        commander = self._commander
        for series in self._series.values():
            if series.source == "state":
                series.buffer.append(t, field_reader(series.field)(state, commander))
                series.dirty = True

    @Slot(object)
    def on_commander(self, status: Any) -> None:
        self._commander = status

    @Slot(object)
    def on_tracking_target(self, target: Any) -> None:
        """Sample the tracker.* fields from one TrackedTarget."""
        self._on_event("tracker", target)

    @Slot(object)
    def on_follower(self, status: Any) -> None:
        """Sample the follower.* fields from one FollowerStatus."""
        self._on_event("follower", status)

    def _on_event(self, source: str, value: Any) -> None:
        t = time.monotonic() - self._t0
        for series in self._series.values():
            if series.source == source:
                series.buffer.append(t, event_reader(series.field)(value))
                series.dirty = True

    # ---- view ------------------------------------------------------------------------------

    @Slot(float)
    def set_window(self, seconds: float) -> None:
        self.window_s = float(seconds)
        self._follow()
        self._next_redraw = 0.0

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        """Freeze (True) or resume; while frozen every curve holds its whole history to pan through."""
        if paused and not self._paused:
            self._draw(time.monotonic() - self._t0, whole=True)
        self._paused = paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Paused" if paused else "Pause")

    @property
    def paused(self) -> bool:
        return self._paused

    @Slot()
    def auto_range(self) -> None:
        self.set_paused(False)
        for slot in self._plots:
            slot.y.reset()
        self._x_range = None
        self._next_redraw = 0.0
        self._follow()

    def _on_manual_range(self, *_args: Any) -> None:
        if not self._paused:
            self.set_paused(True)

    def _follow(self) -> None:
        if self._paused or not self._plots:
            return
        wanted = (-self.window_s, 0.0)
        if self._x_range != wanted:  # a still axis: set once, not every frame
            self._plots[0].item.setXRange(*wanted, padding=0)
            self._x_range = wanted

    @Slot()
    def _on_redraw(self) -> None:
        """Up to 30 fps: redraw the window's samples as seconds before now; nothing while paused.

        If a redraw and its paint cost more than PLOT_BUDGET of the frame time, the next one waits
        longer: on a busy machine the curves move less often, the video and HUD stay fluid.
        """
        began = time.perf_counter()
        if self._paused or began < self._next_redraw:
            return
        self._draw(time.monotonic() - self._t0)
        self._follow()
        cost = time.perf_counter() - began + self.graphics.last_paint_s
        self._next_redraw = began + max(0.0, cost / PLOT_BUDGET - 1.0 / REDRAW_FPS)
        self.redraws += 1

    def _draw(self, now: float, whole: bool = False) -> None:
        """Hand each curve the samples of the window (or all of them), as seconds before ``now``.

        Only the window's slice goes to pyqtgraph, so its bounds (for the y auto-range) and its
        path cover what is shown, not the whole ring; then it is cut to a min and a max per pixel
        column (``peak_decimate``): 10k samples in a 400-pixel plot draw as 800 points, spikes
        kept. Paused, every sample is handed over once, for zooming in.
        """
        oldest = now - self.window_s - 1.0
        bounds: dict[int, tuple[float, float]] = {}
        columns = {id(slot.item): max(MIN_BUCKETS, int(slot.item.getViewBox().width())) for slot in self._plots}
        for series in self._series.values():
            t, v = series.buffer.view()
            if not whole and len(t) and t[0] < oldest:
                first = int(np.searchsorted(t, oldest))
                t, v = t[first:], v[first:]
            if not whole:
                t, v = peak_decimate(t, v, columns.get(id(series.plot), MIN_BUCKETS))
            series.curve.setData(t - now, v)
            series.dirty = False
            span = finite_bounds(v)
            if span is not None:
                key = id(series.plot)
                lo, hi = bounds.get(key, span)
                bounds[key] = (min(lo, span[0]), max(hi, span[1]))
        if whole:
            return  # paused: the pilot pans and zooms; limits stay where they are
        for slot in self._plots:
            span = bounds.get(id(slot.item))
            limits = slot.y.fit(*span) if span is not None else None
            if limits is not None:
                slot.item.setYRange(*limits, padding=0)

    def clear(self) -> None:
        """Forget every sample (a replay jumped in time: old and new samples would not line up)."""
        for series in self._series.values():
            series.buffer.clear()
            series.dirty = True
        for slot in self._plots:
            slot.y.reset()

    def stop(self) -> None:
        """Stop redrawing (window closing)."""
        self._timer.stop()

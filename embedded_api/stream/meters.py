"""Figures a stream channel keeps about itself: the age of each message when written, and its
recent bandwidth. Both are updated on the API loop for every message sent, so they only add
to counters (no allocation, no lock); reading them (``/stats``) does the arithmetic.
"""

from __future__ import annotations

import bisect
from typing import Any


class AgeHistogram:
    """Counts of message ages in fixed millisecond buckets; percentiles are bucket upper bounds."""

    BOUNDS_MS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)

    def __init__(self) -> None:
        self.counts = [0] * (len(self.BOUNDS_MS) + 1)

    def add(self, age_s: float) -> None:
        self.counts[bisect.bisect_left(self.BOUNDS_MS, age_s * 1000.0)] += 1

    def percentile_ms(self, q: float) -> float | None:
        total = sum(self.counts)
        if not total:
            return None
        running = 0
        for i, count in enumerate(self.counts):
            running += count
            if running >= q * total:
                return float(self.BOUNDS_MS[i]) if i < len(self.BOUNDS_MS) else float("inf")
        return None

    def as_dict(self) -> dict[str, Any]:
        p99 = self.percentile_ms(0.99)
        return {
            "p50_ms_at_most": self.percentile_ms(0.5),
            "p99_ms_at_most": p99 if p99 != float("inf") else None,
            "buckets_ms": dict(zip([*map(str, self.BOUNDS_MS), "more"], self.counts, strict=True)),
        }


class RateMeter:
    """Bytes and messages per second over the last ``window_s`` whole seconds (plus the current one).

    One bucket per wall-clock second in a small ring: ``add`` is a comparison and two additions;
    a quiet channel reads as 0 once its last bucket is older than the window.
    """

    def __init__(self, window_s: int = 5) -> None:
        self.window_s = window_s
        self._seconds = [-1] * (window_s + 1)
        self._bytes = [0] * (window_s + 1)
        self._messages = [0] * (window_s + 1)
        self._first_s: float | None = None

    def add(self, now_s: float, nbytes: int) -> None:
        second = int(now_s)
        slot = second % len(self._seconds)
        if self._seconds[slot] != second:
            self._seconds[slot], self._bytes[slot], self._messages[slot] = second, 0, 0
        self._bytes[slot] += nbytes
        self._messages[slot] += 1
        if self._first_s is None:
            self._first_s = now_s

    def _rate(self, values: list[int], now_s: float) -> float:
        if self._first_s is None:
            return 0.0
        oldest = int(now_s) - self.window_s
        total = sum(v for s, v in zip(self._seconds, values, strict=True) if s >= oldest)
        span = min(float(self.window_s) + (now_s - int(now_s)), now_s - self._first_s)
        return total / span if span > 0.05 else 0.0

    def bytes_per_s(self, now_s: float) -> float:
        return self._rate(self._bytes, now_s)

    def messages_per_s(self, now_s: float) -> float:
        return self._rate(self._messages, now_s)

    def as_dict(self, now_s: float) -> dict[str, Any]:
        return {"bytes_per_s": round(self.bytes_per_s(now_s)), "messages_per_s": round(self.messages_per_s(now_s), 1)}

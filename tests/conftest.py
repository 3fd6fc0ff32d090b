"""Shared fixtures: a real GcsService with the built-in simulator on loopback, and data paths."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The fuzz tests run the same examples every time in the suite (a red CI run must be
# reproducible); KESTREL_FUZZ_RANDOM=1 lets hypothesis explore new ones, keeping what it finds.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile("explore" if os.environ.get("KESTREL_FUZZ_RANDOM") else "suite")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    """Poll ``predicate`` until true; fail the test saying what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.1f} s waiting for: {what}")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config dir so tests never touch the user's settings or API secret."""
    directory = tmp_path / "config"
    directory.mkdir()
    monkeypatch.setenv("KESTREL_CONFIG_DIR", str(directory))
    monkeypatch.setenv("KESTREL_DATA_DIR", str(tmp_path / "data"))  # tlogs and sessions too
    return directory


@pytest.fixture
def make_service(config_dir: Path) -> Iterator[Callable[..., object]]:
    """Factory: a started GcsService (optionally with the built-in simulator), closed at teardown."""
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    made: list[GcsService] = []

    def factory(flavour: str | None = "px4", gps_fix_delay_s: float = 0.0, system_id: int | None = None,
                **config: object) -> GcsService:  # fmt: skip
        store = ConfigStore(config_dir / "config.yaml")
        store.load()
        config.setdefault("video__enabled", False)  # the virtual camera costs CPU: only where a test asks
        for key, value in config.items():
            section, _, param = key.partition("__")
            store.set(section, param, value, source="test")
        service = GcsService(store)
        made.append(service)
        service.start()
        if flavour is not None:
            service.start_demo(flavour, port=0, gps_fix_delay_s=gps_fix_delay_s, system_id=system_id)
            service.wait_for_vehicle(10.0)
        return service

    yield factory
    for service in made:
        service.close()

"""Integration tests keep tlogs and the flight-session database in a private data dir."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``KESTREL_DATA_DIR`` for this test (and any program it starts), so nothing lands in the user's."""
    directory = tmp_path / "data"
    monkeypatch.setenv("KESTREL_DATA_DIR", str(directory))
    return directory

"""Fault: the settings file is corrupted on disk, and the whole program is started on it.

Three ways a file goes bad in the field: not YAML at all (a half-written file, an editor
accident), YAML whose values the schema refuses, and bytes that are not even UTF-8 (disk
damage). Each time ``python -m gcs --demo --headless`` must start and fly on default settings,
keep the bad file aside byte for byte (``config.yaml.bad-<time>``), and say so: in its log and
in ``/status`` (``config.load_warning``), where the GUI and the dashboard show it. The next start
(checked once) is clean: the bad file is not read again, and a setting saved then lands in a new, good file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import wait_until

pytestmark = pytest.mark.slow

BAD_FILES: dict[str, bytes] = {
    "not_yaml": b"api:\n  rate_limit_per_minute: 50\n  host: [unclosed\nsafety: {{{\n",
    "refused_values": b"safety:\n  max_speed_mps: 9999\napi:\n  rate_limit_per_minute: 55\n  port: -4\n",
    "not_utf8": b"api:\n  rate_limit_per_minute: 77\n\xff\xfe\x00\x9c garbage \x81\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_corrupt_config_starts_on_defaults_keeps_the_file_aside_and_says_so(run_program, tmp_path, kind) -> None:
    config_dir = tmp_path / "gcs-config"
    config_dir.mkdir()
    bad = BAD_FILES[kind]
    (config_dir / "config.yaml").write_bytes(bad)

    program = run_program()  # the same folder: KESTREL_CONFIG_DIR=<tmp>/gcs-config
    kept = sorted(config_dir.glob("config.yaml.bad-*"))
    assert len(kept) == 1, sorted(p.name for p in config_dir.iterdir())
    assert kept[0].read_bytes() == bad, "the bad file is kept as it was"
    assert not (config_dir / "config.yaml").exists() or (config_dir / "config.yaml").read_bytes() != bad

    with program.client("admin") as c:
        warning = c.get("/status").json()["config"]["load_warning"]
        assert warning and "default settings" in warning and kept[0].name in warning, warning
        current = c.get("/api/config/current").json()
        assert current["api"]["rate_limit_per_minute"] == 600 and current["safety"]["max_speed_mps"] < 100
        # It flies on defaults.
        wait_until(lambda: c.post("/api/vehicle/arm", json={}).status_code == 200, 60, "arm accepted", 1.0)
        assert c.post("/api/vehicle/takeoff", json={"altitude_m": 5}).status_code == 200
        # A change now is saved to a new, valid file (the bad one stays untouched).
        r = c.put("/api/config/api/rate_limit_per_minute", json={"value": 900})
        assert r.status_code == 200, r.text
    log = program.log()
    assert "Started on default settings" in log and kept[0].name in log
    assert program.stop() == 0
    print(f"\n{kind}: {warning}")
    if kind != "not_yaml":
        return  # the second start is the same for every kind of damage: check it once

    again = run_program(name="gcs")  # same folders, second start
    assert sorted(config_dir.glob("config.yaml.bad-*")) == kept, "nothing new set aside"
    with again.client("viewer") as c:
        status = c.get("/status").json()
        assert status["config"]["load_warning"] is None
        assert c.get("/api/config/current").json()["api"]["rate_limit_per_minute"] == 900
    assert Path(kept[0]).read_bytes() == bad

"""ConfigStore on real files in tmp_path: load, refuse, write, back up, restore, history, listen."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from gcs.core.config import MAX_BACKUPS, ConfigStore, GcsConfig, default_config_path
from gcs.core.errors import ConfigError


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config.yaml"


@pytest.fixture
def store(path: Path) -> ConfigStore:
    s = ConfigStore(path)
    s.load()
    return s


def on_disk(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- loading -----------------------------------------------------------------------------------
def test_missing_file_gives_defaults_and_writes_nothing(tmp_path: Path, store: ConfigStore) -> None:
    assert store.current == GcsConfig()
    assert store.load_warning is None
    assert list(tmp_path.iterdir()) == []


def test_env_var_chooses_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESTREL_CONFIG_DIR", str(tmp_path / "cfg"))
    assert default_config_path() == tmp_path / "cfg" / "config.yaml"
    assert ConfigStore().path == tmp_path / "cfg" / "config.yaml"


def test_changes_survive_a_restart(path: Path, store: ConfigStore) -> None:
    store.set("follow", "profile", "yaw_only")
    again = ConfigStore(path)
    assert again.load().follow.profile == "yaw_only"
    assert again.load_warning is None


def test_first_use_loads_the_file_so_a_change_never_drops_it(path: Path) -> None:
    path.write_text("safety:\n  max_speed_mps: 4\n", encoding="utf-8")
    fresh = ConfigStore(path)  # no load() call
    fresh.set("video", "jpeg_quality", 70)
    assert on_disk(path)["safety"]["max_speed_mps"] == 4.0


def test_partial_and_empty_files_fill_in_defaults(path: Path) -> None:
    path.write_text("safety:\n  max_speed_mps: 4\n", encoding="utf-8")
    config = ConfigStore(path).load()
    assert config.safety.max_speed_mps == 4.0 and config.safety.max_altitude_m == 120.0
    path.write_text("", encoding="utf-8")
    s = ConfigStore(path)
    assert s.load() == GcsConfig() and s.load_warning is None


def test_corrupt_yaml_starts_on_defaults_and_keeps_the_file(tmp_path: Path, path: Path) -> None:
    broken = "link: tcp\n  connections: x\n"
    path.write_text(broken, encoding="utf-8")
    s = ConfigStore(path)
    assert s.load() == GcsConfig()
    [kept] = list(tmp_path.glob("config.yaml.bad-*"))
    assert kept.read_text(encoding="utf-8") == broken
    assert not path.exists()
    assert s.load_warning is not None
    assert "not valid YAML at line 2" in s.load_warning and str(kept) in s.load_warning
    s.set("safety", "max_speed_mps", 5)  # writing again later leaves the kept file alone
    assert kept.read_text(encoding="utf-8") == broken


def test_unknown_key_in_file_is_refused_as_a_load_warning(tmp_path: Path, path: Path) -> None:
    path.write_text("link:\n  heartbeat_hz: 2\nsafety:\n  max_speed_mps: 4\n", encoding="utf-8")
    s = ConfigStore(path)
    assert s.load() == GcsConfig()
    assert s.load_warning is not None and "link.heartbeat_hz is not a known setting" in s.load_warning
    assert len(list(tmp_path.glob("config.yaml.bad-*"))) == 1


def test_invalid_value_in_file_is_named(path: Path) -> None:
    path.write_text("safety:\n  setpoint_lifetime_s: 9\n", encoding="utf-8")
    s = ConfigStore(path)
    s.load()
    assert s.load_warning is not None
    assert "safety.setpoint_lifetime_s = 9 is refused: must be <= 5" in s.load_warning


def test_non_utf8_file_is_set_aside(tmp_path: Path, path: Path) -> None:
    path.write_bytes(b"link:\n  connections: ['\xff\xfe']\n")
    s = ConfigStore(path)
    assert s.load() == GcsConfig()
    assert s.load_warning is not None and "cannot be read" in s.load_warning
    assert len(list(tmp_path.glob("config.yaml.bad-*"))) == 1


def test_reload_picks_up_hand_edits_and_tells_listeners(path: Path, store: ConfigStore) -> None:
    store.set("video", "jpeg_quality", 70)
    seen: list[dict[str, Any]] = []
    store.subscribe(seen.append)
    path.write_text("video:\n  jpeg_quality: 60\n", encoding="utf-8")
    assert store.load().video.jpeg_quality == 60
    assert seen == [{"video.jpeg_quality": 60}]


# -- changing ----------------------------------------------------------------------------------
def test_out_of_bounds_is_refused_and_nothing_changes(path: Path, store: ConfigStore) -> None:
    store.set("safety", "max_speed_mps", 6)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        store.set("safety", "setpoint_lifetime_s", 9.0)
    assert str(info.value) == "safety.setpoint_lifetime_s = 9.0 is refused: must be <= 5"
    assert path.read_bytes() == before
    assert store.current.safety.setpoint_lifetime_s == 0.5
    assert len(store.history()) == 1 and len(store.backups()) == 0


def test_refused_change_on_a_fresh_store_writes_no_file(path: Path, store: ConfigStore) -> None:
    with pytest.raises(ConfigError, match=r"link\.demo_port = 80 is refused: must be >= 1024"):
        store.set("link", "demo_port", 80)
    assert not path.exists()


def test_unknown_names_are_refused(store: ConfigStore) -> None:
    with pytest.raises(ConfigError, match="'radio' is not a settings section"):
        store.set("radio", "power", 1)
    with pytest.raises(ConfigError, match=r"'safety\.max_sped_mps' is not a known setting"):
        store.set("safety", "max_sped_mps", 1)
    with pytest.raises(ConfigError, match="is not a known setting"):
        store.get("safety", "nope")


def test_strings_are_coerced(store: ConfigStore) -> None:
    assert store.set("safety", "max_speed_mps", "6.5").safety.max_speed_mps == 6.5
    assert store.set("link", "command_retries", "5").link.command_retries == 5
    assert store.set("safety", "hold_on_link_loss", "false").safety.hold_on_link_loss is False
    assert store.set("video", "source", 0).video.source == "0"
    with pytest.raises(
        ConfigError, match=r"link\.command_retries = 'many' is refused: must be a valid integer"
    ):
        store.set("link", "command_retries", "many")


def test_cross_field_refusal_names_the_key(store: ConfigStore) -> None:
    with pytest.raises(ConfigError) as info:
        store.set("video", "jpeg_quality_min", 90)
    assert str(info.value) == (
        "video.jpeg_quality_min = 90 is refused: jpeg_quality_min (90) must be <= jpeg_quality (80)"
    )


def test_update_is_all_or_nothing(store: ConfigStore) -> None:
    with pytest.raises(ConfigError, match=r"safety\.max_altitude_m = 2000 is refused"):
        store.update("safety", {"max_speed_mps": 3, "max_altitude_m": 2000})
    assert store.current.safety.max_speed_mps == 8.0
    config = store.update("video", {"jpeg_quality": 95, "jpeg_quality_min": 90})  # together they fit
    assert (config.video.jpeg_quality, config.video.jpeg_quality_min) == (95, 90)


def test_write_is_atomic_and_leaves_valid_yaml(tmp_path: Path, path: Path, store: ConfigStore) -> None:
    for speed in (3, 4, 5):
        store.set("safety", "max_speed_mps", speed)
        assert on_disk(path) == store.current.model_dump()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert "# (0.5 to 25; applies live)" in path.read_text(encoding="utf-8")


def test_current_is_a_private_copy(store: ConfigStore) -> None:
    snapshot = store.current
    snapshot.link.connections.append("tcp:localhost:5760")
    snapshot.safety.max_speed_mps = 1
    assert store.current == GcsConfig()
    store.get("link", "connections").append("x")
    assert store.get("link", "connections") == []


def test_unchanged_value_writes_nothing(path: Path, store: ConfigStore) -> None:
    seen: list[dict[str, Any]] = []
    store.subscribe(seen.append)
    store.set("safety", "max_speed_mps", 8.0)
    assert not path.exists() and seen == [] and store.history() == []


def test_reset(store: ConfigStore) -> None:
    store.set("safety", "max_speed_mps", 3)
    store.set("video", "jpeg_quality", 60)
    assert store.reset("safety").safety.max_speed_mps == 8.0
    assert store.current.video.jpeg_quality == 60
    assert store.reset() == GcsConfig()
    assert store.diff_from_defaults() == {}


# -- backups, restore, history, diff ------------------------------------------------------------
def test_backups_are_capped(store: ConfigStore) -> None:
    for quality in range(50, 75):  # 25 changes: 24 backups made (the first had no file before)
        store.set("video", "jpeg_quality", quality)
    backups = store.backups()
    assert len(backups) == MAX_BACKUPS == 20
    assert [b.id for b in backups] == sorted((b.id for b in backups), reverse=True)
    assert on_disk(backups[0].path)["video"]["jpeg_quality"] == 73  # the file before the last change
    assert on_disk(backups[-1].path)["video"]["jpeg_quality"] == 54
    assert all(b.size == b.path.stat().st_size and b.path.name == f"config-{b.id}.yaml" for b in backups)


def test_restore_brings_back_a_backup_and_backs_up_the_current_file(path: Path, store: ConfigStore) -> None:
    store.set("safety", "max_speed_mps", 3)
    store.set("safety", "max_speed_mps", 4)  # backs up the file holding 3
    store.set("safety", "max_speed_mps", 5)  # backs up the file holding 4
    holding_3 = store.backups()[-1]
    file_before = path.read_bytes()
    assert store.restore(holding_3.id, source="gui").safety.max_speed_mps == 3.0
    assert on_disk(path)["safety"]["max_speed_mps"] == 3.0
    assert store.backups()[0].path.read_bytes() == file_before
    assert store.history(1)[0]["source"] == f"gui (restore {holding_3.id})"


def test_restore_refuses_bad_ids_and_bad_backups(store: ConfigStore) -> None:
    with pytest.raises(ConfigError, match="is not a backup id"):
        store.restore("../../etc/passwd")
    with pytest.raises(ConfigError, match="there is no settings backup"):
        store.restore("20990101-000000-000000")
    store.set("safety", "max_speed_mps", 3)
    store.set("safety", "max_speed_mps", 4)
    [backup] = store.backups()
    backup.path.write_text("safety:\n  max_speed_mps: 99\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"safety\.max_speed_mps = 99 is refused"):
        store.restore(backup.id)
    assert store.current.safety.max_speed_mps == 4.0


def test_history_records_changes(path: Path, store: ConfigStore) -> None:
    store.set("safety", "max_speed_mps", 3, source="gui")
    store.update("follow", {"gain_yaw": 2, "profile": "yaw_only"}, source="api")
    entries = store.history()
    assert [(e["key"], e["old"], e["new"], e["source"]) for e in entries] == [  # newest line first
        ("follow.gain_yaw", 1.0, 2.0, "api"),
        ("follow.profile", "chase", "yaw_only", "api"),
        ("safety.max_speed_mps", 8.0, 3.0, "gui"),
    ]
    assert all("time" in e for e in entries)
    assert len(store.history(limit=1)) == 1
    lines = (path.parent / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["key"] == "safety.max_speed_mps"


def test_diff_from_defaults(store: ConfigStore) -> None:
    store.set("safety", "max_speed_mps", 3)
    store.set("link", "connections", ["udpin:0.0.0.0:14550"])
    assert store.diff_from_defaults() == {
        "link.connections": ([], ["udpin:0.0.0.0:14550"]),
        "safety.max_speed_mps": (8.0, 3.0),
    }


# -- listeners, restart, introspection ----------------------------------------------------------
def test_listener_gets_only_changed_keys(store: ConfigStore) -> None:
    seen: list[dict[str, Any]] = []
    unsubscribe = store.subscribe(seen.append)
    store.update("video", {"jpeg_quality": 80, "jpeg_quality_min": 30})  # quality unchanged
    assert seen == [{"video.jpeg_quality_min": 30}]
    unsubscribe()
    store.set("video", "jpeg_quality_min", 35)
    assert len(seen) == 1


def test_failing_listener_does_not_undo_the_change(store: ConfigStore) -> None:
    seen: list[dict[str, Any]] = []

    def broken(_changed: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    store.subscribe(broken)
    store.subscribe(seen.append)
    store.set("safety", "max_speed_mps", 3)
    assert store.current.safety.max_speed_mps == 3.0 and seen == [{"safety.max_speed_mps": 3.0}]


def test_requires_restart(store: ConfigStore) -> None:
    keys = ["safety.max_speed_mps", "safety.setpoint_rate_hz", "api.port", "api.rate_limit_per_minute"]
    assert store.requires_restart(keys) == ["safety.setpoint_rate_hz", "api.port"]
    store.set("api", "port", 9090)
    store.set("api", "rate_limit_per_minute", 100)
    assert store.restart_pending() == ["api.port"]
    store.set("api", "port", 8080)
    assert store.restart_pending() == []


def test_schema_and_fields(store: ConfigStore) -> None:
    keys = [f.key for f in store.fields()]
    assert len(keys) == len(set(keys)) and "logging.min_free_disk_mb" in keys
    props = store.schema()["$defs"]["ApiConfig"]["properties"]
    assert props["port"]["apply"] == "restart" and props["port"]["maximum"] == 65535


def test_concurrent_changes_are_all_kept(path: Path, store: ConfigStore) -> None:
    params = ["gain_yaw", "gain_forward", "max_forward_mps", "max_lateral_mps"]

    def worker(param: str) -> None:
        for i in range(1, 6):
            store.set("follow", param, float(i) / 2)

    threads = [threading.Thread(target=worker, args=(p,)) for p in params]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(store.get("follow", p) == 2.5 for p in params)
    assert on_disk(path) == store.current.model_dump()
    assert len(store.history(limit=1000)) == 4 * 5

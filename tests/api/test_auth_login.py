"""Password sign-in: accounts on disk (0600, scrypt), `gcs user ...`, and POST /api/auth/login on a real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from embedded_api.auth import Role
from embedded_api.routes.auth import LOGIN_PER_MINUTE
from gcs.core.accounts import AccountError, AccountStore, accounts_path
from tests.api.conftest import LiveApi
from tests.conftest import ROOT

PASSWORD = "correct horse battery"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- the accounts file -----------------------------------------------------------------------


def test_accounts_are_kept_0600_with_scrypt_hashes_never_the_password(config_dir: Path) -> None:
    store = AccountStore()
    assert store.path == accounts_path() and store.path.name == "users.json"
    store.add("alice", PASSWORD, "operator")
    store.add("bob", "another password", "viewer")
    assert _mode(store.path) == 0o600
    text = store.path.read_text()
    assert PASSWORD not in text and "another password" not in text
    entries = json.loads(text)["users"]
    assert entries["alice"]["password"].startswith("scrypt$16384$8$1$")
    assert entries["alice"]["password"] != entries["bob"]["password"]

    assert store.verify("alice", PASSWORD).role == "operator"
    assert store.verify("alice", PASSWORD + "x") is None
    assert store.verify("nobody", PASSWORD) is None
    assert [(u.name, u.role) for u in store.users()] == [("alice", "operator"), ("bob", "viewer")]

    with pytest.raises(AccountError, match="exists already"):
        store.add("alice", PASSWORD, "admin")
    with pytest.raises(AccountError, match="too short"):
        store.add("carol", "short", "viewer")
    with pytest.raises(AccountError, match="unknown role"):
        store.add("carol", PASSWORD, "pilot")
    with pytest.raises(AccountError, match="refused"):
        store.add("../etc", PASSWORD, "viewer")
    assert store.verify("alice", PASSWORD).role == "operator"  # refusals changed nothing

    store.add("alice", "a new password", "admin", replace=True)
    assert store.verify("alice", PASSWORD) is None and store.verify("alice", "a new password").role == "admin"
    store.remove("bob")
    assert [u.name for u in store.users()] == ["alice"]
    with pytest.raises(AccountError, match="no user 'bob'"):
        store.remove("bob")
    assert _mode(store.path) == 0o600


def test_a_readable_accounts_file_is_tightened_and_a_damaged_one_left_alone(config_dir: Path) -> None:
    store = AccountStore()
    store.add("alice", PASSWORD, "viewer")
    os.chmod(store.path, 0o644)
    assert store.verify("alice", PASSWORD) is not None
    assert _mode(store.path) == 0o600

    store.path.write_text('{"users": {"alice": "oops"')
    damaged = store.path.read_text()
    with pytest.raises(AccountError, match="damaged"):
        store.verify("alice", PASSWORD)
    with pytest.raises(AccountError, match="damaged"):
        store.add("bob", PASSWORD, "viewer")
    assert store.path.read_text() == damaged


# ---- gcs user add / list / remove ------------------------------------------------------------


def _gcs(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gcs", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_adds_lists_and_removes_users(config_dir: Path) -> None:
    added = _gcs("user", "add", "alice", "--role", "operator", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "added 'alice' (operator)" in added.stdout
    assert AccountStore().verify("alice", PASSWORD).role == "operator"  # the newline is not part of it
    assert _mode(accounts_path()) == 0o600

    no_terminal = _gcs("user", "add", "bob", "--role", "viewer")  # stdin is a pipe, not a terminal
    assert no_terminal.returncode == 2 and "--password-stdin" in no_terminal.stderr
    short = _gcs("user", "add", "bob", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "too short" in short.stderr

    listed = _gcs("user", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("alice\toperator\t")
    assert PASSWORD not in listed.stdout and "scrypt" not in listed.stdout

    assert _gcs("user", "remove", "alice").returncode == 0
    again = _gcs("user", "remove", "alice")
    assert again.returncode == 2 and "no user 'alice'" in again.stderr
    assert "no accounts" in _gcs("user", "list").stdout


# ---- POST /api/auth/login --------------------------------------------------------------------


def _login(live: LiveApi, username: str, password: str):  # type: ignore[no-untyped-def]
    with live.client() as client:
        return client.post("/api/auth/login", json={"username": username, "password": password})


def test_login_answers_a_token_with_the_accounts_role(live_api: LiveApi) -> None:
    store = AccountStore()
    assert _login(live_api, "alice", PASSWORD).json()["detail"].startswith("this program has no user accounts")
    store.add("alice", PASSWORD, "operator")
    store.add("vic", PASSWORD, "viewer")

    r = _login(live_api, "alice", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "operator" and body["username"] == "alice" and body["token_type"] == "bearer"
    assert 0 < body["expires_in_s"] <= 12 * 3600
    assert r.headers["cache-control"] == "no-store"
    principal = live_api.authority.verify(body["token"])
    assert principal.subject == "alice" and principal.role.name == "OPERATOR"

    auth = {"Authorization": f"Bearer {body['token']}"}
    with live_api.client() as client:
        assert client.get("/status", headers=auth).status_code == 200
        hold = client.post("/api/vehicle/hold", headers=auth)
        assert hold.status_code in (200, 409), hold.text  # allowed through (the vehicle may refuse on the ground)
        assert client.put("/api/config/safety/max_speed_mps", json={"value": 5}, headers=auth).status_code == 403

    viewer = _login(live_api, "vic", PASSWORD).json()
    with live_api.client() as client:
        r = client.post("/api/vehicle/arm", headers={"Authorization": f"Bearer {viewer['token']}"})
    assert r.status_code == 403 and "needs operator" in r.json()["detail"]
    assert not live_api.service.vehicle_state().armed


def test_a_wrong_password_is_401_and_the_same_for_an_unknown_name(live_api: LiveApi) -> None:
    AccountStore().add("alice", PASSWORD, "admin")
    wrong = _login(live_api, "alice", "not the password")
    unknown = _login(live_api, "mallory", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong user name or password"
    assert "token" not in wrong.json()
    with live_api.client() as client:
        missing = client.post("/api/auth/login", json={"username": "alice"})
    assert missing.status_code == 422 and "password" in missing.text


def test_sign_in_attempts_are_rate_limited_in_their_own_group(live_api: LiveApi) -> None:
    AccountStore().add("alice", PASSWORD, "operator")
    AccountStore().add("bob", PASSWORD, "viewer")
    for attempt in range(LOGIN_PER_MINUTE):
        r = _login(live_api, "alice", f"guess {attempt}")
        assert r.status_code == 401, (attempt, r.text)
        assert r.headers["x-login-ratelimit-limit"] == str(LOGIN_PER_MINUTE)
    refused = _login(live_api, "alice", PASSWORD)  # even the right password: the guesser learns nothing
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-login-ratelimit-remaining"] == "0"
    assert "too many sign-in attempts" in refused.json()["detail"]
    assert "token" not in refused.json()
    assert _login(live_api, "bob", PASSWORD).status_code == 200  # another name: its own bucket
    with live_api.client("viewer") as client:  # the general API is unaffected
        assert client.get("/status").status_code == 200


def test_removing_or_downgrading_an_account_takes_effect_on_its_live_tokens(live_api: LiveApi) -> None:
    store = AccountStore()
    store.add("olga", PASSWORD, "operator")
    store.add("gone", PASSWORD, "operator")
    olga = {"Authorization": f"Bearer {_login(live_api, 'olga', PASSWORD).json()['token']}"}
    gone = {"Authorization": f"Bearer {_login(live_api, 'gone', PASSWORD).json()['token']}"}
    with live_api.client() as client:
        assert client.post("/api/vehicle/hold", headers=olga).status_code in (200, 409)
        store.remove("gone")  # what `gcs user remove gone` does
        r = client.get("/status", headers=gone)
        assert r.status_code == 401 and "no longer exists" in r.json()["detail"], r.text
        store.add("olga", PASSWORD, "viewer", replace=True)  # downgraded while signed in
        r = client.post("/api/vehicle/hold", headers=olga)
        assert r.status_code == 403 and "needs operator" in r.json()["detail"], r.text
        assert client.get("/status", headers=olga).status_code == 200  # still a viewer
    # a CLI token (no account behind it) is unaffected by the accounts file
    cli = live_api.authority.create(Role.OPERATOR)
    assert live_api.authority.verify(cli).role.name == "OPERATOR"


def test_an_unknown_name_costs_the_same_scrypt_work_as_a_wrong_password(
    live_api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Login timing must not tell which names exist: the real scrypt runs for both, with the same cost."""
    import hashlib

    import gcs.core.accounts as accounts

    AccountStore().add("alice", PASSWORD, "operator")
    calls: list[tuple[object, ...]] = []
    real = hashlib.scrypt

    def counted(password: bytes, *, salt: bytes, n: int, r: int, p: int, dklen: int, **kw: object) -> bytes:
        calls.append((n, r, p, dklen))
        return real(password, salt=salt, n=n, r=r, p=p, dklen=dklen)

    monkeypatch.setattr(accounts.hashlib, "scrypt", counted)
    wrong = _login(live_api, "alice", "not the password")
    known_calls = list(calls)
    calls.clear()
    unknown = _login(live_api, "mallory", "not the password")
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
    assert known_calls == calls == [(accounts.SCRYPT_N, accounts.SCRYPT_R, accounts.SCRYPT_P, accounts.SCRYPT_LEN)]

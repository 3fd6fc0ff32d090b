"""User accounts for password sign-in: ``<data dir>/users.json``, mode 0600, scrypt hashes.

Why here and not in the API: the CLI (``gcs user add``) and the web face both need it, and the
core owns files under the data dir. The roles are the API's (viewer < operator < admin) spelt as
strings, so this module stays web-free. Passwords are never stored: each user keeps a random salt
and ``hashlib.scrypt(password, salt, n=2**14, r=8, p=1)`` (16 MB, ~50 ms: cheap for one sign-in,
expensive for a guesser with the file). ``verify`` spends the same work on an unknown name, so
response time does not tell which names exist.

Writes are atomic (temporary file + rename) and the file is created 0600; a file that cannot be
read is refused with its path and never overwritten.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.errors import GcsError
from gcs.core.logs.paths import data_dir

USERS_FILE = "users.json"
ROLES = ("viewer", "operator", "admin")
MIN_PASSWORD_LEN = 8
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
_FORMAT = 1
log = logging.getLogger(__name__)


class AccountError(GcsError):
    """A user account cannot be added, removed or read; the message says which and why."""


@dataclass(frozen=True)
class User:
    """One account as shown to people: never the hash."""

    name: str
    role: str
    created_s: float


def accounts_path() -> Path:
    """Where the accounts live: ``<data dir>/users.json`` (``KESTREL_DATA_DIR`` moves it)."""
    return data_dir() / USERS_FILE


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), the form kept in the file."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_LEN
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a ``hash_password`` string (constant-time compare)."""
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


_DUMMY_HASH = hash_password("not a password of anyone", b"kestrel-dummy-salt")


class AccountStore:
    """The accounts file. Thread-safe; every call reads the file, so the CLI's changes apply at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or accounts_path()
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, Any]] = {}
        self._cache_key: tuple[int, int] | None = None

    # ---- reading -----------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise AccountError(f"cannot read the accounts file {self.path}: {exc}") from exc
        self._tighten()
        try:
            data = json.loads(text)
            users = data["users"]
            if not isinstance(users, dict) or not all(
                isinstance(u, dict) and {"role", "password"} <= u.keys() for u in users.values()
            ):
                raise ValueError("unexpected layout")
        except (ValueError, KeyError, TypeError) as exc:
            raise AccountError(
                f"the accounts file {self.path} is damaged ({exc}); fix or move it aside — it is left as it is"
            ) from exc
        return users

    def _tighten(self) -> None:
        """A file others can read (copied by hand?) is put back to 0600, and the log says so."""
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                os.chmod(self.path, 0o600)
                log.warning("accounts file %s was mode %o: set to 600", self.path, mode)
        except OSError as exc:
            log.warning("cannot check the permissions of %s: %s", self.path, exc)

    def users(self) -> list[User]:
        """Every account, by name."""
        with self._lock:
            users = self._load()
        return [User(name, u["role"], float(u.get("created_s", 0.0))) for name, u in sorted(users.items())]

    def role_of(self, name: str) -> str | None:
        """The account's role now, or None if it does not exist (asked on every request with an
        account's token, so the parsed file is kept until its mtime or size changes)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AccountError(f"cannot read the accounts file {self.path}: {exc}") from exc
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if key != self._cache_key:
                self._cache, self._cache_key = self._load(), key
            user = self._cache.get(name)
        return str(user["role"]) if user is not None else None

    def has_users(self) -> bool:
        return bool(self.users())

    def verify(self, name: str, password: str) -> User | None:
        """The account when ``password`` is right; None otherwise (same work for unknown names)."""
        with self._lock:
            users = self._load()
        entry = users.get(name)
        ok = check_password(password, entry["password"] if entry else _DUMMY_HASH)
        if entry is None or not ok:
            return None
        return User(name, entry["role"], float(entry.get("created_s", 0.0)))

    # ---- changing ----------------------------------------------------------------------------

    def add(self, name: str, password: str, role: str, *, replace: bool = False) -> User:
        """Create an account (or, with ``replace``, set a new password and role for it)."""
        if not NAME_RE.match(name):
            raise AccountError(
                f"user name {name!r} is refused: 1-64 letters, digits, '_', '.', '@' or '-', "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}: use {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_LEN:
            raise AccountError(f"password too short: at least {MIN_PASSWORD_LEN} characters")
        hashed = hash_password(password)
        with self._lock:
            users = self._load()
            if name in users and not replace:
                raise AccountError(f"user {name!r} exists already (remove it first, or replace it)")
            created = time.time()
            users[name] = {"role": role, "password": hashed, "created_s": created}
            self._write(users)
        log.info("account %s (%s) saved in %s", name, role, self.path)
        return User(name, role, created)

    def remove(self, name: str) -> None:
        with self._lock:
            users = self._load()
            if name not in users:
                raise AccountError(f"there is no user {name!r}")
            del users[name]
            self._write(users)
        log.info("account %s removed from %s", name, self.path)

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        """Atomically, created 0600 (never a moment with wider permissions)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"format": _FORMAT, "users": users}, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise AccountError(f"cannot write the accounts file {self.path}: {exc}") from exc

"""Bearer-token auth: signed JWTs (HS256, PyJWT) carrying a role, checked the same by every face.

In the core (not the web face) because the API's routes, its WebSockets and the fleet's MQTT
command topics all verify the same tokens with the same rules, and the core must not import the web.

Roles are ordered: viewer (read) < operator (fly) < admin (config, tokens). The signing secret
lives in the user config dir (created once, mode 0600) or comes from KESTREL_API_SECRET; a secret
shorter than 32 characters is refused rather than silently used. Tokens are made offline with
``gcs token create --role ...`` so no route can mint one without an admin.
"""

from __future__ import annotations

import enum
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from gcs.core.accounts import AccountError
from gcs.core.errors import AuthError, RoleTooLow

ENV_SECRET = "KESTREL_API_SECRET"
SECRET_FILE = "api_secret"
ALGORITHM = "HS256"
ISSUER = "kestrel-gcs"
MIN_SECRET_LEN = 32


class Role(enum.IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise AuthError(f"unknown role {name!r}: use viewer, operator or admin") from None


@dataclass(frozen=True)
class Principal:
    """Who made a request, from a verified token."""

    subject: str
    role: Role
    token_id: str
    expires_s: float
    account: bool = False  # issued to a user account: its role can change (or vanish) while it lives
    token: str = field(default="", repr=False, compare=False)  # as presented: a relay forwards it with a command

    def require(self, role: Role) -> None:
        """RoleTooLow (HTTP 403) when this principal's role is below ``role``."""
        if self.role < role:
            raise RoleTooLow(f"role {self.role.name.lower()} may not do this: needs {role.name.lower()}")


def load_secret(config_dir: Path) -> str:
    """The signing secret: env override, else the file in ``config_dir`` (created on first use)."""
    env = os.environ.get(ENV_SECRET)
    if env is not None:
        if len(env) < MIN_SECRET_LEN:
            raise AuthError(f"{ENV_SECRET} is shorter than {MIN_SECRET_LEN} characters: refusing a weak secret")
        return env
    path = config_dir / SECRET_FILE
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < MIN_SECRET_LEN:
            raise AuthError(
                f"{path} holds a secret shorter than {MIN_SECRET_LEN} characters; delete it to make a new one"
            )
        return secret
    config_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret


class TokenAuthority:
    """Issues and verifies tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LEN:
            raise AuthError(f"API secret shorter than {MIN_SECRET_LEN} characters")
        self._secret = secret
        # For tokens from a password sign-in: the account's role now, None once it is removed.
        self.account_role: Callable[[str], str | None] | None = None

    def create(self, role: Role, *, ttl_hours: float = 12.0, subject: str = "cli", account: bool = False) -> str:
        """A signed token; ``account`` marks one issued to a user account, checked against it on every use."""
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": subject,
            "role": role.name.lower(),
            "iat": now,
            "exp": now + int(ttl_hours * 3600),
            "jti": uuid.uuid4().hex,
        }
        if account:
            claims["acct"] = True
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def _account_bound(self, subject: str, role: Role) -> Role:
        """A removed account's tokens stop at once; a downgraded one's carry the lower role."""
        if self.account_role is None:
            raise AuthError("this token belongs to a user account, and accounts are not available here")
        try:
            current = self.account_role(subject)
        except AccountError as exc:  # an unreadable or damaged accounts file fails closed, with why
            raise AuthError(f"cannot check the account {subject!r}: {exc}") from None
        if current is None:
            raise AuthError(f"the account {subject!r} no longer exists")
        return min(role, Role.parse(current))

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "role", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        role = Role.parse(str(claims["role"]))
        if claims.get("acct"):
            role = self._account_bound(str(claims["sub"]), role)
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            token_id=str(claims.get("jti", "")),
            expires_s=float(claims["exp"]),
            account=bool(claims.get("acct")),
            token=token,
        )

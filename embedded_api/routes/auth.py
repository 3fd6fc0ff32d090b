"""Password sign-in: ``POST /api/auth/login`` trades a user name and password for a bearer token.

The one mutating route open without a token (the route audit lists it by name). Accounts come
from ``gcs user add`` (``gcs.core.accounts``: scrypt hashes in ``<data dir>/users.json``); the
token is the same JWT ``gcs token create`` makes, with the account's role and its name as the
subject, so every other route treats both alike. A browser sign-in lives at most
``LOGIN_TTL_HOURS`` (or ``api.token_ttl_hours`` when shorter).

Guessing is slowed twice: scrypt makes each try cost ~50 ms of the server's time, and a strict
rate-limit group of its own, ``login``, allows ``LOGIN_PER_MINUTE`` tries per client address and
user name (and ``LOGIN_PER_MINUTE_PER_ADDRESS`` per address over all names) before 429 with
``Retry-After``; its state is in ``X-Login-RateLimit-Limit/-Remaining/-Reset``. These limits are
separate from the general buckets so a dashboard polling the API never spends them, and they
apply before the password is even checked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.auth import Role, TokenAuthority
from embedded_api.deps import ServiceDep
from embedded_api.ratelimit import Decision, RateLimiter
from gcs.core.accounts import AccountError, AccountStore

router = APIRouter(prefix="/api/auth", tags=["auth"])

LOGIN_GROUP = "login"
LOGIN_PER_MINUTE = 5
LOGIN_PER_MINUTE_PER_ADDRESS = 20
LOGIN_TTL_HOURS = 12.0


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=64, description="account name (gcs user add NAME)")]
    password: Annotated[str, Field(min_length=1, max_length=1024, description="the account's password")]


class LoginLimits:
    """The ``login`` group's buckets for one app: per (address, name) and per address."""

    def __init__(self) -> None:
        self.per_name = RateLimiter(lambda: LOGIN_PER_MINUTE)
        self.per_address = RateLimiter(lambda: LOGIN_PER_MINUTE_PER_ADDRESS)

    def hit(self, address: str, username: str) -> Decision:
        by_address = self.per_address.hit(address, LOGIN_GROUP)
        if not by_address.allowed:
            return by_address
        return self.per_name.hit(f"{address}|{username.lower()}", LOGIN_GROUP)


def _limits(request: Request) -> LoginLimits:
    limits = getattr(request.app.state, "login_limits", None)
    if limits is None:
        limits = request.app.state.login_limits = LoginLimits()
    return limits


def _accounts(request: Request) -> AccountStore:
    store = getattr(request.app.state, "accounts", None)
    if store is None:
        store = request.app.state.accounts = AccountStore()
    return store


def _headers(decision: Decision) -> dict[str, str]:
    """``X-Login-RateLimit-*`` (the general ``X-RateLimit-*`` headers describe the default group, which
    a sign-in also counts against) and ``Retry-After`` when refused."""
    out = {}
    for name, value in decision.headers():
        key = name.decode()
        out[key.replace("x-ratelimit-", "x-login-ratelimit-")] = value.decode()
    return out


@router.post(
    "/login",
    responses={
        401: {"description": "wrong user name or password (the same answer for both)"},
        429: {"description": "too many sign-in attempts from this address: Retry-After says when to try again"},
    },
)
def login(request: Request, service: ServiceDep, body: LoginBody) -> JSONResponse:
    """Sign in with a user name and password (`gcs user add`); answers a bearer token with the account's role."""
    address = request.client.host if request.client else "unknown"
    decision = _limits(request).hit(address, body.username)
    if not decision.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many sign-in attempts: {decision.limit} per minute; retry in {decision.retry_after_s} s",
            headers=_headers(decision),
        )
    store = _accounts(request)
    try:
        user = store.verify(body.username, body.password)
        none_yet = user is None and not store.has_users()
    except AccountError as exc:  # a damaged accounts file: the server's problem, said plainly
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"password sign-in is unavailable: {exc}") from None
    if user is None:
        detail = "wrong user name or password"
        if none_yet:
            detail = "this program has no user accounts (`gcs user add NAME --role R` makes one); sign in with a token"
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer", **_headers(decision)}
        )
    authority: TokenAuthority = request.app.state.authority
    ttl = min(LOGIN_TTL_HOURS, float(service.config.get("api", "token_ttl_hours")))
    role = Role.parse(user.role)
    token = authority.create(role, ttl_hours=ttl, subject=user.name, account=True)
    payload: dict[str, Any] = {
        "token": token,
        "token_type": "bearer",
        "username": user.name,
        "role": role.name.lower(),
        "expires_in_s": int(ttl * 3600),
    }
    return JSONResponse(payload, headers={**_headers(decision), "Cache-Control": "no-store"})

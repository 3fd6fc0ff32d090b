"""Rate limits per client and route group: a token bucket each, as plain ASGI middleware.

Why our own (about 150 lines) rather than slowapi/limits: those decorate each route and keep
fixed windows, while we need one rule for every route (a new route is limited without anyone
remembering to), WebSocket connects and WebSocket commands limited by the same buckets, the
limit read live from the config (``api.rate_limit_per_minute`` applies live), and headers on
every answer. A token bucket lets a short burst through and then holds the average.

Groups (N = ``api.rate_limit_per_minute``): ``default`` N/min; ``vehicle`` (``/api/vehicle/*``,
``/commands/*`` and their WebSocket twins) N/5; ``config_write`` (PUT/POST under ``/api/config``)
N/20; health probes are not limited. A client is its verified token (subject + token id), or
its IP address when it has none (so forged tokens do not buy fresh buckets).

Headers: ``X-RateLimit-Limit`` (requests per minute in the group), ``X-RateLimit-Remaining``
(whole requests left now), ``X-RateLimit-Reset`` (seconds until the bucket is full again);
when refused: 429 with ``Retry-After`` (seconds until the next request is allowed).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_api.auth import Principal, TokenAuthority
from embedded_api.stream.events import dumps
from gcs.core.errors import AuthError

GROUPS: dict[str, tuple[int, int]] = {"default": (1, 10), "vehicle": (5, 5), "config_write": (20, 3)}  # divisor, floor
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_BUCKETS = 10_000


def group_for(method: str, path: str) -> str | None:
    """The rate-limit group of a request, or None for the unlimited health probes."""
    if path == "/api/health" or path.startswith("/health/"):
        return None
    if path.startswith(("/api/vehicle/", "/commands/")):
        return "vehicle"
    if path.startswith("/api/config/") and method in _MUTATING:
        return "config_write"
    return "default"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_s).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after_s).encode()))
        return out


class RateLimiter:
    """Token buckets keyed by (client, group); capacity = the group's per-minute limit."""

    def __init__(self, per_minute: Callable[[], int], clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()
        self.refused = 0

    def limit(self, group: str) -> int:
        divisor, floor = GROUPS.get(group, GROUPS["default"])
        per_minute = self._per_minute()
        return min(per_minute, max(floor, per_minute // divisor))

    def hit(self, client: str, group: str) -> Decision:
        """Take one request from the bucket if there is one."""
        limit = self.limit(group)
        rate = limit / 60.0
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get((client, group), (float(limit), now))
            tokens = min(float(limit), tokens + (now - then) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            else:
                self.refused += 1
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now)
            self._buckets[(client, group)] = (tokens, now)
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=int(tokens),
            reset_s=math.ceil((limit - tokens) / rate),
            retry_after_s=0 if allowed else max(1, math.ceil((1.0 - tokens) / rate)),
        )

    def _prune(self, now: float) -> None:
        """Forget buckets idle long enough to be full again (they would start full anyway)."""
        stale = [key for key, (_, then) in self._buckets.items() if now - then > 60.0]
        for key in stale:
            del self._buckets[key]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            buckets = len(self._buckets)
        return {"per_minute": self._per_minute(), "buckets": buckets, "refused": self.refused}


class ClientKeys:
    """Who is asking: the verified token's subject and id, else the peer's address."""

    def __init__(self, authority: TokenAuthority) -> None:
        self._authority = authority
        self._cache: dict[str, Principal] = {}

    def principal(self, token: str) -> Principal | None:
        principal = self._cache.get(token)
        if principal is not None and principal.expires_s > time.time():
            return principal
        try:
            principal = self._authority.verify(token)
        except AuthError:
            return None
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[token] = principal
        return principal

    def key(self, scope: Scope) -> str:
        token = token_from_scope(scope)
        principal = self.principal(token) if token else None
        if principal is not None:
            return principal_key(principal)
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"


def principal_key(principal: Principal) -> str:
    """The bucket key of a verified caller (the same for its REST calls and WebSocket commands)."""
    return f"token:{principal.subject}:{principal.token_id}"


def token_from_scope(scope: Scope) -> str | None:
    """The bearer token of a request: ``Authorization: Bearer``, else ``?token=`` (SSE, WS)."""
    auth = Headers(scope=scope).get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return QueryParams(scope.get("query_string", b"").decode("latin-1")).get("token") or None


class RateLimitMiddleware:
    """Applies ``RateLimiter`` to every HTTP request and WebSocket connect."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, keys: ClientKeys) -> None:
        self.app = app
        self.limiter = limiter
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        group = group_for(scope.get("method", "GET"), scope["path"])
        if group is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.hit(self.keys.key(scope), group)
        if not decision.allowed:
            await self._refuse(scope, send, group, decision)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        extra = decision.headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope: Scope, send: Send, group: str, decision: Decision) -> None:
        body = dumps(
            {
                "detail": f"rate limit of {decision.limit} requests per minute for {group} routes exceeded; "
                f"retry in {decision.retry_after_s} s",
                "error": "RateLimited",
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += decision.headers()
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 429, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1013, "reason": "rate limited"})

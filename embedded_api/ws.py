"""WebSocket plumbing shared by the telemetry and job sockets: authentication and command messages.

Authentication: ``?token=<jwt>``, or (when the URL must not carry it) a first message
``{"type": "auth", "token": "<jwt>"}`` within ``ApiSettings.ws_auth_timeout_s``. A missing,
wrong or expired token, or a role too low for the socket, closes it with 1008 (policy
violation) and a reason. The socket is accepted first so the client can read that close code.

Commands: ``{"type": "command", "name": "arm", "args": {"vehicle": 1}, "id": "c1"}``, with the
names and role rules of ``commands.COMMANDS`` and the same rate-limit buckets as REST; the reply
is ``{"type": "command_result", "id": "c1", "name": "arm", "ok": true, "status": 200,
"result": {...}}`` or ``ok: false`` with ``status`` (403, 404, 409, 422, 429, 504...), ``error``
(the message) and, for a refusal by the vehicle, ``mav_result`` (e.g. DENIED).
An expired token closes the socket (1008) instead of running the command.

Authority is checked per message, not per connection: each command re-verifies the token, so an
account removed since the socket opened gets ``status: 401`` with the reason and the socket is
closed with 4401; one downgraded below what the command needs gets ``status: 403`` and 4403. A
socket opened with an account's token also re-checks the account every
``ApiSettings.authority_check_s`` (``watch_caller``), so a removed account's telemetry stops
within a second even if it never sends anything.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from embedded_api.auth import Principal, Role, TokenAuthority
from embedded_api.commands import COMMANDS, run_command
from embedded_api.errors import error_body, http_status, plain_errors
from embedded_api.ratelimit import principal_key
from embedded_api.runtime import ApiRuntime
from gcs.core.errors import AuthError, GcsError
from gcs.core.service import GcsService

POLICY_VIOLATION = 1008
ACCOUNT_GONE = 4401  # the account behind the token was removed (or its token no longer verifies)
ACCOUNT_DOWNGRADED = 4403  # the account's role is now below what the socket or the command needs


class PolicyClose(Exception):
    """Close the socket with ``code`` (1008 unless said) and this reason, after sending ``reply``."""

    def __init__(self, reason: str, code: int = POLICY_VIOLATION, reply: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reply = reply


class Caller:
    """Who holds a socket: the token it opened with, re-verified whenever authority matters."""

    def __init__(self, authority: TokenAuthority, token: str, principal: Principal) -> None:
        self._authority = authority
        self._token = token
        self.principal = principal
        self.opened_role = principal.role

    def current(self) -> Principal:
        """The principal now; PolicyClose when the token expired (1008) or the account is gone (4401)."""
        try:
            self.principal = self._authority.verify(self._token)
        except AuthError as exc:
            reason = str(exc)
            raise PolicyClose(reason, POLICY_VIOLATION if "expired" in reason else ACCOUNT_GONE) from None
        return self.principal

    def check(self, needs: Role) -> Principal:
        """``current()``, and 4403 once the role fell below ``needs`` (an account downgraded)."""
        principal = self.current()
        if principal.role < needs:
            raise PolicyClose(
                f"role is now {principal.role.name.lower()}: needs {needs.name.lower()}", ACCOUNT_DOWNGRADED
            )
        return principal


async def watch_caller(caller: Caller, needs: Role, interval_s: float) -> None:
    """Re-check an account's socket every ``interval_s``; raises PolicyClose when it may not stay.
    Tokens not bound to an account cannot change: they only expire, which the senders check."""
    if not caller.principal.account:
        await asyncio.Event().wait()  # never returns: FIRST_COMPLETED must not end the socket
    while True:
        await asyncio.sleep(interval_s)
        caller.check(needs)


async def _close(websocket: WebSocket, reason: str) -> None:
    try:
        await websocket.close(POLICY_VIOLATION, reason[:120])
    except (RuntimeError, WebSocketDisconnect):  # the client went away first
        return


async def _first_message_token(websocket: WebSocket, timeout_s: float) -> str:
    try:
        async with asyncio.timeout(timeout_s):
            message = await websocket.receive()
    except TimeoutError:
        raise PolicyClose(f"no token: use ?token= or send an auth message within {timeout_s:g} s") from None
    raw = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
    try:
        data = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or data.get("type") != "auth" or not isinstance(data.get("token"), str):
        raise PolicyClose('first message must be {"type": "auth", "token": "<jwt>"}')
    token: str = data["token"]
    return token


async def authenticate(websocket: WebSocket, token: str | None, role: Role, timeout_s: float) -> Caller | None:
    """Accept, then verify; returns None (socket closed with 1008) when the caller may not stay."""
    await websocket.accept()
    authority: TokenAuthority = websocket.app.state.authority
    try:
        if not token:
            token = await _first_message_token(websocket, timeout_s)
        try:
            principal = authority.verify(token)
        except AuthError as exc:
            raise PolicyClose(str(exc)) from None
        if principal.role < role:
            raise PolicyClose(f"role {principal.role.name.lower()} may not open this socket: needs {role.name.lower()}")
    except PolicyClose as exc:
        await _close(websocket, str(exc))
        return None
    except WebSocketDisconnect:
        return None
    return Caller(authority, token, principal)


def _reply(request_id: Any, name: Any, status: int, **fields: Any) -> dict[str, Any]:
    return {"type": "command_result", "id": request_id, "name": name, "ok": status == 200, "status": status, **fields}


async def handle_client_message(
    raw: str, caller: Caller, service: GcsService, runtime: ApiRuntime
) -> dict[str, Any] | None:
    """Run one client message; returns the reply to send (None for messages that need none).

    Raises PolicyClose when the token has expired (1008), or (with the reply to send first) when
    the account was removed (4401) or downgraded below the command (4403).
    """
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, an int beyond 4300 digits, nesting too deep
        return {"type": "error", "status": 400, "error": f"not JSON we can read: {str(exc)[:200]}"}
    if not isinstance(message, dict):
        return {"type": "error", "status": 400, "error": "a message must be a JSON object"}
    kind = message.get("type")
    if kind == "ping":
        return {"type": "pong", "id": message.get("id"), "time": time.time()}
    if kind == "auth":
        return None  # a repeated auth message (the first one already counted) is harmless
    if kind != "command":
        return {"type": "error", "status": 400, "error": f"unknown message type {kind!r}: use command or ping"}
    request_id, name = message.get("id"), message.get("name")
    try:
        principal = caller.current()  # per message: the account may have changed since the socket opened
    except PolicyClose as exc:
        if exc.code == ACCOUNT_GONE:
            exc.reply = _reply(request_id, name, 401, error=str(exc))
        raise
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        return _reply(request_id, name, 404, error=f"no command {name!r} (known: {', '.join(sorted(COMMANDS))})")
    if principal.role < spec.role:
        needs = spec.role.name.lower()
        error = f"role {principal.role.name.lower()} may not do this: needs {needs}"
        if principal.role < caller.opened_role:  # downgraded since the socket opened
            error = f"account downgraded to {principal.role.name.lower()}: {name} needs {needs}"
            raise PolicyClose(error, ACCOUNT_DOWNGRADED, _reply(request_id, name, 403, error=error))
        return _reply(request_id, name, 403, error=error)
    decision = runtime.limiter.hit(principal_key(principal), spec.group)
    if not decision.allowed:
        return _reply(
            request_id,
            name,
            429,
            error=f"rate limit of {decision.limit}/min for {spec.group} commands exceeded",
            retry_after_s=decision.retry_after_s,
        )
    try:
        args = spec.args.model_validate(message.get("args") or {})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        return _reply(request_id, name, 422, error=plain_errors(errors))
    try:
        result = await run_in_threadpool(run_command, service, spec, args, principal)
    except GcsError as exc:
        body = error_body(exc)
        return _reply(
            request_id,
            name,
            http_status(exc),
            error=body["detail"],
            error_type=body["error"],
            mav_result=body.get("result"),
        )
    return _reply(request_id, name, 200, result=result)

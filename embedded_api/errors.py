"""Core errors -> HTTP status codes and bodies, in one table for REST and WebSocket replies alike."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketState

from gcs.core.errors import (
    AuthError,
    CommandRejected,
    CommandTimeout,
    ConfigError,
    GcsError,
    LinkError,
    UnsupportedMode,
    VehicleNotFound,
)
from gcs.core.logs.ingest import DiskFull

STATUS: tuple[tuple[type[GcsError], int], ...] = (
    (VehicleNotFound, 404),
    (CommandRejected, 409),  # the vehicle (or a local safety rule) refused: body carries MAV_RESULT
    (CommandTimeout, 504),  # no COMMAND_ACK after every retry
    (ConfigError, 422),
    (UnsupportedMode, 422),
    (AuthError, 401),
    (LinkError, 502),
    (DiskFull, 507),  # free disk below logging.min_free_disk_mb: nothing was stored
)


def http_status(exc: GcsError) -> int:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def error_body(exc: GcsError) -> dict[str, Any]:
    """``{"detail": message, "error": class name, "result": MAV_RESULT (commands only)}``."""
    body: dict[str, Any] = {"detail": str(exc), "error": type(exc).__name__}
    result = getattr(exc, "result", "")
    if result:
        body["result"] = result
    command = getattr(exc, "command", "")
    if command:
        body["command"] = command
    return body


async def websocket_validation_denied(websocket: WebSocket, exc: Exception) -> None:
    """A WebSocket whose query is invalid (``?rate=0``) is refused at the handshake with HTTP 422 and
    the same field-naming body as REST, instead of FastAPI's bare 1008 (which a client sees as 403)."""
    assert isinstance(exc, WebSocketRequestValidationError)
    errors = jsonable_encoder(exc.errors())
    can_deny = "websocket.http.response" in websocket.scope.get("extensions", {})
    if can_deny and websocket.client_state is WebSocketState.CONNECTING:
        await websocket.send_denial_response(JSONResponse({"detail": errors}, status_code=422))
        return
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    await websocket.close(1008, f"{where}: {first.get('msg', 'invalid request')}"[:120])

"""Core errors -> HTTP status codes and bodies, in one table for REST and WebSocket replies alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketState

from gcs.core.errors import (
    AlertNotFound,
    AuthError,
    CommandRejected,
    CommandTimeout,
    ConfigError,
    GcsError,
    LinkError,
    MissionInvalid,
    MissionRefused,
    MissionTimeout,
    ParamInvalid,
    ParamNeedsConfirm,
    ParamRefused,
    ParamTimeout,
    ParamUnknown,
    ReadOnlyLink,
    RoleTooLow,
    UnsupportedMode,
    VehicleNotFound,
)
from gcs.core.logs.ingest import DiskFull
from gcs.core.tracking.errors import SelectionRefused

STATUS: tuple[tuple[type[GcsError], int], ...] = (
    (VehicleNotFound, 404),
    (AlertNotFound, 404),
    (CommandRejected, 409),  # the vehicle (or a local safety rule) refused: body carries MAV_RESULT
    (CommandTimeout, 504),  # no COMMAND_ACK after every retry
    (ConfigError, 422),
    (UnsupportedMode, 422),
    (SelectionRefused, 422),  # tried on a frame and refused there: e.g. no detection under the click
    (RoleTooLow, 403),  # a valid token with too low a role (the core checks it for MQTT commands)
    (AuthError, 401),
    (ParamUnknown, 404),  # no such parameter on the vehicle (or its list is not downloaded yet)
    (ParamInvalid, 422),  # not a value of the parameter's type, or an unreadable parameter file
    (ParamNeedsConfirm, 409),  # outside the documented range: send again with confirm
    (ParamRefused, 409),  # the vehicle kept another value (its STATUSTEXT says why)
    (ParamTimeout, 504),  # no PARAM_VALUE after every retry
    (ReadOnlyLink, 409),  # a replayed vehicle: "read-only replay"
    (MissionInvalid, 422),  # a malformed mission file or item (the line and why)
    (MissionRefused, 409),  # MISSION_ACK with an error (the vehicle's STATUSTEXT says why)
    (MissionTimeout, 504),  # the vehicle stopped answering a transfer
    (LinkError, 502),
    (DiskFull, 507),  # free disk below logging.min_free_disk_mb: nothing was stored
)


def plain_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors as ``loc``/``msg``/``type`` only: never the ``input`` (FastAPI's default
    handler echoes it, so a 10 MB body came back as a 10 MB reply) nor ``ctx`` objects."""
    out = []
    for error in errors:
        item = {key: error[key] for key in ("type", "loc", "msg") if key in error}
        out.append(jsonable_encoder(item))
    return out


async def request_validation_failed(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each field and what is wrong with it, without repeating what was sent."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": plain_errors(exc.errors())}, status_code=422)


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
    errors = plain_errors(exc.errors())
    can_deny = "websocket.http.response" in websocket.scope.get("extensions", {})
    if can_deny and websocket.client_state is WebSocketState.CONNECTING:
        await websocket.send_denial_response(JSONResponse({"detail": errors}, status_code=422))
        return
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    await websocket.close(1008, f"{where}: {first.get('msg', 'invalid request')}"[:120])

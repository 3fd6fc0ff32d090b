"""create_app(service): the FastAPI application, a thin face over GcsService.

Routes only translate HTTP to service calls; core errors are mapped to status codes here once
(GcsError subclasses -> 4xx with the core's message), so no route hides logic of its own.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from embedded_api.auth import TokenAuthority
from embedded_api.routes import health, telemetry
from gcs import __version__
from gcs.core.errors import (
    AuthError,
    CommandRejected,
    CommandTimeout,
    ConfigError,
    GcsError,
    LinkError,
    VehicleNotFound,
)
from gcs.core.service import GcsService

_STATUS: tuple[tuple[type[GcsError], int], ...] = (
    (VehicleNotFound, 404),
    (CommandRejected, 409),
    (CommandTimeout, 504),
    (ConfigError, 422),
    (AuthError, 401),
    (LinkError, 502),
)


def create_app(service: GcsService, authority: TokenAuthority) -> FastAPI:
    app = FastAPI(
        title="Kestrel GCS API",
        version=__version__,
        description="Everything the pilot sees and does, for remote browsers and scripts. "
        "Bearer tokens: `gcs token create --role viewer|operator|admin`.",
    )
    app.state.service = service
    app.state.authority = authority

    @app.exception_handler(GcsError)
    async def _gcs_error(_: Request, exc: GcsError) -> JSONResponse:
        code = next((c for t, c in _STATUS if isinstance(exc, t)), 400)
        body: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
        result = getattr(exc, "result", "")
        if result:
            body["result"] = result
        return JSONResponse(body, status_code=code)

    app.include_router(health.router)
    app.include_router(telemetry.router)
    return app

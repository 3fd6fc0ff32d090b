"""create_app(service, authority): the FastAPI application, a thin face over GcsService.

Routes only translate HTTP to service calls; core errors are mapped to status codes here once
(``errors.STATUS``: GcsError subclasses -> 4xx/5xx with the core's message), so no route hides
logic of its own. Middleware, outermost first: gzip (large JSON only; event streams bypass it),
CORS (only when ``api.cors_origins`` lists origins: nothing is open by default), rate limits
(``ratelimit``), body limits (``limits``: size per route, arrival time, JSON depth). Roles:
health and docs are public; every other route needs a token.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from embedded_api.auth import TokenAuthority
from embedded_api.docs import add_offline_docs
from embedded_api.errors import error_body, http_status, request_validation_failed, websocket_validation_denied
from embedded_api.limits import BodyLimitMiddleware, WebSocketLimitMiddleware
from embedded_api.ratelimit import RateLimitMiddleware
from embedded_api.routes import (
    actions,
    alerts,
    commands,
    config,
    dashboard,
    health,
    ingest,
    jobs,
    missions,
    params,
    recording,
    replay,
    status,
    streams,
    telemetry,
    tracking,
    vehicle,
    video,
    webrtc,
)
from embedded_api.routes import auth as auth_routes
from embedded_api.routes import map as map_routes  # password sign-in (POST /api/auth/login)
from embedded_api.runtime import ApiRuntime
from embedded_api.settings import ApiSettings
from gcs import __version__
from gcs.core.accounts import AccountStore
from gcs.core.errors import GcsError
from gcs.core.service import GcsService

# Routes anyone may call without a token (the route-audit test holds every other route to a role).
PUBLIC_PATHS = frozenset(
    {"/api/health", "/health/live", "/health/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
RATE_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]
STREAM_PATHS = ("/sse/", "/video_feed")  # endless responses: never gzip (per client!), no wrapper per write


class GZipExceptStreams:
    """gzip for ordinary responses; streams (SSE, MJPEG) bypass it: compressing them would be done
    per client, undoing encode-once, and it saves a wrapper on each of their many small writes."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(STREAM_PATHS):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(service: GcsService, authority: TokenAuthority, settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    app = FastAPI(
        title="Kestrel GCS API",
        version=__version__,
        description="Everything the pilot sees and does, for remote browsers and scripts. "
        "Bearer tokens: `gcs token create --role viewer|operator|admin` (viewer reads and streams, "
        "operator also flies, admin also changes settings). Binary schema: resources/proto/kestrel.proto.",
        docs_url=None,  # add_offline_docs serves /docs and /redoc without a CDN
        redoc_url=None,
    )
    add_offline_docs(app)
    runtime = ApiRuntime(service, authority, settings)
    app.state.service = service
    app.state.authority = authority
    app.state.accounts = AccountStore()  # sign-in, and the check that an account's tokens are still its own
    authority.account_role = app.state.accounts.role_of
    app.state.runtime = runtime

    @app.exception_handler(GcsError)
    async def _gcs_error(_: Request, exc: GcsError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=http_status(exc))

    app.add_exception_handler(WebSocketRequestValidationError, websocket_validation_denied)
    app.add_exception_handler(RequestValidationError, request_validation_failed)

    for module in (health, status, telemetry, vehicle, actions, commands, config, streams, ingest, jobs, replay):
        app.include_router(module.router)
    app.include_router(params.router)  # vehicle parameters: list, set, files, diff
    app.include_router(missions.router)  # missions, geofence, rally: lists, files, upload, start
    app.include_router(alerts.router)  # alerts: list, acknowledge
    app.include_router(map_routes.router)  # the map's snapshot and tiles
    for module in (video, webrtc, recording, tracking, dashboard):  # video, tracking/follow, the browser dashboard at /
        app.include_router(module.router)

    app.include_router(auth_routes.router)
    # Inside the rate limit, so a 429 reads nothing; outside every route, so no route is forgotten.
    app.add_middleware(BodyLimitMiddleware, settings=settings, on_refused=runtime.body_refused)
    app.add_middleware(WebSocketLimitMiddleware, gate=runtime.websockets)
    app.add_middleware(RateLimitMiddleware, limiter=runtime.limiter, keys=runtime.keys)
    origins = list(service.config.get("api", "cors_origins"))
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=RATE_HEADERS,
            max_age=600,
        )
    app.add_middleware(GZipExceptStreams, minimum_size=settings.gzip_min_bytes)
    return app

"""OpenAPI pages that work offline: Swagger UI at ``/docs`` and ReDoc at ``/redoc``, from local files.

FastAPI's own pages load their JavaScript and CSS from a CDN, so on a field laptop without
internet (or behind a strict firewall) they stay blank. The same assets ship inside the
``fastapi-offline`` package (Swagger UI bundle and CSS, ReDoc standalone, a favicon); we serve
them from ``/docs/static`` and build the pages with FastAPI's own HTML helpers, so nothing is
fetched from outside: ReDoc's Google font is left out, and the one CDN image inside ReDoc's bundle
(the "powered by" logo, which hides itself when it fails to load) is pointed at nothing, so the
browser never tries the CDN. Public, like the OpenAPI schema.
"""

from __future__ import annotations

import logging
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

log = logging.getLogger(__name__)
ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSET_URL = "/docs/static"
DOCS_URL, REDOC_URL, OAUTH2_REDIRECT_URL = "/docs", "/redoc", "/docs/oauth2-redirect"
REDOC_JS_URL = "/docs/redoc.standalone.js"  # the bundle, less its CDN logo
REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


def offline_redoc_bundle() -> bytes:
    """ReDoc's standalone bundle with its CDN logo URL emptied (the logo then hides itself)."""
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_CDN_LOGO, b"")


def _add_missing_docs(app: FastAPI, reason: str) -> None:
    """/docs and /redoc answer 503 with the reason (and the log says it once) instead of a blank page."""
    log.error("%s; /docs and /redoc are unavailable (the schema is still at /openapi.json)", reason)

    async def missing(_: Request) -> Response:
        return PlainTextResponse(f"{reason}. The OpenAPI schema is at /openapi.json.", status_code=503)

    app.add_route(DOCS_URL, missing, include_in_schema=False)
    app.add_route(REDOC_URL, missing, include_in_schema=False)


def add_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc from packaged assets; ``app`` was made with docs_url=redoc_url=None."""
    if not (ASSETS / "swagger-ui-bundle.js").is_file():  # a broken install: the API still runs; say why
        _add_missing_docs(app, f"the API docs' files are missing from {ASSETS}: reinstall fastapi-offline")
        return
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSET_URL, StaticFiles(directory=ASSETS), name="docs-static")
    redoc_bundle = offline_redoc_bundle()

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{ASSET_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSET_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSET_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True, **(app.swagger_ui_parameters or {})},
        )

    async def oauth2_redirect(_: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{REDOC_JS_URL}",
            redoc_favicon_url=f"{root}{ASSET_URL}/favicon.png",
            with_google_fonts=False,
        )

    async def redoc_js(_: Request) -> Response:
        return Response(redoc_bundle, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(REDOC_JS_URL, redoc_js, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)

"""The browser dashboard: static files from ``embedded_api/web`` at ``/`` (no token: it holds none).

Plain HTML, CSS and JavaScript modules served from the package itself: no build step, no CDN,
nothing fetched from elsewhere. The page asks for a token and then calls the same routes as any
other client, so the API's roles decide what it may do. The routes stay out of the OpenAPI schema
(they are not API) and send a strict Content-Security-Policy: scripts, styles, images and
sockets of this origin only.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the MJPEG fallback puts the token in an image URL
    "Cache-Control": "no-cache",  # revalidate (ETag): a new version of the program is picked up at once
}
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/svg+xml", ".svg")


def _file(relative: str) -> FileResponse:
    root = WEB_DIR.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {relative!r} in the dashboard")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=SECURITY_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def index() -> FileResponse:
    """The dashboard page."""
    return _file("index.html")


@router.get("/dashboard")
def dashboard_alias() -> RedirectResponse:
    """Old bookmarks and typed addresses: the dashboard lives at /."""
    return RedirectResponse("/", status_code=status.HTTP_308_PERMANENT_REDIRECT)


@router.get("/web/{relative:path}")
def static(relative: str) -> FileResponse:
    """Scripts, styles and icons of the dashboard."""
    return _file(relative)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The tab icon (browsers ask for this path whatever the page says)."""
    return _file("icon.svg")

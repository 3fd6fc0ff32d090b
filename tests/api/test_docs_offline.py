"""/docs (Swagger UI) and /redoc (ReDoc) answer and render with no network beyond the server itself.

The HTTP test checks the pages name only local assets and those assets are served; the browser
test loads both pages in Debian's Chromium (Playwright) with every request that leaves the
server aborted and recorded, and waits for the rendered operations. ``KESTREL_DOCS_SCREENSHOT``
names a folder to keep the screenshots in (the README's come from there).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.api.conftest import LiveApi

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_docs_and_redoc_answer_with_local_assets_only(live_api: LiveApi) -> None:
    with live_api.client() as anonymous:  # public, like the schema
        for page, assets in (
            ("/docs", ["/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"]),
            ("/redoc", ["/docs/redoc.standalone.js"]),
        ):
            r = anonymous.get(page)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), page
            referenced = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(r"url: ?'([^']+)'", r.text)
            external = [u for u in referenced if urlparse(u).scheme in ("http", "https")]
            assert external == [], f"{page} still loads {external}"
            for asset in assets:
                assert asset in r.text, (page, asset)
                got = anonymous.get(asset)
                assert got.status_code == 200 and len(got.content) > 100_000, asset
                assert b"cdn.redoc.ly" not in got.content, asset
        schema = anonymous.get("/openapi.json").json()
        assert schema["info"]["title"] == "Kestrel GCS API"
        assert "/api/video/recording/start" in schema["paths"] and "/api/vehicle/arm" in schema["paths"]


def _browser_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Debian chromium is not installed ({CHROMIUM}): apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e .[dev])"
    return None


@pytest.mark.slow
def test_docs_render_in_chromium_without_internet(live_api: LiveApi, tmp_path: Path) -> None:
    reason = _browser_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    server = urlparse(live_api.url).netloc
    left: list[str] = []
    errors: list[str] = []
    shots = Path(os.environ.get("KESTREL_DOCS_SCREENSHOT") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    def only_the_server(route: Any) -> None:
        if urlparse(route.request.url).netloc == server:
            route.continue_()
        else:  # what a CDN-backed page would need: refuse and remember it
            left.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", only_the_server)

            page.goto(f"{live_api.url}/docs")
            page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
            with live_api.client() as c:
                schema = c.get("/openapi.json").json()
            expected = sum(len(methods) for methods in schema["paths"].values())
            operations = page.locator(".swagger-ui .opblock").count()
            assert operations == expected > 50, f"Swagger UI shows {operations} of {expected} operations"
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("Kestrel GCS API")
            assert page.locator(".swagger-ui .btn.authorize").count() == 1  # bearer tokens can be entered
            page.screenshot(path=str(shots / "api_docs.png"))

            page.goto(f"{live_api.url}/redoc")
            page.get_by_text("Start recording the video", exact=False).first.wait_for(timeout=30_000)
            assert page.locator("h1").first.inner_text().startswith("Kestrel GCS API")
            page.screenshot(path=str(shots / "api_redoc.png"))
        finally:
            browser.close()
    assert left == [], f"the docs tried to leave the server: {left}"
    assert errors == [], errors
    assert (shots / "api_docs.png").stat().st_size > 20_000


def test_missing_doc_assets_leave_the_api_running_and_say_why(
    make_live_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embedded_api.docs

    monkeypatch.setattr(embedded_api.docs, "ASSETS", tmp_path / "nothing-here")
    api: LiveApi = make_live_api()
    with api.client("viewer") as c:
        for page in ("/docs", "/redoc"):
            r = c.get(page)
            assert r.status_code == 503 and "reinstall fastapi-offline" in r.text, page
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/api/telemetry").status_code == 200  # the API itself is unaffected

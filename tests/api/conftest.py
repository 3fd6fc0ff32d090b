"""A real uvicorn server on a loopback port, over a real service flying the simulator.

``live_api`` is the default server; ``make_live_api(**config)`` builds one with settings changed
first (``api__rate_limit_per_minute=10``) or other ``ApiSettings``. Clients are real: httpx for
REST and SSE, the websockets library for WebSockets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.sync.client import ClientConnection, connect

from embedded_api import ApiServer, create_app
from embedded_api.auth import Role, TokenAuthority, load_secret
from embedded_api.settings import ApiSettings
from gcs.core.service import GcsService
from tests.conftest import SHARED_DATA

TEST_SETTINGS = ApiSettings(tlog_roots=(SHARED_DATA / "tlogs",), keepalive_s=0.5, ws_auth_timeout_s=1.0)


@dataclass
class LiveApi:
    url: str
    service: GcsService
    authority: TokenAuthority
    app: FastAPI
    server: ApiServer
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def token(self, role: str) -> str:
        """One token per role per server (a fresh one each call would be a fresh rate-limit bucket)."""
        if role not in self._tokens:
            self._tokens[role] = self.authority.create(Role.parse(role), ttl_hours=1, subject=f"test-{role}")
        return self._tokens[role]

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"} if role else {}

    def client(self, role: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(role), timeout=10.0)


@pytest.fixture
def make_live_api(make_service: Callable[..., Any], config_dir: Any) -> Iterator[Callable[..., LiveApi]]:
    servers: list[ApiServer] = []

    def factory(flavour: str | None = "px4", settings: ApiSettings = TEST_SETTINGS, **config: Any) -> LiveApi:
        service: GcsService = make_service(flavour, **config)
        authority = TokenAuthority(load_secret(config_dir))
        app = create_app(service, authority, settings)
        server = ApiServer(app, host="127.0.0.1", port=0)
        server.start()
        servers.append(server)
        return LiveApi(server.url, service, authority, app, server)

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def live_api(make_live_api: Callable[..., LiveApi]) -> LiveApi:
    return make_live_api()


def ws_connect(url: str) -> ClientConnection:
    """A websockets client that buffers everything it is sent, so closing never waits on unread data."""
    return connect(url, max_queue=None, close_timeout=2, open_timeout=5)


def read_sse(
    response: httpx.Response, stop: Callable[[list[dict[str, Any]]], bool], limit: int = 5000
) -> list[dict[str, Any]]:
    """Parse an open SSE response into events ({event, id, data, comment}) until ``stop(events)``."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if line == "":
            if current:
                if "data" in current:
                    current["data"] = json.loads(current["data"])
                events.append(current)
                current = {}
                if stop(events) or len(events) >= limit:
                    return events
            continue
        if line.startswith(":"):
            events.append({"comment": line[1:].strip()})
            if stop(events):
                return events
            continue
        name, _, value = line.partition(":")
        current[name] = value.removeprefix(" ")
    return events

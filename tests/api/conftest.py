"""A real uvicorn server on a loopback port, over a real service flying the simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from embedded_api import ApiServer, create_app
from embedded_api.auth import Role, TokenAuthority, load_secret


@dataclass
class LiveApi:
    url: str
    service: object
    authority: TokenAuthority

    def token(self, role: str) -> str:
        return self.authority.create(Role.parse(role), ttl_hours=1, subject=f"test-{role}")

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)


@pytest.fixture
def live_api(make_service: Callable[..., object], config_dir: Path) -> Iterator[LiveApi]:
    service = make_service("px4")
    authority = TokenAuthority(load_secret(config_dir))
    server = ApiServer(create_app(service, authority), host="127.0.0.1", port=0)  # type: ignore[arg-type]
    server.start()
    try:
        yield LiveApi(server.url, service, authority)
    finally:
        server.stop()

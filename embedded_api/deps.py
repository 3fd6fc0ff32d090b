"""FastAPI dependencies as Annotated aliases: the service, the runtime, and the caller's verified role.

``Viewer``/``Operator``/``Admin`` read ``Authorization: Bearer``. ``StreamViewer`` also takes
``?token=`` because a browser's EventSource cannot set headers (SSE routes only; the API does not
log URLs). WebSockets authenticate in ``ws_auth`` (query token or first message).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from embedded_api.auth import Principal, Role, TokenAuthority
from embedded_api.runtime import ApiRuntime
from gcs.core.errors import AuthError
from gcs.core.service import GcsService

_bearer = HTTPBearer(auto_error=False, description="JWT from `gcs token create --role viewer|operator|admin`")


def get_service(request: Request) -> GcsService:
    service: GcsService = request.app.state.service
    return service


def get_runtime(request: Request) -> ApiRuntime:
    runtime: ApiRuntime = request.app.state.runtime
    return runtime


def _authority(request: Request) -> TokenAuthority:
    authority: TokenAuthority = request.app.state.authority
    return authority


def check_token(authority: TokenAuthority, token: str | None, role: Role) -> Principal:
    """The principal of ``token`` if its role is at least ``role``; HTTPException 401/403 otherwise."""
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (make one with `gcs token create --role viewer`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        principal = authority.verify(token)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    if principal.role < role:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {principal.role.name.lower()} may not do this: needs {role.name.lower()}",
        )
    return principal


def require(role: Role) -> Callable[..., Principal]:
    """Dependency factory: 401 without a valid bearer token, 403 when its role is below ``role``."""

    def check(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        token = creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else None
        principal = check_token(_authority(request), token, role)
        request.state.principal = principal
        return principal

    return check


def require_stream(role: Role) -> Callable[..., Principal]:
    """Like ``require`` but also accepts ``?token=`` (for EventSource, which cannot send headers)."""

    def check(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        token: Annotated[str | None, Query(description="bearer token, for clients that cannot set headers")] = None,
    ) -> Principal:
        header = creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else None
        principal = check_token(_authority(request), header or token, role)
        request.state.principal = principal
        return principal

    return check


ServiceDep = Annotated[GcsService, Depends(get_service)]
RuntimeDep = Annotated[ApiRuntime, Depends(get_runtime)]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
StreamViewer = Annotated[Principal, Depends(require_stream(Role.VIEWER))]

"""FastAPI dependencies as Annotated aliases: the service, and the caller's verified role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from embedded_api.auth import Principal, Role, TokenAuthority
from gcs.core.errors import AuthError
from gcs.core.service import GcsService

_bearer = HTTPBearer(auto_error=False, description="JWT from `gcs token create --role viewer|operator|admin`")


def get_service(request: Request) -> GcsService:
    service: GcsService = request.app.state.service
    return service


def _authority(request: Request) -> TokenAuthority:
    authority: TokenAuthority = request.app.state.authority
    return authority


def require(role: Role):  # type: ignore[no-untyped-def]
    """Dependency factory: 401 without a valid token, 403 when its role is below ``role``."""

    def check(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer":
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing bearer token (make one with `gcs token create --role viewer`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            principal = _authority(request).verify(creds.credentials)
        except AuthError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if principal.role < role:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.name.lower()} may not do this: needs {role.name.lower()}",
            )
        request.state.principal = principal
        return principal

    return check


ServiceDep = Annotated[GcsService, Depends(get_service)]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

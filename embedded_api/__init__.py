"""The embedded web API: a thin FastAPI face over GcsService, served by uvicorn on its own thread."""

from embedded_api.app import create_app
from embedded_api.server import ApiServer

__all__ = ["ApiServer", "create_app"]

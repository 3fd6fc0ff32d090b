"""Vehicle parameters: list and export (viewer role), set, refresh, diff and apply files (operator role).

The first GET starts the download of the full list when none ran (progress in the reply; poll it
or watch ``progress.state``). A set waits for the vehicle's echo: 422 for a value that is not of the
parameter's type, 409 for a value outside the documented range without ``confirm`` (or one the
vehicle refused: its reason in ``detail``), 404 for an unknown name, 504 without an echo. Files
are QGC ``.params`` or MAVProxy/Mission Planner ``.parm`` text, sent as the request body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from embedded_api.deps import Operator, ServiceDep, Viewer
from gcs.core.errors import ParamInvalid
from gcs.core.serialize import to_plain
from gcs.core.service_params import ParamRow
from gcs.core.vehicle.params import FileFormat, ParamDiff, ParamProgress, type_name
from gcs.core.vehicle.params.files import entry_text

router = APIRouter(prefix="/api/params", tags=["parameters"])

VehicleQuery = Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")]
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a parameter file: QGC .params (tab-separated) or MAVProxy/Mission Planner .parm",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}
SET_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such vehicle or parameter"},
    409: {"description": "outside the documented range without confirm, or refused by the vehicle"},
    422: {"description": "not a value of the parameter's type"},
    504: {"description": "the vehicle echoed no PARAM_VALUE after every retry"},
}


class SetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_]+$", description="parameter name")
    value: float | int | str = Field(..., description="new value (a number, or its text)")
    confirm: bool = Field(default=False, description="set it although it is outside the documented range")


def _progress(progress: ParamProgress) -> dict[str, Any]:
    plain: dict[str, Any] = to_plain(progress)
    plain["fraction"] = progress.fraction
    return plain


def _row(row: ParamRow) -> dict[str, Any]:
    p = row.param
    meta = to_plain(row.meta) if row.meta is not None else None
    if meta is not None:
        meta["values"] = {str(code): label for code, label in row.meta.values} if row.meta else {}
    return {"name": p.name, "value": p.value, "text": p.text, "type": p.type_name, "index": p.index, "meta": meta}


def _diff(delta: ParamDiff) -> dict[str, Any]:
    return {
        "changed": [
            {"name": d.name, "vehicle": d.vehicle, "file": d.file,
             "type": type_name(d.ptype) if d.ptype is not None else None, "error": d.error, "text": entry_text(d)}
            for d in delta.changed
        ],
        "unknown": list(delta.unknown),
        "unchanged": delta.unchanged,
        "missing": delta.missing,
    }


async def _file_text(request: Request) -> str:
    body = await request.body()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParamInvalid("the parameter file is not UTF-8 text") from None


@router.get("")
def list_params(
    service: ServiceDep,
    _: Viewer,
    q: Annotated[str, Query(max_length=64, description="part of a name or a description word")] = "",
    vehicle: VehicleQuery = None,
) -> dict[str, Any]:
    """Every parameter with value, type and offline metadata, and the download's progress (starts one if none ran)."""
    service.ensure_params(vehicle)
    view = service.params(vehicle, q)
    return {
        "progress": _progress(view.progress),
        "metadata_source": view.metadata_source,
        "count": len(view.rows),
        "params": [_row(row) for row in view.rows],
    }


@router.post("/refresh")
def refresh(service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """Download the full list again (in the background; poll GET /api/params for its progress)."""
    return {"progress": _progress(service.refresh_params(vehicle))}


@router.get("/export", response_class=PlainTextResponse)
def export(
    service: ServiceDep,
    _: Viewer,
    format: Annotated[Literal["qgc", "mavproxy"], Query(description="qgc: .params, mavproxy: .parm")] = "qgc",
    vehicle: VehicleQuery = None,
) -> PlainTextResponse:
    """The parameters as a file: QGC .params or MAVProxy/Mission Planner .parm."""
    fmt = FileFormat(format)
    content = service.export_params(fmt, vehicle)
    sysid = vehicle or service.active_vehicle_id or 0
    headers = {"Content-Disposition": f'attachment; filename="vehicle{sysid}{fmt.suffix}"'}
    return PlainTextResponse(content, headers=headers)


@router.post("/set", responses=SET_ERRORS)
def set_param(service: ServiceDep, principal: Operator, body: SetBody, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """Set one parameter; answers it as the vehicle echoed it."""
    row = service.set_param(body.name, body.value, vehicle, confirm=body.confirm, source=f"api:{principal.subject}")
    return _row(row)


@router.post("/diff", openapi_extra=FILE_BODY, responses={422: {"description": "not a parameter file"}})
async def diff(request: Request, service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """What applying the uploaded parameter file would change; nothing is sent to the vehicle."""
    content = await _file_text(request)
    delta = await run_in_threadpool(service.diff_params, content, vehicle)
    return _diff(delta)


@router.post("/apply", openapi_extra=FILE_BODY, responses=SET_ERRORS)
async def apply(
    request: Request,
    service: ServiceDep,
    principal: Operator,
    confirm: Annotated[bool, Query(description="also set values outside the documented range")] = False,
    names: Annotated[list[str] | None, Query(description="only these parameters of the file")] = None,
    vehicle: VehicleQuery = None,
) -> dict[str, Any]:
    """Set every parameter the uploaded file changes (or only ``names``); each failure is reported."""
    content = await _file_text(request)

    def run() -> Any:
        return service.apply_params(content, vehicle, names=names, confirm=confirm,
                                    source=f"api:{principal.subject}")

    result = await run_in_threadpool(run)
    return {
        "applied": [{"name": p.name, "value": p.value, "text": p.text} for p in result.applied],
        "failed": [{"name": name, "detail": why} for name, why in result.failed],
        "diff": _diff(result.diff),
    }


@router.get("/{name}", responses={404: {"description": "no such vehicle or parameter"}})
def get_param(service: ServiceDep, _: Viewer, name: str, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """One parameter with its metadata, as last heard from the vehicle."""
    return _row(service.param(name, vehicle))

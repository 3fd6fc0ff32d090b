"""Settings: read them (viewer role), change or restore them (admin role).

Reads are open to viewers: the settings hold no secret (the API signing secret is a separate
file and never part of them) and a remote dashboard shows them. Every change goes through the
config store, so it is validated against the whole schema, written atomically, backed up and
logged in the history exactly as a change made in the GUI; a refused value answers 422 with the
store's message naming the field and the bound.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.deps import Admin, ServiceDep, Viewer
from gcs.core.config.fields import human_label
from gcs.core.serialize import to_plain

router = APIRouter(prefix="/api/config", tags=["config"])


class ValueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(..., description="new value; strings are coerced ('6.5', 'true') like the YAML file")


def _backup_plain(backup: Any) -> dict[str, Any]:
    return {"id": backup.id, "time": backup.time.isoformat(), "size": backup.size}


@router.get("/current")
def current(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The settings in force, section by section."""
    config: dict[str, Any] = service.config.current.model_dump(mode="json")
    return config


@router.get("/schema")
def schema(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """JSON schema of the settings and a flat field list (type, bounds, live or restart, label in words)."""
    # each field's ``label``/``section_label`` are the names the desktop editor shows ("Max speed (m/s)")
    return {
        "json_schema": service.config.schema(),
        "fields": [{"key": f.key, **to_plain(f), "label": f.label, "section_label": human_label(f.section)}
                   for f in service.config.fields()],
    }


@router.get("/history")
def history(
    service: ServiceDep, _: Viewer, limit: Annotated[int, Query(ge=1, le=1000, description="newest first")] = 100
) -> dict[str, Any]:
    """The latest changes, newest first: time, key, old, new and who made it."""
    return {"history": to_plain(service.config.history(limit))}


@router.get("/backups")
def backups(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """Saved copies of the settings file, newest first (ids for restore)."""
    return {"backups": [_backup_plain(b) for b in service.config.backups()]}


@router.get("/diff")
def diff(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """Every setting that differs from its default: {key: {default, current}}."""
    changed = service.config.diff_from_defaults()
    return {
        "changed": {key: {"default": to_plain(d), "current": to_plain(c)} for key, (d, c) in changed.items()},
        "restart_pending": service.config.restart_pending(),
    }


@router.put("/{section}/{param}", responses={422: {"description": "refused: the message names field and bound"}})
def set_value(service: ServiceDep, principal: Admin, section: str, param: str, body: ValueBody) -> dict[str, Any]:
    """Change one setting; answers the value in force and whether it needs a restart."""
    key = f"{section}.{param}"
    service.config.set(section, param, body.value, source=f"api:{principal.subject}")
    restart = bool(service.config.requires_restart([key]))
    return {
        "key": key,
        "value": to_plain(service.config.get(section, param)),
        "apply": "restart" if restart else "live",
        "restart_required": restart,
    }


@router.post("/restore/{backup_id}", responses={404: {"description": "no such backup"}})
def restore(service: ServiceDep, principal: Admin, backup_id: str) -> dict[str, Any]:
    """Bring back a saved copy (validated first; the file it replaces is backed up in turn)."""
    if backup_id not in {b.id for b in service.config.backups()}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no settings backup {backup_id!r}")
    before = service.config.current
    after = service.config.restore(backup_id, source=f"api:{principal.subject}")
    changed = [
        f"{section}.{name}"
        for section, values in after.model_dump().items()
        for name, value in values.items()
        if getattr(getattr(before, section), name) != value
    ]
    return {"restored": backup_id, "changed": changed, "restart_pending": service.config.restart_pending()}

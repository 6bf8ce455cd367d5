"""The model registry in the store: one row per (name, version), upserted by every component
that records which model produced its labels or links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecomstat.store.models import Model
from ecomstat.store.upsert import upsert


def upsert_model(
    session: Session, *, name: str, version: str, kind: str,
    training_data_sha256: str | None = None, metrics: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None, path: str | None = None,
) -> Model:
    """Insert or update the row of model `name` at `version` (natural key, one atomic upsert:
    two processes recording the same model at once both succeed); returns it, so its id is known
    inside the caller's transaction."""
    upsert(session, Model, [{"name": name, "version": version, "kind": kind,
                             "training_data_sha256": training_data_sha256, "metrics": metrics,
                             "params": params, "path": path}], keys=["name", "version"])
    return session.scalars(select(Model).where(Model.name == name, Model.version == version)
                           .execution_options(populate_existing=True)).one()

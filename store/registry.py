"""The model registry in the store: one row per (name, version), upserted by every component
that records which model produced its labels or links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Model


def upsert_model(
    session: Session, *, name: str, version: str, kind: str,
    training_data_sha256: str | None = None, metrics: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None, path: str | None = None,
) -> Model:
    """Insert or update the row of model `name` at `version` (natural key); returns it flushed,
    so its id is known inside the caller's transaction."""
    row = session.scalar(select(Model).where(Model.name == name, Model.version == version))
    if row is None:
        row = Model(name=name, version=version, kind=kind)
        session.add(row)
    row.kind = kind
    row.training_data_sha256 = training_data_sha256
    row.metrics = metrics
    row.params = params
    row.path = path
    session.flush()
    return row

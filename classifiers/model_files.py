"""How a model name finds its file, the same for every kind of model (`ecommerce`, `products`):
a file path as given, then the newest path the store's `model` table records for that kind and
name, then the office's data dir, then the models shipped with the package."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, select

from ecomstat.classifiers.errors import ModelNotFound

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise ModelNotFound(f"model name {name!r} is not valid: use letters, digits, '.', '_' "
                            "or '-' (at most 64 characters, starting with a letter or digit)")
    return name


def given_path(name: str) -> Path | None:
    """`name` as a model file path when it looks like one (raises when that file is missing)."""
    as_path = Path(name).expanduser()
    if as_path.suffix in {".json", ".gz"} or "/" in name:
        if not as_path.is_file():
            raise ModelNotFound(f"model file {as_path} does not exist")
        return as_path
    return None


def store_path(engine: Engine | None, kind: str, name: str) -> Path | None:
    """The file of the newest model of `kind` named `name` recorded in the store."""
    if engine is None:
        return None
    from ecomstat.store.models import Model

    with engine.connect() as conn:
        row = conn.execute(
            select(Model.path).where(Model.kind == kind, Model.name == name)
            .order_by(Model.created_at.desc(), Model.id.desc()).limit(1)
        ).first()
    return Path(row.path) if row and row.path else None


def first_file(candidates: Iterable[Path | None]) -> Path | None:
    return next((c for c in candidates if c is not None and c.is_file()), None)

"""Where e-commerce models live and how a name finds one (same layout as the products models):
the default ships as `classifiers/models/ecommerce-default.json`; an office's own model goes to
`ECOMSTAT_DATA_DIR/models/ecommerce-NAME.json` with a row in the store's `model` table; a name
may also be the path of a model file.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from classifiers.ecommerce.model import EcommerceModel, Prediction, prepare
from classifiers.errors import ModelNotFound
from classifiers.html import parse_html
from classifiers.portable import load_model as load_document

KIND = "ecommerce"
DEFAULT_MODEL = "default"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise ModelNotFound(f"model name {name!r} is not valid: use letters, digits, '.', '_' "
                            "or '-' (at most 64 characters, starting with a letter or digit)")
    return name


def shipped_dir() -> Path:
    return Path(str(resources.files("classifiers") / "models"))


def shipped_path(name: str = DEFAULT_MODEL) -> Path:
    return shipped_dir() / f"{KIND}-{name}.json"


def user_path(data_dir: Path | str, name: str) -> Path:
    return Path(data_dir) / "models" / f"{KIND}-{name}.json"


def _store_path(engine: Engine | None, name: str) -> Path | None:
    if engine is None:
        return None
    from store.models import Model

    with engine.connect() as conn:
        row = conn.execute(
            select(Model.path).where(Model.kind == KIND, Model.name == name)
            .order_by(Model.created_at.desc(), Model.id.desc()).limit(1)
        ).first()
    return Path(row.path) if row and row.path else None


def resolve(name: str | None = None, *, data_dir: Path | str | None = None,
            engine: Engine | None = None) -> Path:
    """A model file: a path, then the store's registry, the data dir, the shipped models."""
    name = name or DEFAULT_MODEL
    as_path = Path(name).expanduser()
    if as_path.suffix in {".json", ".gz"} or "/" in name:
        if not as_path.is_file():
            raise ModelNotFound(f"model file {as_path} does not exist")
        return as_path
    check_name(name)
    candidates = [_store_path(engine, name)]
    if data_dir is not None:
        candidates.append(user_path(data_dir, name))
    candidates.append(shipped_path(name))
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    raise ModelNotFound(f"no e-commerce model named {name!r}; train one with "
                        "`ecomstat model train ecommerce --labels FILE.csv --name NAME`")


def load_model(name: str | None = None, *, data_dir: Path | str | None = None,
               engine: Engine | None = None, threshold: float = 0.5) -> EcommerceModel:
    path = resolve(name, data_dir=data_dir, engine=engine)
    model = EcommerceModel(load_document(path), threshold)
    model.path = path
    return model


def register(engine: Engine, model: EcommerceModel) -> int:
    """Upsert the model's row (natural key name + version); returns its id."""
    from store import transaction
    from store.registry import upsert_model

    doc: dict[str, Any] = model.document
    path = getattr(model, "path", None)
    with transaction(engine) as session:
        row = upsert_model(
            session, name=model.name, version=model.version, kind=KIND,
            training_data_sha256=doc.get("training_data_sha256"), metrics=doc.get("metrics"),
            params={**(doc.get("params") or {}), "threshold": model.threshold,
                    "feature_version": doc.get("feature_version")},
            path=str(Path(path).resolve()) if path else None,
        )
        return int(row.id)


def classify_html(html: bytes | str, url: str, model: EcommerceModel,
                  content_type: str | None = None) -> Prediction:
    """Classify one page's raw HTML."""
    return model.predict(prepare(parse_html(html, url, content_type)))

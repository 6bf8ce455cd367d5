"""Where e-commerce models live and how a name finds one (same layout as the products models):
the default ships as `classifiers/models/ecommerce-default.json`; an office's own model goes to
`ECOMSTAT_DATA_DIR/models/ecommerce-NAME.json` with a row in the store's `model` table; a name
may also be the path of a model file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ecomstat.classifiers.ecommerce.model import EcommerceModel, Prediction, prepare
from ecomstat.classifiers.errors import ModelNotFound
from ecomstat.classifiers.model_files import check_name, first_file, given_path, store_path
from ecomstat.classifiers.html import parse_html
from ecomstat.classifiers.portable import load_model as load_document

KIND = "ecommerce"
DEFAULT_MODEL = "default"


def shipped_dir() -> Path:
    return Path(str(resources.files("ecomstat.classifiers") / "models"))


def shipped_path(name: str = DEFAULT_MODEL) -> Path:
    return shipped_dir() / f"{KIND}-{name}.json"


def user_path(data_dir: Path | str, name: str) -> Path:
    return Path(data_dir) / "models" / f"{KIND}-{name}.json"


def resolve(name: str | None = None, *, data_dir: Path | str | None = None,
            engine: Engine | None = None) -> Path:
    """A model file: a path, then the store's registry, the data dir, the shipped models."""
    name = name or DEFAULT_MODEL
    given = given_path(name)
    if given is not None:
        return given
    check_name(name)
    found = first_file([store_path(engine, KIND, name),
                        user_path(data_dir, name) if data_dir is not None else None,
                        shipped_path(name)])
    if found is None:
        raise ModelNotFound(f"no e-commerce model named {name!r}; train one with "
                            "`ecomstat model train ecommerce --labels FILE.csv --name NAME`")
    return found


def load_model(name: str | None = None, *, data_dir: Path | str | None = None,
               engine: Engine | None = None, threshold: float = 0.5) -> EcommerceModel:
    path = resolve(name, data_dir=data_dir, engine=engine)
    model = EcommerceModel(load_document(path), threshold)
    model.path = path
    return model


def register(engine: Engine, model: EcommerceModel) -> int:
    """Upsert the model's row (natural key name + version); returns its id."""
    from ecomstat.store import transaction
    from ecomstat.store.registry import upsert_model

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

"""Where product models live and how `--model NAME` finds them.

- The default model ships inside the package: `classifiers/models/products-default.json.gz`.
- A model an office trains goes to `ECOMSTAT_DATA_DIR/models/products-NAME.json` and gets a row
  in the store's `model` table (kind `products`), which is the registry `--model NAME` reads first.
- `--model` also accepts the path of a model file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ecomstat.classifiers.errors import ModelFileError, ModelNotFound
from ecomstat.classifiers.model_files import check_name, first_file, given_path, store_path
from ecomstat.classifiers.portable import load_model, save_model
from ecomstat.classifiers.products.model import ProductClassifier
from ecomstat.classifiers.products.serialise import as_dict, from_dict

KIND = "products"
DEFAULT_NAME = "default"


@dataclass
class LoadedModel:
    """A fitted classifier plus what the store records about it."""

    name: str
    version: str
    classifier: ProductClassifier
    path: Path
    document: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.document.get("metrics") or {})


def shipped_path(name: str = DEFAULT_NAME) -> Path:
    """A model shipped in the package: gzipped JSON (the default is ~6 MB as plain JSON)."""
    folder = Path(str(resources.files("ecomstat.classifiers") / "models"))
    plain = folder / f"{KIND}-{name}.json"
    return plain if plain.is_file() else folder / f"{KIND}-{name}.json.gz"


def user_path(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / "models" / f"{KIND}-{name}.json"


def model_document(
    classifier: ProductClassifier, *, name: str, version: str, training_data_sha256: str,
    metrics: dict[str, Any], extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "name": name,
        "version": version,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "classification": "COICOP 2018",
        "training_data_sha256": training_data_sha256,
        "metrics": metrics,
        **(extra or {}),
        "model": as_dict(classifier),
    }


def write_model(document: dict[str, Any], path: Path) -> Path:
    return save_model(document, path)


def read_model(path: Path) -> LoadedModel:
    document = load_model(path)
    if document.get("kind") != KIND:
        raise ModelFileError(f"{path} is a {document.get('kind')!r} model, not a products model")
    try:
        classifier = from_dict(document["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"malformed products model in {path}: {exc}") from None
    return LoadedModel(
        name=str(document.get("name", path.stem)),
        version=str(document.get("version", "")),
        classifier=classifier,
        path=path,
        document=document,
    )


def resolve(name: str | None, *, data_dir: Path, engine: Engine | None = None) -> Path:
    """The model file for `name`: a file path, then the store's registry, then the data dir,
    then the models shipped with the package."""
    name = name or DEFAULT_NAME
    given = given_path(name)
    if given is not None:
        return given
    check_name(name)
    found = first_file([store_path(engine, KIND, name), user_path(data_dir, name), shipped_path(name)])
    if found is None:
        raise ModelNotFound(
            f"no products model named {name!r} (looked in the store, {user_path(data_dir, name)} "
            "and the models shipped with ecomstat); train one with `ecomstat model train products`"
        )
    return found


def load(name: str | None, *, data_dir: Path, engine: Engine | None = None) -> LoadedModel:
    return read_model(resolve(name, data_dir=data_dir, engine=engine))


def register(engine: Engine, loaded: LoadedModel) -> int:
    """Upsert the model's row in the store (natural key: name, version); returns its id."""
    from ecomstat.store import transaction
    from ecomstat.store.registry import upsert_model

    doc = loaded.document
    with transaction(engine) as session:
        row = upsert_model(
            session, name=loaded.name, version=loaded.version, kind=KIND,
            training_data_sha256=doc.get("training_data_sha256"), metrics=doc.get("metrics"),
            params=doc.get("model", {}).get("params"), path=str(loaded.path.resolve()),
        )
        return int(row.id)

"""The list of models `ecomstat model list|show` reports: shipped model files, model files in
ECOMSTAT_DATA_DIR/models, and rows of the store's `model` table, of every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from ecomstat.classifiers.errors import ModelFileError, ModelNotFound
from ecomstat.classifiers.portable import load_model

# Keys holding fitted numbers: left out of `model show` (they are the model, not its card).
BULKY_KEYS = {"vectorizer", "text_model", "meta_model", "model", "coef", "terms", "idf"}


def shipped_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("ecomstat.classifiers") / "models"))


def _files(data_dir: Path | None) -> list[tuple[str, Path]]:
    found = [("shipped", p) for p in sorted(shipped_dir().glob("*.json*"))]
    if data_dir is not None and (Path(data_dir) / "models").is_dir():
        found += [("data-dir", p) for p in sorted((Path(data_dir) / "models").glob("*.json*"))]
    return found


def _summary(document: dict[str, Any]) -> str:
    metrics = document.get("metrics") or {}
    combined = metrics.get("combined") if isinstance(metrics.get("combined"), dict) else metrics
    if not isinstance(combined, dict):
        return ""
    # e-commerce models: cross-validated figures; product models: held-out figures
    keys = ("f1", "accuracy", "macro_f1", "roc_auc", "holdout_accuracy", "holdout_macro_f1",
            "holdout_n", "holdout_fit_rows")
    return " ".join(f"{key}={combined[key]}" for key in keys
                    if isinstance(combined.get(key), (int, float)))


def list_models(data_dir: Path | None, engine: Engine | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for source, path in _files(data_dir):
        try:
            document = load_model(path)
        except ModelFileError as exc:
            rows.append({"kind": "?", "name": path.name, "version": "", "source": source,
                         "metrics": f"unreadable: {exc}", "path": str(path)})
            continue
        seen.add(str(path.resolve()))
        rows.append({"kind": document.get("kind", "?"), "name": document.get("name", path.stem),
                     "version": document.get("version", ""), "source": source,
                     "metrics": _summary(document), "path": str(path)})
    if engine is not None:
        from ecomstat.store.models import Model

        with engine.connect() as conn:
            for row in conn.execute(select(Model).order_by(Model.kind, Model.name, Model.id)):
                if row.path and str(Path(row.path).resolve()) in seen:
                    continue
                rows.append({"kind": row.kind, "name": row.name, "version": row.version,
                             "source": "store", "metrics": _summary({"metrics": row.metrics}),
                             "path": row.path or ""})
    return rows


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in BULKY_KEYS}
    return value


def show_model(name: str, data_dir: Path | None, kind: str | None = None) -> dict[str, Any]:
    """The model card (everything but the fitted numbers) of a model name or file."""
    as_path = Path(name).expanduser()
    if as_path.is_file():
        return _strip(load_model(as_path)) | {"path": str(as_path)}
    matches = [(source, path) for source, path in _files(data_dir)
               if path.name.split(".json")[0] in {name, f"{kind}-{name}"} or
               (kind is None and path.name.split(".json")[0].split("-", 1)[-1] == name)]
    matches = [(s, p) for s, p in matches if kind is None or p.name.startswith(kind + "-")]
    if not matches:
        raise ModelNotFound(f"no model named {name!r}" + (f" of kind {kind}" if kind else "")
                            + "; see `ecomstat model list`")
    if len({p.name for _, p in matches}) > 1:
        kinds = sorted({p.name.split("-", 1)[0] for _, p in matches})
        raise ModelNotFound(f"several models are named {name!r} ({', '.join(kinds)}); "
                            "add --kind")
    source, path = matches[-1]  # the data dir overrides a shipped model of the same name
    return _strip(load_model(path)) | {"path": str(path), "source": source}

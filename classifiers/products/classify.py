"""Applying a product model: to listings from a file, and to the products in the store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from ecomstat.classifiers.products.coicop import ancestors
from ecomstat.classifiers.products.inputs import Listing
from ecomstat.classifiers.products.registry import LoadedModel, register
from ecomstat.classifiers.products.text import listing_text

TASK = "coicop"
TARGET_TYPE = "product"
BATCH = 2000  # rows scored at once: bounds memory (BATCH x n_classes floats)


@dataclass
class Prediction:
    category: str
    confidence: float
    needs_review: bool


def _backoff(classes: np.ndarray, proba: np.ndarray, threshold: float) -> tuple[str, float]:
    """The deepest code (the leaf or one of its ancestors) whose summed probability reaches the
    threshold: a sure `01.1` beats an unsure `01.1.3.2` when the office only needs groups."""
    best = int(np.argmax(proba))
    leaf, confidence = str(classes[best]), float(proba[best])
    if confidence >= threshold:
        return leaf, confidence
    for parent in ancestors(leaf):
        prefix = parent + "."
        mass = float(sum(p for c, p in zip(classes, proba) if c == parent or c.startswith(prefix)))
        if mass >= threshold:
            return parent, mass
    return leaf, confidence


def predict(
    loaded: LoadedModel, texts: Sequence[str], *, threshold: float, backoff: bool = False
) -> list[Prediction]:
    """One prediction per text; empty texts are always flagged for review."""
    classes = loaded.classifier.classes_
    out: list[Prediction] = []
    for start in range(0, len(texts), BATCH):
        chunk = list(texts[start : start + BATCH])
        proba = loaded.classifier.predict_proba(chunk)
        top = np.argmax(proba, axis=1)
        for text, row, best in zip(chunk, proba, top):
            if backoff:
                category, confidence = _backoff(classes, row, threshold)
            else:
                category, confidence = str(classes[best]), float(row[best])
            confidence = round(confidence, 4)  # compare what is reported
            empty = not text.strip()
            out.append(Prediction(category, confidence, empty or confidence < threshold))
    return out


def classify_listings(
    loaded: LoadedModel, listings: Sequence[Listing], *, threshold: float, backoff: bool = False
) -> Iterator[dict[str, object]]:
    """The `classify titles` records: title, category, confidence, needs_review."""
    predictions = predict(loaded, [item.text for item in listings], threshold=threshold,
                          backoff=backoff)
    for item, prediction in zip(listings, predictions):
        yield {
            "title": item.title,
            "category": prediction.category,
            "confidence": prediction.confidence,
            "needs_review": prediction.needs_review,
        }


@dataclass
class StoreResult:
    model_id: int
    model_version: str
    products: int
    inserted: int
    updated: int
    needs_review: int
    rows: list[dict[str, Any]] = field(default_factory=list)  # with keep_rows=True


def classify_store_products(
    engine: Engine, loaded: LoadedModel, *, threshold: float, backoff: bool = False,
    keep_rows: bool = False,
) -> StoreResult:
    """Label every product in the store: one `classification` row per product and model
    (target_type 'product', task 'coicop'), upserted, all in one transaction, read and written
    in batches of BATCH products. With
    `keep_rows`, `rows` holds each product's id, title, category, confidence and
    needs_review flag, in product id order."""
    from ecomstat.store import transaction
    from ecomstat.store.models import Classification, Product

    model_id = register(engine, loaded)
    result = StoreResult(model_id, loaded.version, 0, 0, 0, 0)
    with transaction(engine) as session:
        last_id = None
        while True:  # keyset pages: memory holds one batch of products, whatever their number
            page = select(Product.id, Product.name, Product.breadcrumb, Product.description)
            if last_id is not None:
                page = page.where(Product.id > last_id)
            chunk = session.execute(page.order_by(Product.id).limit(BATCH)).all()
            if not chunk:
                break
            last_id = chunk[-1].id
            texts = [listing_text(r.name, r.breadcrumb, r.description) for r in chunk]
            predictions = predict(loaded, texts, threshold=threshold, backoff=backoff)
            ids = [str(r.id) for r in chunk]
            existing = {
                c.target_id: c
                for c in session.execute(
                    select(Classification).where(
                        Classification.target_type == TARGET_TYPE,
                        Classification.task == TASK,
                        Classification.model_id == model_id,
                        Classification.target_id.in_(ids),
                    )
                ).scalars()
            }
            for record, target_id, prediction in zip(chunk, ids, predictions):
                if keep_rows:
                    result.rows.append({
                        "product_id": record.id, "title": record.name,
                        "category": prediction.category,
                        "confidence": round(prediction.confidence, 4),
                        "needs_review": prediction.needs_review})
                row = existing.get(target_id)
                if row is None:
                    row = Classification(
                        target_type=TARGET_TYPE, target_id=target_id, task=TASK, model_id=model_id
                    )
                    session.add(row)
                    result.inserted += 1
                else:
                    result.updated += 1
                row.label = prediction.category
                row.probability = prediction.confidence
                row.needs_review = prediction.needs_review
                row.model_version = f"{loaded.name}:{loaded.version}"
                result.needs_review += prediction.needs_review
            result.products += len(chunk)
            session.flush()  # written (same transaction); the batch's objects can go
            session.expunge_all()
    return result

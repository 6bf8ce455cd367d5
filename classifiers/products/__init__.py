"""Product categories: listing title (+ breadcrumb, description) -> COICOP 2018 code.

Library entry points (the CLI in ecomstat/cli/classify.py and ecomstat/cli/model.py is a thin
shell over them):

- `load_model(name, data_dir=..., engine=...)` -> LoadedModel (shipped default, or a trained one)
- `classify_listings(model, read_listings(path), threshold=...)` -> title/category/confidence/
  needs_review records
- `classify_store_products(engine, model, threshold=...)` -> classification rows in the store
- `train_from_csv(labels_csv, name, data_dir=..., engine=...)` -> a registered model
- `ProductClassifier`: the scikit-learn estimator itself
"""

from ecomstat.classifiers.products.classify import (
    Prediction,
    StoreResult,
    classify_listings,
    classify_store_products,
    predict,
)
from ecomstat.classifiers.products.inputs import Listing, read_labels, read_listings
from ecomstat.classifiers.products.model import ProductClassifier
from ecomstat.classifiers.products.registry import LoadedModel, load as load_model
from ecomstat.classifiers.products.training import train_from_csv

__all__ = [
    "LoadedModel",
    "Listing",
    "Prediction",
    "ProductClassifier",
    "StoreResult",
    "classify_listings",
    "classify_store_products",
    "load_model",
    "predict",
    "read_labels",
    "read_listings",
    "train_from_csv",
]

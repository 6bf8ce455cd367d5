"""E-commerce presence (Eurostat "web sales"): page-level model, site-level aggregation.

    from ecomstat.classifiers.ecommerce import load_model, classify_html
    model = load_model()                      # the shipped default, or load_model("my-model")
    prediction = classify_html(html_bytes, url, model)
    prediction.probability, prediction.ecommerce, prediction.evidence
"""

from ecomstat.classifiers.ecommerce.model import EcommerceClassifier, EcommerceModel, Prediction, prepare
from ecomstat.classifiers.ecommerce.registry import DEFAULT_MODEL, classify_html, load_model

__all__ = ["DEFAULT_MODEL", "EcommerceClassifier", "EcommerceModel", "Prediction",
           "classify_html", "load_model", "prepare"]

"""Reproduce the shipped e-commerce model, or train one on your own labelled pages.

    python -m classifiers.ecommerce.train                      # from ../shared/data/pages
    python -m classifiers.ecommerce.train --labels my/labels.csv --pages-dir my/pages --name mine

(`ecomstat model train ecommerce ...` does the same and records the model in the store.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ecomstat.classifiers.ecommerce.registry import shipped_path
from ecomstat.classifiers.ecommerce.training import train_model

SHARED_LABELS = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pages"
                 / "labels.csv")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default=str(SHARED_LABELS),
                        help="labels CSV (file,ecommerce[,url,site])")
    parser.add_argument("--pages-dir", default=None, help="folder the `file` column is relative to")
    parser.add_argument("--name", default="default")
    parser.add_argument("--out", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--no-eval", action="store_true", help="skip cross-validation")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else shipped_path(args.name)
    document = train_model(args.labels, args.pages_dir, args.name, out, evaluate=not args.no_eval)
    print(json.dumps({"model": str(out), "version": document["version"],
                      "metrics": document["metrics"]}, indent=1))


if __name__ == "__main__":
    main()

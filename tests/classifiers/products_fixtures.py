"""Small labelled title sets for the products tests (fast to train on)."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from pathlib import Path

# Five COICOP subclasses, titles in Czech, English and German, with brands and quantities.
WORDS = {
    "01.1.1.2": ["mouka hladká", "mouka polohrubá", "wheat flour", "Weizenmehl Type 405", "rye flour",
                 "mouka celozrnná", "Dinkelmehl", "flour plain"],
    "02.1.3.0": ["pivo ležák", "pivo světlé", "lager beer", "Pils Bier", "craft ale beer",
                 "pivo plechovka", "Weissbier", "pale ale"],
    "08.1.3.1": ["notebook lenovo", "laptop hp pavilion", "tablet samsung galaxy", "Laptop Dell",
                 "macbook air", "ultrabook asus", "netbook acer", "tablet ipad"],
    "09.3.2.2": ["granule pro psy", "kapsička pro kočky", "dog food chicken", "Katzenfutter",
                 "cat food tuna", "krmivo pro psy", "Hundefutter Rind", "pet food"],
    "13.1.2.0": ["šampon na vlasy", "zubní pasta", "shampoo anti dandruff", "Zahnpasta",
                 "toothpaste mint", "sprchový gel", "Duschgel", "shower gel"],
}
SIZES = ["1kg", "0,5l", "500 g", "2 x 250ml", "", "15.6\"", "6x1,5L", "400g"]
BRANDS = ["", "Tesco", "Billa", "premium", "bio", "akce"]


def labelled_titles() -> list[tuple[str, str]]:
    rows = []
    for code, words in WORDS.items():
        for word, size, brand in itertools.islice(itertools.product(words, SIZES, BRANDS), 0, None, 5):
            rows.append((f"{brand} {word} {size}".strip(), code))
    return rows


def write_labels(path: Path, rows: Iterable[tuple[str, str]] | None = None) -> Path:
    """A `title,category` CSV of `rows` (default: `labelled_titles()`)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "category"])
        writer.writerows(labelled_titles() if rows is None else rows)
    return path

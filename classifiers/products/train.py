"""Build the default products model shipped with ecomstat (run by developers, not at run time).

    python -m classifiers.products.train [--data ../shared/data] [--out classifiers/models]

Training data, all labelled with COICOP 2018 subclasses (4 levels):
- Czech receipt item names -> COICOP 2018 (ReceiptorCZCOICOP dictionary, ~28k); national
  extensions below the subclass are cut to the subclass, the non-COICOP 98.x/99.x codes
  (discounts, deposits, transfers) are dropped;
- COICOP 2018 explanatory notes: every subclass title, every "includes"/"also includes" item,
  and every "excludes" item that names the code it belongs to instead;
- Walmart/Amazon product titles whose retailer category maps unambiguously to a subclass
  (mapping below);
- WDC web-offer titles of four categories (computers, cameras, watches, shoes; footwear split
  by the gender/age words in the title, ambiguous shoes left out), capped per category.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from ecomstat.classifiers.products import registry
from ecomstat.classifiers.products.coicop import titles, truncate
from ecomstat.classifiers.products.training import fit_document

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
WDC_CAP = 1200  # per category: keeps 4 narrow web categories from outweighing the rest

# Retailer category (Walmart/Amazon) -> COICOP 2018 subclass; first matching pattern wins.
RETAILER_CATEGORIES: list[tuple[str, str]] = [
    (r"^(laptop computers|computers|laptops?|tablets?|desktops?)$", "08.1.3.1"),
    (r"cordless telephones|^telephones", "08.1.1.0"),
    (r"cell phones?$|mobile phones?$|smartphones?", "08.1.2.0"),
    (r"ink|toner|printers?$|laser printers|scanners|monitors|keyboard|^mice$|webcams|"
     r"graphics cards|kvm|network attached storage|external hard drives|label makers", "08.1.3.2"),
    (r"blank media|dvd-r|cd-r|memory cards|usb flash drives|usb drives|data cartridges",
     "08.1.5.0"),
    (r"^memory$|computer components|computer cases|hard drives?$|hard drive enclosures|"
     r"cables|adapters|chargers|cases|sleeves|mouse pads|screen protector|tv mounts|"
     r"batteries|^aa$|armbands|mp3 accessories|mp3 player accessories|tv accessories|"
     r"audio video accessories|surge protectors", "08.1.9.2"),
    (r"routers|switches|networking|network adapters|modems", "08.1.9.1"),
    (r"headphones|headsets|mp3 players|speaker|home audio|car stereos|car audio|radios|"
     r"dvd players|^tvs$|televisions|video projectors|camcorders|stereos|portable audio|"
     r"blu-ray", "08.1.4.0"),
    (r"point shoot digital cameras|digital cameras|slr cameras", "09.1.1.1"),
    (r"camera lenses|tripod|camera and camcorder accessories|camera bags|filters", "09.1.1.2"),
    (r"software", "08.2.0.0"),
    (r"stationery|laminating|labeling tapes|storage presentation materials|printer staples|"
     r"pens|paper|binders|folders|office supplies", "09.7.4.0"),
    (r"surveillance cameras|home security|antitheft", "04.3.1.2"),
    (r"^furniture$", "05.1.1.1"),
    (r"lamps|lighting", "05.1.1.3"),
]

NOTE_ITEM = re.compile(r"^\s*\*\s*(.+?)\s*$", re.MULTILINE)
CODE_REF = re.compile(r"\((\d{2}(?:\.\d){3,4})\)\s*$")
TITLE_SUFFIX = re.compile(r"\s*\((?:ND|SD|D|S)\)\s*$")


def _subclass(code: str, known: set[str]) -> str | None:
    """A code cut to the subclass level, when that subclass exists in COICOP 2018."""
    code = truncate(code.strip(), 4)
    return code if code in known else None


def czech_receipts(data: Path, known: set[str]) -> Iterator[tuple[str, str]]:
    path = data / "products" / "czech_receipts_coicop2018" / "Assets" / "coicop_dict.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            code = _subclass(row["coicop"], known)
            if code and row["name"].strip():
                yield row["name"].strip(), code


def coicop_notes(data: Path, known: set[str]) -> Iterator[tuple[str, str]]:
    path = data / "classifications" / "coicop2018_structure" / "coicop-2018-structure.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"]
            if code.count(".") < 3:  # divisions, groups, classes: their items are in subclasses
                continue
            own = _subclass(code, known)
            if own is None:
                continue
            yield TITLE_SUFFIX.sub("", row["title"]), own
            for item in NOTE_ITEM.findall(row["includes"] + "\n" + row["alsoIncludes"]):
                yield from _note_texts(item, own)
            for item in NOTE_ITEM.findall(row["excludes"]):
                ref = CODE_REF.search(item)
                target = _subclass(ref.group(1), known) if ref else None
                if target:
                    yield from _note_texts(item[: ref.start()], target)


def _note_texts(item: str, code: str) -> Iterator[tuple[str, str]]:
    """A note item, and its comma-separated parts: 'chargers, cables, power banks' lists
    three products."""
    item = item.strip().rstrip(";.")
    if item:
        yield item, code
    parts = [p.strip() for p in re.split(r"[,;]| or ", item) if len(p.strip()) > 2]
    if len(parts) > 1:
        for part in parts:
            yield part, code


def retailer_titles(data: Path) -> Iterator[tuple[str, str]]:
    path = data / "products" / "walmart_amazon" / "walmart_amazon_titles_with_category.csv"
    rules = [(re.compile(pattern), code) for pattern, code in RETAILER_CATEGORIES]
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            category = row["category"].strip().lower()
            for pattern, code in rules:
                if category and pattern.search(category):
                    yield row["title"], code
                    break


_WOMEN = re.compile(r"\b(women|woman|womens|ladies|lady|damen|femme|mujer|donna|dames)\b", re.I)
_MEN = re.compile(r"\b(men|mens|man|herren|homme|hombre|uomo|heren)\b", re.I)
_KIDS = re.compile(
    r"\b(kids?|child|children|junior|boys?|girls?|baby|toddler|infant|kinder)\b", re.I
)


def wdc_offers(data: Path) -> Iterator[tuple[str, str]]:
    path = data / "products" / "wdc_offers" / "wdc_offer_titles_by_category.csv"
    fixed = {"computers": "08.1.3.1", "cameras": "09.1.1.1", "watches": "13.2.1.1"}
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            category, title = row["wdc_category"], row["offer_title"]
            code = fixed.get(category)
            if category == "shoes":
                text = title.replace("'", " ")
                kinds = [c for c, p in (("03.2.1.2", _WOMEN), ("03.2.1.1", _MEN),
                                        ("03.2.1.3", _KIDS)) if p.search(text)]
                code = kinds[0] if len(kinds) == 1 else None
            if code is None or counts.get(code, 0) >= WDC_CAP:
                continue
            counts[code] = counts.get(code, 0) + 1
            yield title, code


def build_training_set(data: Path) -> tuple[list[str], list[str], dict[str, int]]:
    known = {code for code in titles() if code.count(".") == 3}
    sources = {
        "czech_receipts": czech_receipts(data, known),
        "coicop_notes": coicop_notes(data, known),
        "walmart_amazon": retailer_titles(data),
        "wdc_offers": wdc_offers(data),
    }
    texts, labels, counts, seen = [], [], {}, set()
    for source, pairs in sources.items():
        counts[source] = 0
        for text, code in pairs:
            key = (text.lower(), code)
            if key in seen:
                continue
            seen.add(key)
            texts.append(text)
            labels.append(code)
            counts[source] += 1
    return texts, labels, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    parser.add_argument("--out", type=Path, default=registry.shipped_path().parent)
    parser.add_argument("--name", default=registry.DEFAULT_NAME)
    args = parser.parse_args(argv)
    texts, labels, counts = build_training_set(args.data)
    print(f"training on {len(texts)} titles, {len(set(labels))} subclasses: {counts}",
          file=sys.stderr)
    # Built once, by developers: calibrate on a sub-model of all the other rows (not the
    # default 10,000), so the held-out metrics `model list` shows are those of a model
    # trained on 85% of this data, not an understatement.
    _, document = fit_document(
        texts, labels, name=args.name, params={"calibration_rows": None},
        extra={"sources": counts, "attribution": (
            "Trained on: ReceiptorCZCOICOP dictionary (djansaa); COICOP 2018 explanatory notes "
            "(UN Statistics Division, via declanvk/coicop-query, MIT); Walmart-Amazon and WDC "
            "Product Corpus titles (via megagonlabs/ditto, Apache-2.0; WDC: Primpeli, Peeters, "
            "Bizer 2019). See classifiers/models/SOURCE.md."
        )},
    )
    path = registry.write_model(document, args.out / f"{registry.KIND}-{args.name}.json.gz")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB), metrics {document['metrics']}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

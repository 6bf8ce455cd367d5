"""Parse time per page of the HTML parsers ecomstat could use, on the reference pages.

    python bench/bench_parsers.py [--pages ../shared/data/pages/html] [--repeat 3]

Each parser builds a full tree of every reference page (the 458 real pages of the e-commerce
model's training set, gzipped HTML) and then does the work ecomstat does with it: the visible
text and the links. Pages are decoded once beforehand (ecomstat.encoding), so the figures are
parse + walk only. The parsers run interleaved, page by page and round by round, so a busy
machine slows them alike; the ratios to lxml are the figures to compare.

- lxml: `lxml.html.document_fromstring` (the crawler, spiders/extract.py)
- selectolax: `selectolax.lexbor.LexborHTMLParser` (the classifiers, classifiers/html.py)
- bs4+lxml: `BeautifulSoup(html, "lxml")` (beautifulsoup4 over the same lxml parser)
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from collections.abc import Callable
from pathlib import Path

PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "pages" / "html"


def with_lxml(html: str) -> tuple[int, int]:
    import lxml.html

    tree = lxml.html.document_fromstring(html or "<html></html>")
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return len(tree.text_content()), len(tree.xpath("//a/@href"))


def with_selectolax(html: str) -> tuple[int, int]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript"])
    body = tree.body
    text = body.text(separator=" ") if body is not None else ""
    return len(text), sum(1 for a in tree.css("a[href]"))


def with_bs4(html: str) -> tuple[int, int]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for bad in soup(["script", "style", "noscript"]):
        bad.decompose()
    return len(soup.get_text(" ")), len(soup.find_all("a", href=True))


PARSERS: dict[str, Callable[[str], tuple[int, int]]] = {
    "lxml": with_lxml, "selectolax": with_selectolax, "bs4+lxml": with_bs4}


def load(folder: Path) -> list[str]:
    from ecomstat.encoding import decode_html

    pages = []
    for path in sorted(folder.glob("*.html*")):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        pages.append(decode_html(raw).text)
    return pages


def measure(pages: list[str], repeat: int) -> dict[str, list[float]]:
    """Seconds per page, per parser: the best of `repeat` rounds for each page."""
    best: dict[str, list[float]] = {name: [float("inf")] * len(pages) for name in PARSERS}
    for _ in range(repeat):
        for index, html in enumerate(pages):
            for name, parse in PARSERS.items():
                start = time.perf_counter()
                parse(html)
                elapsed = time.perf_counter() - start
                best[name][index] = min(best[name][index], elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = load(args.pages)
    for parse in PARSERS.values():  # imports and first-call costs out of the figures
        parse(pages[0])
    times = measure(pages, args.repeat)
    size = statistics.median(len(p) for p in pages)
    print(f"{len(pages)} pages (median {size / 1000:.0f} k characters), best of {args.repeat}")
    base = statistics.mean(times["lxml"])
    print(f"{'parser':<12}{'mean ms/page':>14}{'median ms':>11}{'p95 ms':>9}{'vs lxml':>9}")
    for name, values in times.items():
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"{name:<12}{1000 * statistics.mean(values):>14.2f}"
              f"{1000 * statistics.median(values):>11.2f}{1000 * p95:>9.2f}"
              f"{statistics.mean(values) / base:>8.2f}x")


if __name__ == "__main__":
    main()

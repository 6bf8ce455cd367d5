"""The hostile and odd bits of the sample web: where they go and what they serve.

Placed deterministically on a few live sites: one site's robots.txt disallows everything; a few disallow /private/ and link into it; one asks
for a crawl delay; one has an endless events calendar; one appends a fresh session id to every
link; one links to an oversized (> 6 MB) price list.
"""

from __future__ import annotations

import random
import re
from html import escape

from ecomstat.sampleweb.model import SHOP_KINDS, Population, Site
from ecomstat.sampleweb.naming import bare
from ecomstat.sampleweb.vocab import slug, text, word

OVERSIZED_BYTES = 6_500_000


def _take(pool: list[Site], taken: set[str], prefer: tuple[str, ...]) -> Site | None:
    """The first free site of a preferred kind, else the first free site."""
    free = (site for site in pool if site.hostname not in taken)
    site = next((s for s in free if s.kind in prefer), None)
    site = site or next((s for s in pool if s.hostname not in taken), None)
    if site is not None:
        taken.add(site.hostname)
    return site


def assign_hostile_features(population: Population, rng: random.Random) -> None:
    # JS-only shells carry no links to bait a crawler with, parked pages no site at all
    pool = [site for _, site in sorted(population.sites.items()) if site.kind not in ("parked", "spa")]
    rng.shuffle(pool)
    taken: set[str] = set()
    plan: list[tuple[tuple[str, ...], str]] = [
        (("service",), "robots:disallow_all"),
        (("service", "manufacturer"), "robots:crawl_delay"),
        (("restaurant", "restaurant_menu", "hotel", "service"), "trap:calendar"),
        (("handmade", "woocommerce", "shopify", "magento"), "trap:session"),
        (("manufacturer", "woocommerce", "service"), "oversized"),
    ]
    for prefer, feature in plan:
        site = _take(pool, taken, prefer)
        if site is None:
            return  # tiny populations get what fits
        if feature.startswith("robots:"):
            site.robots = feature.split(":", 1)[1]
        elif feature.startswith("trap:"):
            site.trap = feature.split(":", 1)[1]
        else:
            site.oversized = True
    free = [site for site in pool if site.hostname not in taken]
    for site in free[: max(2, len(pool) // 20)]:
        site.robots = "private"


def robots_txt(site: Site) -> str:
    rules = {
        "disallow_all": "User-agent: *\nDisallow: /\n",
        "private": "User-agent: *\nDisallow: /private/\n",
        "crawl_delay": "User-agent: *\nCrawl-delay: 1\nDisallow: /cgi-bin/\n",
    }.get(site.robots, "User-agent: *\nDisallow: /cgi-bin/\n")
    if site.kind in SHOP_KINDS and site.robots != "disallow_all":
        rules += "Disallow: /checkout\n"
    return rules + f"\nSitemap: http://{site.hostname}/sitemap.xml\n"


def parked_page(site: Site) -> str:
    """What a domain-parking service shows on every path of a parked domain."""
    domain = escape(bare(site.hostname))
    notice = escape(text("parked", site.language))
    return (f"<!DOCTYPE html><html><head><title>{domain} – This domain may be for sale</title></head>"
            f'<body class="parking"><h1>{domain}</h1><p>{notice}</p><p>This domain may be for sale.</p>'
            f'<a href="https://sedo.com/search/details/?domain={domain}">Buy this domain</a>'
            '<div class="related-searches"><a href="/?q=shopping">Shopping</a> '
            '<a href="/?q=insurance">Insurance</a></div></body></html>')


def calendar_page(site: Site, lang: str, month: str, href) -> tuple[str, str]:
    """An events calendar whose every month links to the next and previous one, forever."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    year, mon = (int(match[1]), int(match[2])) if match and 1 <= int(match[2]) <= 12 else (2026, 11)
    prev_m = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    next_m = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
    base = "/" + slug("calendar", lang)
    content = (f"<h1>{escape(word('events', lang))} {year}-{mon:02d}</h1><p>—</p>"
               f'<a href="{href(base + "?month=" + prev_m)}">« {prev_m}</a> '
               f'<a href="{href(base + "?month=" + next_m)}">{next_m} »</a>')
    return word("events", lang), content


def oversized_page(site: Site) -> bytes:
    """A price list of more than 6 MB (one table row per article)."""
    row = "<tr><td>ART-{0:07d}</td><td>{1}</td><td>{2}</td></tr>\n"
    names = [escape(p.name) for p in site.products] or [escape(site.name)]
    rows, size, index = [], 0, 0
    while size < OVERSIZED_BYTES:
        line = row.format(index, names[index % len(names)], index % 997)
        rows.append(line)
        size += len(line.encode())
        index += 1
    return ("<!DOCTYPE html><html><head><title>Price list</title></head><body><table>"
            + "".join(rows) + "</table></body></html>").encode("utf-8")

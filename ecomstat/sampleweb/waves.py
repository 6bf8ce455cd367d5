"""The sample web one wave later: some shops close, some firms open shops, some sites die.

`next_wave(population)` derives the next wave deterministically from the population's seed
(and `step`, for a third wave and on): the register stays as it was (the office's belief), the
websites and the ground truth change. `web_sales_changes(before, after)` is the truth of who
gained or lost web sales, to score `ecomstat changes` against (precision and recall).

    wave2 = next_wave(generate(n=200, seed=0))
    with SampleWebServer(wave2.population) as server: ...   # serve the changed web
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from ecomstat.errors import BadInput
from ecomstat.sampleweb.generator import _products
from ecomstat.sampleweb.model import SHOP_KINDS, Population, Site, Truth

# Site kinds that can close their shop (JavaScript shops are left alone: no browser needed to
# see the change) and kinds whose firms can open one (no web sales before).
_CLOSABLE = tuple(kind for kind in SHOP_KINDS if kind != "spa")
_CAN_OPEN = ("service", "manufacturer")
_OPENED_KIND = "woocommerce"
_SIZE_INDEX = {"0-9": 0, "10-49": 1, "50-249": 2, "250+": 3}


@dataclass
class WaveStep:
    population: Population
    changes: dict[str, str]  # enterprise id -> closed-shop | opened-shop | died


def _plain(site: Site) -> bool:
    """A site without hostile features: what changes on it is what the crawl should see."""
    return site.robots == "default" and not site.trap and not site.oversized


def _pick(rng: random.Random, candidates: list[Site], share: float) -> list[Site]:
    if not candidates or share <= 0:
        return []
    k = min(len(candidates), max(1, round(share * len(candidates))))
    return rng.sample(candidates, k)


def _check_share(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise BadInput(f"{name} must be a share between 0 and 1, got {value!r}")


def next_wave(population: Population, *, close: float = 0.3, open_: float = 0.15,
              die: float = 0.08, step: int = 1) -> WaveStep:
    """The population one wave later. `close`: share of plain shops that close (the site stays,
    no shop); `open_`: share of plain service/manufacturer sites that open a shop; `die`: share
    of the other live sites that disappear (their host no longer resolves). At least one of each
    when there is a candidate and the share is above 0. The input is not changed."""
    for name, value in (("close", close), ("open_", open_), ("die", die)):
        _check_share(name, value)
    rng = random.Random(f"sampleweb:{population.seed}:wave:{step}")
    truth = population.truth_by_id()
    live = [site for _, site in sorted(population.sites.items())
            if truth[site.enterprise_id].site_status == "live" and _plain(site)]
    closing = _pick(rng, [s for s in live if s.kind in _CLOSABLE], close)
    opening = _pick(rng, [s for s in live if s.kind in _CAN_OPEN], open_)
    taken = {s.hostname for s in closing + opening}
    dying = _pick(rng, [s for s in live if s.hostname not in taken], die)

    sites = dict(population.sites)
    changes: dict[str, str] = {}
    new_truth = dict(truth)
    for site in closing:
        sites[site.hostname] = dataclasses.replace(
            site, kind="service", products=(), category="", marketplace_links=(),
            structured_data="none")
        new_truth[site.enterprise_id] = dataclasses.replace(
            truth[site.enterprise_id], web_sales=False, marketplace=False, platform="service")
        changes[site.enterprise_id] = "closed-shop"
    register = {row.id: row for row in population.register}
    for site in opening:
        size_index = _SIZE_INDEX.get(register[site.enterprise_id].size_class, 1)
        category, products = _products(_OPENED_KIND, site.trade, site.language, site.currency,
                                       size_index, rng, site.country)
        sites[site.hostname] = dataclasses.replace(
            site, kind=_OPENED_KIND, products=products, category=category,
            structured_data="jsonld")
        new_truth[site.enterprise_id] = dataclasses.replace(
            truth[site.enterprise_id], web_sales=True, platform=_OPENED_KIND)
        changes[site.enterprise_id] = "opened-shop"
    redirects = dict(population.redirects)
    dead = list(population.dead_hosts)
    for site in dying:
        del sites[site.hostname]
        target = f"http://{site.hostname}/"
        redirects = {host: to for host, to in redirects.items() if to != target}
        dead.append(site.hostname)
        new_truth[site.enterprise_id] = _died(truth[site.enterprise_id])
        changes[site.enterprise_id] = "died"
    after = Population(
        n=population.n, seed=population.seed, register=list(population.register),
        truth=[new_truth[row.id] for row in population.truth], sites=sites, redirects=redirects,
        dead_hosts=tuple(dead), audit=list(population.audit))
    return WaveStep(after, dict(sorted(changes.items())))


def _died(row: Truth) -> Truth:
    return dataclasses.replace(
        row, has_website=False, true_url="", site_status="dead", web_sales=False,
        marketplace=False, social_media=False, online_booking=False, job_ads=False,
        needs_js=False, platform="", discoverable=False)


def web_sales_changes(before: Population, after: Population) -> dict[str, str]:
    """enterprise id -> 'gained' | 'lost' web sales between two waves (the truth)."""
    old = before.truth_by_id()
    changes = {}
    for row in after.truth:
        if row.web_sales != old[row.id].web_sales:
            changes[row.id] = "gained" if row.web_sales else "lost"
    return changes

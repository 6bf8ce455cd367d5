"""Labelled (enterprise, site) pairs from a generated sample web, for fitting the scorer's
web-only features (VAT/company ids, e-mail domain, postcode, domain name).

Each live site's home page and its imprint/contact/about pages are fetched from a local
SampleWebServer (as an HTTP proxy, as the crawler does) and parsed with the crawler's page
extraction; pairs come from blocking, labels from truth (same registered domain as the true
site). Used by `ecomstat.training.matcher` only; never at run time.
"""

from __future__ import annotations

import urllib.request

import numpy as np

from ecomstat.urls import registered_domain, same_site
from ecomstat.register.blocking import candidate_pairs
from ecomstat.register.blocklist import load_webmail
from ecomstat.register.extract import extract_site_facts, page_priority
from ecomstat.register.features import FEATURES, RegisterRecord, pair_features
from ecomstat.register.match_sites import site_country


def _fetch(opener: urllib.request.OpenerDirector, url: str) -> tuple[str, str] | None:
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.geturl(), resp.read(2_000_000).decode("utf-8", "replace")
    except Exception:  # dead, parked or hostile pages are simply skipped
        return None


def sample_web_pairs(n: int, seed: int, max_legal_pages: int = 4,
                     augment: bool = True) -> tuple[np.ndarray, np.ndarray]:
    from ecomstat.sampleweb import SampleWebServer, generate
    from ecomstat.spiders.extract import extract_page

    pop = generate(n, seed)
    truth = {t.id: t for t in pop.truth}
    records = [RegisterRecord(id=r.id, name=r.name, country=r.country, address=r.address,
                              postcode=r.postcode, city=r.city, vat_id=r.vat_id,
                              company_id=r.company_id, phone=r.phone, email=r.email,
                              legal_form=r.legal_form) for r in pop.register]
    countries = {r.id: r.country for r in pop.register}
    sites = []
    with SampleWebServer(pop) as server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://{server.address}"}))
        for t in pop.truth:
            if not t.true_url or t.site_status not in ("live", "redirect"):
                continue
            fetched = _fetch(opener, t.true_url)
            if fetched is None:
                continue
            final, html = fetched
            home = extract_page(html, final)
            pages = [{"url": final, "title": home.title, "text": home.text, "links": home.links,
                      "structured_data": home.structured_data}]
            legal = [link["url"] for link in home.links
                     if same_site(link.get("url", ""), final) and page_priority(link["url"]) == 0]
            for url in list(dict.fromkeys(legal))[:max_legal_pages]:
                got = _fetch(opener, url)
                if got:
                    page = extract_page(got[1], got[0])
                    pages.append({"url": got[0], "title": page.title, "text": page.text,
                                  "links": page.links, "structured_data": page.structured_data})
            domain = registered_domain(final)
            facts = extract_site_facts(pages, site_country(domain, countries[t.id]), domain)
            sites.append(facts)
    webmail = load_webmail().domains
    pairs = candidate_pairs(records, sites, webmail=webmail, per_record=10)
    X, y = [], []
    for r, site_ids in pairs.items():
        true_url = truth[records[r].id].true_url
        true_domain = registered_domain(true_url) if true_url else ""
        for s in site_ids:
            X.append(pair_features(records[r], sites[s], webmail))
            y.append(int(sites[s].domain == true_domain))
    X_arr, y_arr = np.array(X), np.array(y)
    return (_with_outdated_registers(X_arr, y_arr) if augment else (X_arr, y_arr))


def _with_outdated_registers(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add, for every third true pair confirmed by an identifier (VAT or company id), a copy
    as if the register were out of date in one respect, in turn: the postcode, the phone
    number, or the address and postcode (the firm moved). Registers lag behind the web: these
    links must survive exactly the contradictions validation exists to report, and the sample
    web has too few of them to teach the scorer that."""
    idx = {f: i for i, f in enumerate(FEATURES)}
    ids = (X[:, idx["vat_id"]] > 0) | (X[:, idx["company_id"]] > 0)
    rows = X[(y == 1) & ids][::3].copy()
    changes = (("postcode",), ("phone",), ("address", "postcode"))
    for i, row in enumerate(rows):
        for feature in changes[i % len(changes)]:
            if row[idx[feature]] != 0:
                row[idx[feature]] = -1.0 if feature != "address" else -0.5
    return np.vstack([X, rows]), np.concatenate([y, np.ones(len(rows), dtype=y.dtype)])

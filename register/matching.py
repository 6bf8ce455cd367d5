"""Website <-> enterprise matching: blocking, features, calibrated score, best site per
enterprise above ECOMSTAT_MATCH_THRESHOLD.

`match_records` works on in-memory records (benchmarks, evaluation); `match_store` reads the
register and the crawled pages from the store and writes the links (website.status='linked',
enterprise_id, match_score, match_evidence) in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecomstat.register.blocking import candidate_pairs
from ecomstat.register.extract import SiteFacts
from ecomstat.register.features import FEATURES, RegisterRecord, pair_features
from ecomstat.register.scorer import MatchScorer


@dataclass
class PairScore:
    record: int  # index into records
    site: int  # index into sites
    probability: float
    features: list[float]


@dataclass
class MatchResult:
    links: list[PairScore] = field(default_factory=list)  # best site per enterprise >= threshold
    scored: list[PairScore] = field(default_factory=list)  # every blocked pair
    pairs_compared: int = 0


def score_pairs(records: Sequence[RegisterRecord], sites: Sequence[SiteFacts],
                pairs: dict[int, list[int]], scorer: MatchScorer,
                webmail: frozenset[str] | set[str] = frozenset()) -> list[PairScore]:
    flat = [(r, s) for r, site_ids in pairs.items() for s in site_ids]
    if not flat:
        return []
    X = np.array([pair_features(records[r], sites[s], webmail) for r, s in flat], dtype=float)
    probs = scorer.predict_proba(X)
    return [PairScore(r, s, float(p), list(x)) for (r, s), p, x in zip(flat, probs, X.tolist())]


def choose_links(scored: Sequence[PairScore], threshold: float) -> list[PairScore]:
    """Greedy one-to-one assignment, most probable pair first (ties: record, then site order):
    an enterprise gets at most one site and a site at most one enterprise (two firms do not
    share one imprint)."""
    taken_records: set[int] = set()
    taken_sites: set[int] = set()
    links = []
    for pair in sorted(scored, key=lambda p: (-p.probability, p.record, p.site)):
        if pair.probability < threshold:
            break
        if pair.record in taken_records or pair.site in taken_sites:
            continue
        taken_records.add(pair.record)
        taken_sites.add(pair.site)
        links.append(pair)
    return links


def match_records(records: Sequence[RegisterRecord], sites: Sequence[SiteFacts], scorer: MatchScorer,
                  threshold: float, *, webmail: frozenset[str] | set[str] = frozenset(),
                  per_record: int = 10) -> MatchResult:
    pairs = candidate_pairs(records, sites, webmail=webmail, per_record=per_record)
    scored = score_pairs(records, sites, pairs, scorer, webmail)
    return MatchResult(choose_links(scored, threshold), scored, len(scored))


def evidence(rec: RegisterRecord, site: SiteFacts, pair: PairScore, scorer: MatchScorer) -> dict[str, Any]:
    """How the link was made: the probability, each feature's push on the log-odds, and the
    agreeing facts with the page that states them."""
    values = dict(zip(FEATURES, pair.features))
    agreeing = {}
    if values["vat_id"] > 0:
        agreeing["vat_id"] = {"value": rec.vat_id, "url": site.evidence_urls.get("vat_id")}
    if values["company_id"] > 0:
        agreeing["company_id"] = {"value": rec.company_id, "url": site.evidence_urls.get("company_id")}
    if values["phone"] > 0:
        agreeing["phone"] = {"value": rec.phone_e164, "url": site.evidence_urls.get("phone")}
    if values["postcode"] > 0:
        agreeing["postcode"] = {"value": rec.postcode, "url": site.evidence_urls.get("postcode")}
    if values["email_domain"] > 0:
        agreeing["email_domain"] = {"value": rec.email_domain}
    return {
        "method": f"logistic-regression {scorer.version}".strip(),
        "probability": round(pair.probability, 4),
        "features": {f: round(v, 3) for f, v in values.items()},
        "contributions": scorer.explain(pair.features),
        "agreeing": agreeing,
        "site_name": site.names[0] if site.names else None,
    }

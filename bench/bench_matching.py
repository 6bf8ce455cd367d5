"""Matching at scale: 100,000 enterprises against 100,000 crawled sites, with blocking.

    python bench/bench_matching.py [--n 100000] [--seed 0]

Synthetic and seeded: enterprise names from random syllable words (a realistic spread of
distinctive tokens) plus common trade words and legal forms; 85% of enterprises have a site
(name written differently, fields missing or contradicting the register at realistic rates:
VAT id on 45% of sites, phone on 70%, 10% with a different postcode), plus 15,000 sites of
firms that are not in the register. Prints the time for blocking, features+scoring and the
assignment, the pairs compared (vs n*n for all pairs), and link precision/recall on the
synthetic truth. Target: under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time


from ecomstat.register.blocking import candidate_pairs  # noqa: E402
from ecomstat.register.extract import SiteFacts  # noqa: E402
from ecomstat.register.features import RegisterRecord  # noqa: E402
from ecomstat.register.legal_forms import tokens  # noqa: E402
from ecomstat.register.matching import choose_links, score_pairs  # noqa: E402
from ecomstat.register.scorer import MatchScorer  # noqa: E402

SYLLABLES = ["ka", "ro", "mi", "ten", "bar", "lo", "sa", "vin", "del", "tor", "ma", "ri", "no",
             "ber", "gan", "li", "zu", "fel", "dor", "pa", "wen", "sch", "mul", "ler", "ste", "in",
             "ko", "wal", "ski", "ova", "ra", "tek", "bel", "gi", "ur", "han", "sen", "dra", "vo"]
TRADES = ["bakery", "consulting", "logistics", "hotel", "software", "fashion", "cosmetics",
          "restaurant", "electric", "furniture", "transport", "design", "media", "auto", "books"]
FORMS = {"DE": "GmbH", "FR": "SARL", "IT": "S.r.l.", "PL": "Sp. z o.o.", "GB": "Ltd", "BR": "Ltda"}
TLD = {"DE": "de", "FR": "fr", "IT": "it", "PL": "pl", "GB": "co.uk", "BR": "com.br"}
PHONE_CC = {"DE": "+49", "FR": "+33", "IT": "+39", "PL": "+48", "GB": "+44", "BR": "+55"}


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def synthesise(n: int, seed: int) -> tuple[list[RegisterRecord], list[SiteFacts], dict[int, int]]:
    rng = random.Random(seed)
    records, sites, truth = [], [], {}
    for i in range(n):
        country = rng.choice(list(FORMS))
        base = f"{word(rng)} {rng.choice(TRADES).capitalize()}" if rng.random() < 0.6 else \
            f"{word(rng)} {word(rng)}"
        street = f"{word(rng)}str {rng.randint(1, 200)}"
        postcode = f"{rng.randint(10000, 99999)}"
        city = word(rng)
        phone = f"{PHONE_CC[country]}{rng.randint(200000000, 999999999)}"
        vat = f"{country}{rng.randint(100000000, 999999999)}"
        label = "".join(tokens(base)) if rng.random() < 0.5 else "-".join(tokens(base))
        domain = f"{label}.{TLD[country]}"
        records.append(RegisterRecord(
            id=f"E{i:06d}", name=f"{base} {FORMS[country]}", country=country, address=street,
            postcode=postcode, city=city, vat_id=vat if rng.random() < 0.8 else "",
            phone=phone if rng.random() < 0.7 else "",
            email=f"info@{domain}" if rng.random() < 0.3 else ""))
        if rng.random() < 0.85:
            site_postcode = postcode if rng.random() < 0.9 else f"{rng.randint(10000, 99999)}"
            shown = base if rng.random() < 0.8 else f"{base} {FORMS[country]}"
            truth[i] = len(sites)
            sites.append(SiteFacts(
                domain=domain, names=[shown, f"Home - {shown}"],
                vat_ids={vat} if rng.random() < 0.45 else set(),
                phones={phone} if rng.random() < 0.7 else set(),
                postcodes={site_postcode}, postcode_order=[site_postcode],
                legal_text=" ".join(tokens(f"{shown} {street} {site_postcode} {city}")),
                email_domains={domain} if rng.random() < 0.6 else set()))
    for _ in range(int(n * 0.15)):  # firms on the web that are not in the register
        base = f"{word(rng)} {rng.choice(TRADES).capitalize()}"
        sites.append(SiteFacts(domain=f"{''.join(tokens(base))}.com", names=[base],
                               postcodes={f"{rng.randint(10000, 99999)}"},
                               legal_text=" ".join(tokens(f"{base} {word(rng)}str 5 {word(rng)}"))))
    order = list(range(len(sites)))
    rng.shuffle(order)  # crawl order is not register order
    position = {old: new for new, old in enumerate(order)}
    sites = [sites[old] for old in order]
    truth = {r: position[s] for r, s in truth.items()}
    return records, sites, truth


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    records, sites, truth = synthesise(args.n, args.seed)
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    scorer = MatchScorer.load()
    pairs = candidate_pairs(records, sites)
    t2 = time.perf_counter()
    scored = score_pairs(records, sites, pairs, scorer)
    t3 = time.perf_counter()
    links = choose_links(scored, args.threshold)
    t4 = time.perf_counter()
    cpu4 = time.process_time()

    tp = sum(1 for link in links if truth.get(link.record) == link.site)
    precision = tp / len(links) if links else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    recall_blocking = sum(1 for r, s in truth.items() if s in pairs.get(r, ())) / len(truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"enterprises {len(records):,}  sites {len(sites):,}  (synthetic, seed {args.seed})")
    print(f"synthesis        {t1 - t0:7.1f} s (not part of matching)")
    print(f"blocking         {t2 - t1:7.1f} s  pairs {len(scored):,} "
          f"({len(scored) / len(records):.1f} per enterprise; all pairs would be {len(records) * len(sites):,})")
    print(f"features+scoring {t3 - t2:7.1f} s  ({len(scored) / max(t3 - t2, 1e-9):,.0f} pairs/s)")
    print(f"assignment       {t4 - t3:7.1f} s")
    print(f"matching total   {t4 - t1:7.1f} s wall, {cpu4 - cpu1:.1f} s CPU (target < 120 s); "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"blocking recall {recall_blocking:.4f}  links {len(links):,}  precision {precision:.4f}  "
          f"recall {recall:.4f}  F1 {f1:.4f}")
    print(f"peak RSS {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Blocking: which (enterprise, site) pairs are worth scoring, without comparing all pairs.

Both sides emit keys; a pair is a candidate when it shares a key: an identifier (VAT/company
id), a phone number, an e-mail domain, the site having been found for or linked to the
enterprise, or a distinctive name token (one that few sites carry: `bakery` is not a key in a
register full of bakeries). Per enterprise the pairs sharing most keys are kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ecomstat.urls import TEST_TLD
from ecomstat.register.extract import SiteFacts, id_keys
from ecomstat.register.features import RegisterRecord, prepared
from ecomstat.register.legal_forms import tokens

NAME_KEY_PREFIX = "nm:"  # keys made of a name word (the only ones dropped when too common)
MAX_BLOCK = 50  # a name word on more sites than this is too common to block on
PER_RECORD = 10  # candidate sites kept per enterprise

_STOP = {"the", "and", "und", "der", "die", "das", "les", "des", "del", "della", "von", "van",
         "www", "com", "shop", "home", "welcome", "willkommen", "impressum", "imprint", "contact",
         "kontakt", "gmbh", "ltd", "online", "store", "official"}


def _name_keys(texts: Iterable[str]) -> set[str]:
    return {f"{NAME_KEY_PREFIX}{t}" for text in texts for t in tokens(text) if len(t) >= 3 and t not in _STOP
            and not t.isdigit()}


def _strip_test(domain: str) -> str:
    return domain[: -len(TEST_TLD) - 1] if domain.endswith("." + TEST_TLD) else domain


def record_keys(rec: RegisterRecord, webmail: frozenset[str] | set[str] = frozenset()) -> set[str]:
    keys = {f"id:{k}" for v in (rec.vat_id, rec.company_id) if v for k in id_keys(v)}
    if rec.phone_e164:
        keys.add(f"ph:{rec.phone_e164}")
    if rec.email_domain and rec.email_domain not in webmail:
        keys.add(f"em:{_strip_test(rec.email_domain)}")
    keys.add(f"at:{rec.id}")
    keys |= _name_keys(rec.name_cores)
    keys |= {"dl:" + core.replace(" ", "") for core in rec.name_cores}
    return keys


def site_keys(site: SiteFacts) -> set[str]:
    d = prepared(site)
    keys = {f"id:{k}" for k in d["id_keys"]}
    keys |= {f"ph:{p}" for p in site.phones}
    keys |= {f"em:{_strip_test(d)}" for d in site.email_domains}
    if site.domain:
        keys.add(f"em:{_strip_test(site.domain)}")
        keys.add(f"dl:{d['label']}")
        keys |= _name_keys([site.domain.replace(".", " ").replace("-", " ")])
    if site.attached_enterprise_id:
        keys.add(f"at:{site.attached_enterprise_id}")
    keys |= _name_keys(site.names[:3])
    return keys


def candidate_pairs(
    records: Sequence[RegisterRecord],
    sites: Sequence[SiteFacts],
    *,
    webmail: frozenset[str] | set[str] = frozenset(),
    max_block: int = MAX_BLOCK,
    per_record: int = PER_RECORD,
) -> dict[int, list[int]]:
    """{record index: [site index, ...]} sharing at least one key, most shared keys first.

    Name-token keys carried by more than `max_block` sites are dropped (too common to block on);
    identifier, phone, e-mail and attachment keys are always kept.
    """
    index: dict[str, list[int]] = defaultdict(list)
    for i, site in enumerate(sites):
        for key in site_keys(site):
            index[key].append(i)
    out: dict[int, list[int]] = {}
    for r, rec in enumerate(records):
        shared: Counter[int] = Counter()
        for key in record_keys(rec, webmail):
            hits = index.get(key)
            if not hits:
                continue
            if is_name_key(key) and len(hits) > max_block:
                continue
            for i in hits:
                shared[i] += key_weight(key)
        if shared:
            out[r] = best_candidates(shared, per_record)
    return out


def is_name_key(key: str) -> bool:
    return key.startswith(NAME_KEY_PREFIX)


def key_weight(key: str) -> int:
    """A shared name word counts 1; an identifier, phone, e-mail, domain label or attachment 3."""
    return 1 if is_name_key(key) else 3


def best_candidates(shared: Mapping[int, int], per_record: int) -> list[int]:
    """The sites sharing most key weight with one enterprise, at most `per_record`, heaviest
    first and then by site order (so ties never depend on hashing)."""
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:per_record]
    # a site sharing an id, phone, e-mail or domain label makes pairs that share a single name
    # word (weight 1) pointless to score
    floor = 2 if ranked[0][1] >= 3 else 1
    return [site for site, weight in ranked if weight >= floor]

"""Candidate website URLs for an enterprise, without any network access.

Sources, best first: the e-mail domain (unless a webmail provider), a domain written in the
name itself, then guesses from the name (register.name_labels spells them: the name without
its legal form, joined and hyphenated, transliterated ü -> u and ue, without generic or filler
words, first word, acronyms, group/corp variants, ...) under .com, the country's domain
suffixes (ccTLD and commercial second-level domains such as .com.my or .co.id), .net and .org.
Guesses are ranked by RANKING: (name pattern, suffix class) pairs in the order of how often
each was a real company's registered domain in development data (README, "Register
validation"); at most MAX_CANDIDATES are returned. Blocklisted domains (marketplaces,
directories, social networks, site builders) are dropped unless the domain's label is the
company's own name (`Google` -> google.com, `Rakuten` -> rakuten.com).

ECOMSTAT_CANDIDATE_SUFFIX is appended to every host: the sample web lives under `.test`
(`www.mueller-baeckerei.de.test`), so the demo sets it to `.test`.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ecomstat.settings import Settings
from ecomstat.urls import public_suffix, registered_domain
from ecomstat.register.blocklist import DomainList, load_blocklist, load_webmail
from ecomstat.register.countries import country_names
from ecomstat.register.country_domains import _codes_by_name, country_suffixes, lookup_country
from ecomstat.register.errors import InvalidCandidateInput
from ecomstat.register.legal_forms import tokens
from ecomstat.register.name_labels import SELF_PATTERNS, name_labels

MAX_CANDIDATES = 20
_NAME_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)

# (name pattern, suffix class), best first. Suffix classes: `com`; `cc` the country's first
# non-.com suffix (de, co.uk, com.br); `cc2` its other suffixes; `net`; `org`. The order follows
# the share of real companies' registered domains each pair spelled on one half of the
# development data (703 large companies from Wikipedia; full.com 38 %, full.cc 10 %, first.com
# 17 % of the names with a first word, ...), with the hyphenated name moved up because
# small firms use it far more than large ones (mueller-baeckerei.de). Pairs not listed are
# not proposed: each candidate costs up to four requests in discovery.
RANKING: tuple[tuple[str, str], ...] = (
    ("full", "com"), ("full", "cc"), ("specific", "com"), ("nocountry", "cc"), ("first", "com"),
    ("full-h", "cc"), ("full-h", "com"), ("first-h", "com"), ("content", "com"), ("content", "cc"),
    ("alt-full", "cc"), ("alt-full", "com"), ("specific", "cc"), ("acr-content", "cc"),
    ("and", "com"), ("and", "cc"), ("first", "cc"), ("first2", "com"), ("acr-content", "com"),
    ("acr-legal", "cc"), ("nocountry", "com"), ("camel-first", "com"), ("camel-acr", "com"),
    ("acr-all", "com"), ("acr-all", "cc"), ("specific-h", "com"), ("specific-h", "cc"),
    ("content-h", "cc"), ("content-h", "com"), ("alt-full-h", "cc"), ("alt-full-h", "com"),
    ("with-form", "com"), ("with-form", "cc"), ("first2", "cc"), ("full", "cc2"), ("full-h", "cc2"), ("last", "com"),
    ("specific", "net"), ("full", "net"), ("init-rest", "cc"), ("last", "cc"), ("first", "cc2"),
    ("city", "cc"), ("city-h", "cc"), ("city", "com"), ("full", "org"), ("acr-all", "cc2"),
    ("with-corp", "com"), ("with-group", "com"), ("with-inc", "com"), ("first-group", "com"),
    ("h-group", "com"), ("grupo", "com"), ("with-plc", "com"), ("acr-country", "cc"),
    ("first-cc", "com"), ("with-group", "cc"), ("with-global", "com"),
)
_RANK = {cell: i for i, cell in enumerate(RANKING)}


@dataclass(frozen=True)
class Candidate:
    url: str
    domain: str  # registered domain, suffix included
    source: str  # email | name-domain | name-guess
    pattern: str = ""  # the name pattern of a name guess (register.name_labels)


@dataclass
class EnterpriseInput:
    id: str
    name: str
    country: str  # ISO code; '' when the file's country is unknown
    email: str = ""
    city: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _country_words() -> frozenset[str]:
    """One-word country names (china, japan, india, ...): dropped by the `nocountry` pattern."""
    return frozenset(key for key in _codes_by_name() if key.isalpha())


def _suffix_classes(country: str) -> list[tuple[str, str]]:
    national = [s for s in country_suffixes(country) if s != "com"]
    classes = [("com", "com")] + [(s, "cc" if i == 0 else "cc2") for i, s in enumerate(national)]
    return classes + [(s, s) for s in ("net", "org") if s not in national]


class CandidateGenerator:
    """Generates candidate URLs; construct once (lists loaded once), call per enterprise."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        suffix: str | None = None,
        blocklist: DomainList | None = None,
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        if suffix is None:
            suffix = str(settings["ECOMSTAT_CANDIDATE_SUFFIX"]) if settings is not None else ""
        suffix = suffix.strip()
        self.suffix = ("." + suffix.lstrip(".")) if suffix else ""
        self.blocklist = blocklist if blocklist is not None else load_blocklist(settings)
        self.webmail = load_webmail()
        self.max_candidates = max_candidates

    def _email_domain(self, email: str) -> str | None:
        if "@" not in email:
            return None
        domain = email.rsplit("@", 1)[1].strip().strip(".").lower()
        if not domain or "." not in domain or domain in self.webmail:
            return None
        return registered_domain(domain) if public_suffix(domain) else None

    def name_guesses(self, name: str, country: str, city: str = "") -> list[tuple[str, str]]:
        """(domain, pattern) guesses from the name, ranked, before the blocklist and the cap."""
        code = lookup_country(country) or ""
        country_name = "".join(tokens(country_names().get(code, ""))) if code else ""
        labels = [(n.pattern, n.label) for n in name_labels(name, code, _country_words(), country_name)]
        city_toks = tokens(city)
        if city_toks and labels:
            labels += [("city", labels[0][1] + "".join(city_toks)),
                       ("city-h", labels[1 if len(labels) > 1 else 0][1] + "-" + "-".join(city_toks))]
        cells = []
        for p_index, (pattern, label) in enumerate(labels):
            for s_index, (suffix, klass) in enumerate(_suffix_classes(code)):
                rank = _RANK.get((pattern, klass))
                if rank is not None:
                    cells.append((rank, p_index, s_index, f"{label}.{suffix}", pattern))
        cells.sort()
        return list({domain: (domain, pattern) for *_, domain, pattern in reversed(cells)}.values())[::-1]

    def generate(self, name: str, country: str, email: str = "", city: str = "") -> list[Candidate]:
        """Ranked candidates for one enterprise; `country` is an ISO code or English name, and
        an unknown or empty one gives guesses under .com, .net and .org only."""
        guesses = self.name_guesses(name, country, city)
        own = {domain.split(".", 1)[0] for domain, pattern in guesses
               if pattern.removeprefix("alt-") in SELF_PATTERNS}
        out: dict[str, Candidate] = {}

        def add(domain: str, source: str, pattern: str = "") -> None:
            domain = domain.lower().strip(".")
            if domain in out or len(out) >= self.max_candidates:
                return
            # the shipped blocklist is for other firms' sites: a company may own a listed
            # domain (Google -> google.com); entries a person added always apply
            if domain in self.blocklist and (
                    self.blocklist.added_by_user(domain)
                    or (registered_domain(domain).split(".", 1)[0] not in own and source != "name-domain")):
                return
            host = domain if self.suffix and domain.endswith(self.suffix) else domain + self.suffix
            out[domain] = Candidate(f"https://{host}", host, source, pattern)

        email_domain = self._email_domain(email)
        if email_domain:
            add(email_domain, "email")
        for match in _NAME_DOMAIN.finditer(name):
            written = match.group(1).lower()
            if public_suffix(written):
                add(registered_domain(written), "name-domain")
        for domain, pattern in guesses:
            add(domain, "name-guess", pattern)
        return list(out.values())

    def for_enterprise(self, ent: EnterpriseInput) -> list[Candidate]:
        return self.generate(ent.name, ent.country, ent.email, ent.city)


def _decoded_lines(path: Path) -> Iterator[str]:
    """The file's lines as text, read a line at a time; a byte that is not UTF-8 is refused
    with its offset in the file."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidCandidateInput(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        offset = 0
        for raw in handle:
            try:
                line = raw.decode("utf-8-sig" if offset == 0 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidCandidateInput(
                    f"{path}: not UTF-8 text (byte offset {offset + exc.start})") from None
            offset += len(raw)
            yield line


def iter_enterprises(path: Path, unknown: Counter[str] | None = None) -> Iterator[EnterpriseInput]:
    """Stream `id,name,country[,email,city]` rows, checking each; a bad row raises one clear
    error naming the line. A country that is empty or not known is no error: the row gets
    country '' (guesses without country suffixes) and `unknown`, when given, counts the rows
    per country text. Memory: a line at a time, plus the ids seen (to name a duplicate)."""
    lines = _decoded_lines(path)
    head: list[str] = []  # up to the first non-blank line, given back to the reader (line numbers)
    for line in lines:
        head.append(line)
        if line.strip():
            break
    if not head or not head[-1].strip():
        raise InvalidCandidateInput(f"{path}: file is empty")
    try:
        delimiter = csv.Sniffer().sniff(head[0].rstrip("\r\n"), delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.DictReader(itertools.chain(head, lines), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InvalidCandidateInput(f"{path}, line 1: malformed CSV: {exc}") from None
    reader.fieldnames = header
    missing = [c for c in ("id", "name", "country") if c not in header]
    if missing:
        raise InvalidCandidateInput(f"{path}: missing required column(s) {', '.join(missing)} (header: {','.join(header)})")
    seen: set[str] = set()
    line_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # an unclosed quote, text after a closing quote
            raise InvalidCandidateInput(f"{path}, line {line_no + 1}: malformed CSV: {exc}") from None
        line_no = reader.line_num
        yield _checked_row(path, line_no, header, row, seen, unknown)


def _checked_row(path: Path, line_no: int, header: list[str], row: dict[Any, Any], seen: set[str],
                 unknown: Counter[str] | None) -> EnterpriseInput:
    if None in row:  # more fields than the header has columns
        raise InvalidCandidateInput(
            f"{path}, line {line_no}: {len(header) + len(row[None])} fields, the header has {len(header)}")
    values = {k: (v or "").strip() for k, v in row.items() if k}
    for column in ("id", "name"):
        if not values.get(column):
            raise InvalidCandidateInput(f"{path}, line {line_no}, column {column}: empty")
    if values["id"] in seen:
        raise InvalidCandidateInput(f"{path}, line {line_no}, column id: duplicate id {values['id']!r}")
    seen.add(values["id"])
    country = lookup_country(values.get("country", "")) or ""
    if not country and unknown is not None:
        unknown[values.get("country", "")] += 1
    return EnterpriseInput(values["id"], values["name"], country,
                           values.get("email", ""), values.get("city", ""))


def read_enterprises(path: Path, unknown: Counter[str] | None = None) -> list[EnterpriseInput]:
    """Every row of the file (iter_enterprises), all checked before any is returned."""
    return list(iter_enterprises(path, unknown))


def candidates_for_file(path: Path, settings: Settings,
                        warn: Callable[[str], None] | None = None) -> Iterable[dict[str, object]]:
    """`{"id", "candidates": [url, ...]}` for each row of a candidates input file. The file is
    read and checked first (a first pass that keeps no rows, so a national register streams);
    then `warn` gets one message per distinct unknown country (with its row count), before the
    first row is yielded; a second pass yields the rows."""
    unknown: Counter[str] = Counter()
    for _ in iter_enterprises(path, unknown):
        pass
    generator = CandidateGenerator(settings)
    for text, count in sorted(unknown.items()):
        if warn is not None:
            what = f"unknown country {text!r}" if text else "no country"
            warn(f"{what} on {count} row{'s' if count != 1 else ''}: candidates without country "
                 "suffixes (.com, .net, .org; write an ISO code like DE or an English name like Germany)")
    for row in iter_enterprises(path):
        yield {"id": row.id, "candidates": [c.url for c in generator.for_enterprise(row)]}

"""Candidate website URLs for an enterprise, without any network access.

Sources, best first: the e-mail domain (unless a webmail provider), a domain written in the
name itself, then guesses from the name with its legal form stripped, transliterated
(ü -> u and ue), joined and hyphenated, under the country's domain suffixes and `.com`, then
weaker guesses (first word, acronym, name plus city, name plus legal form). Blocklisted
domains (marketplaces, directories, social networks, site builders) are dropped.

ECOMSTAT_CANDIDATE_SUFFIX is appended to every host: the sample web lives under `.test`
(`www.mueller-baeckerei.de.test`), so the demo sets it to `.test`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ecomstat.settings import Settings
from ecomstat.urls import public_suffix, registered_domain
from register.blocklist import DomainList, load_blocklist, load_webmail
from register.country_domains import country_suffixes, resolve_country
from register.errors import InvalidCandidateInput
from register.legal_forms import spellings, split_legal_forms, tokens

MAX_CANDIDATES = 20
_FILLER = {"the", "and", "und", "et", "y", "e", "en", "i", "of", "de", "da", "do", "di", "der",
           "die", "das", "la", "le", "les", "el", "van", "von"}
_NAME_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)
_AND = {"DE": "und", "AT": "und", "CH": "und", "FR": "et", "BE": "et", "ES": "y", "IT": "e",
        "PT": "e", "BR": "e", "NL": "en", "PL": "i", "ID": "dan"}
_GERMANIC_FIRST = {"DE", "AT", "CH", "LI", "LU", "DK", "NO", "SE"}


@dataclass(frozen=True)
class Candidate:
    url: str
    domain: str  # registered domain, suffix included
    source: str  # email | name-domain | name-guess


@dataclass
class EnterpriseInput:
    id: str
    name: str
    country: str
    email: str = ""
    city: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _valid_label(label: str) -> bool:
    return 1 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-")


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

    # -- sources -------------------------------------------------------------------------
    def _email_domain(self, email: str) -> str | None:
        if "@" not in email:
            return None
        domain = email.rsplit("@", 1)[1].strip().strip(".").lower()
        if not domain or "." not in domain or domain in self.webmail:
            return None
        return registered_domain(domain) if public_suffix(domain) else None

    def _labels(self, name: str, country: str) -> Iterator[tuple[str, int]]:
        """(domain label, tier) from the name; tier 0 = strong, 1 = weak guesses."""
        forms = spellings(name)
        if country in _GERMANIC_FIRST:
            forms.reverse()  # mueller-baeckerei.de is the usual German spelling
        for spelling in forms:
            core, forms = split_legal_forms(spelling, country)
            if not core:
                continue
            form = forms[-1] if forms else ""
            yield "".join(core), 0
            yield "-".join(core), 0
            content = [t for t in core if t not in _FILLER]
            if content and content != list(core):
                yield "".join(content), 0
                yield "-".join(content), 0
            if len(core) > 1 and len(core[0]) >= 4:
                yield core[0], 1
            if len(content) >= 3:
                yield "".join(t[0] for t in content), 1
            if "&" in spelling:
                conjunction = _AND.get(country, "and")
                with_and = tokens(spelling.replace("&", f" {conjunction} "))[: len(core) + 1]
                yield "".join(with_and), 1
            if form:
                yield "".join(core) + "".join(tokens(form)), 1
                yield "-".join(core) + "-" + "".join(tokens(form)), 1

    def generate(self, name: str, country: str, email: str = "", city: str = "") -> list[Candidate]:
        country = resolve_country(country)
        suffixes = country_suffixes(country)
        out: dict[str, Candidate] = {}

        def add(domain: str, source: str) -> None:
            domain = domain.lower().strip(".")
            if domain in out or domain in self.blocklist or len(out) >= self.max_candidates:
                return
            host = domain if self.suffix and domain.endswith(self.suffix) else domain + self.suffix
            out[domain] = Candidate(f"https://{host}", host, source)

        email_domain = self._email_domain(email)
        if email_domain:
            add(email_domain, "email")
        for match in _NAME_DOMAIN.finditer(name):
            written = match.group(1).lower()
            if public_suffix(written):
                add(registered_domain(written), "name-domain")

        strong, weak = [], []
        for label, tier in self._labels(name, country):
            if _valid_label(label):
                (strong if tier == 0 else weak).append(label)
        strong, weak = list(dict.fromkeys(strong)), list(dict.fromkeys(weak))
        city_toks = tokens(city)
        if city_toks and strong:
            weak.append(strong[0] + "".join(city_toks))
            weak.append(strong[1 if len(strong) > 1 else 0] + "-" + "-".join(city_toks))

        # country's main suffix and .com first for every strong label, then the rest
        primary = [suffixes[0], "com"] if suffixes[0] != "com" else ["com"]
        for label in strong:
            for suffix in primary:
                add(f"{label}.{suffix}", "name-guess")
        for label in strong:
            for suffix in suffixes[1:]:
                add(f"{label}.{suffix}", "name-guess")
        for label in weak:
            for suffix in primary:
                add(f"{label}.{suffix}", "name-guess")
        return list(out.values())

    def for_enterprise(self, ent: EnterpriseInput) -> list[Candidate]:
        return self.generate(ent.name, ent.country, ent.email, ent.city)


def read_enterprises(path: Path) -> list[EnterpriseInput]:
    """Read `id,name,country[,email,city]` rows; every row is checked before any is returned,
    so a bad file yields one clear error naming the line and nothing else."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidCandidateInput(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCandidateInput(f"{path}: not UTF-8 text (byte offset {exc.start})") from None
    if not text.strip():
        raise InvalidCandidateInput(f"{path}: file is empty")
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InvalidCandidateInput(f"{path}, line 1: malformed CSV: {exc}") from None
    reader.fieldnames = header
    missing = [c for c in ("id", "name", "country") if c not in header]
    if missing:
        raise InvalidCandidateInput(f"{path}: missing required column(s) {', '.join(missing)} (header: {','.join(header)})")
    rows: list[EnterpriseInput] = []
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
        if None in row:  # more fields than the header has columns
            raise InvalidCandidateInput(
                f"{path}, line {line_no}: {len(header) + len(row[None])} fields, the header has {len(header)}")
        values = {k: (v or "").strip() for k, v in row.items() if k}
        for column in ("id", "name", "country"):
            if not values.get(column):
                raise InvalidCandidateInput(f"{path}, line {line_no}, column {column}: empty")
        if values["id"] in seen:
            raise InvalidCandidateInput(f"{path}, line {line_no}, column id: duplicate id {values['id']!r}")
        seen.add(values["id"])
        try:
            country = resolve_country(values["country"])
        except InvalidCandidateInput as exc:
            raise InvalidCandidateInput(f"{path}, line {line_no}, column country: {exc}") from None
        rows.append(EnterpriseInput(values["id"], values["name"], country,
                                    values.get("email", ""), values.get("city", "")))
    return rows


def candidates_for_file(path: Path, settings: Settings) -> Iterable[dict[str, object]]:
    """`{"id", "candidates": [url, ...]}` for each row of a candidates input file."""
    rows = read_enterprises(path)
    generator = CandidateGenerator(settings)
    for row in rows:
        yield {"id": row.id, "candidates": [c.url for c in generator.for_enterprise(row)]}

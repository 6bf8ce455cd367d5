"""Domains that are never an enterprise's own website (directories, marketplaces, social
networks, site-builder roots). Shipped list in data/blocklist.txt, edited by the file named
in the setting ECOMSTAT_URL_BLOCKLIST (same format: one domain a line, `#` comments; a line
`!domain` takes a shipped entry off the list)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ecomstat.settings import Settings
from ecomstat.urls import TEST_TLD, hostname
from ecomstat.register.errors import InvalidCandidateInput


def _parse(lines: Iterable[str]) -> set[str]:
    out = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip().lower().lstrip(".")
        if entry:
            out.add(entry)
    return out


def _shipped(name: str) -> set[str]:
    return _parse(resources.files("ecomstat.register").joinpath(f"data/{name}").read_text("utf-8").splitlines())


class DomainList:
    """A set of domains matched on the host and each of its parent domains, so an entry
    `myshopify.com` also blocks `shop.myshopify.com`. A `.test` wrapper is ignored."""

    def __init__(self, domains: Iterable[str], added: Iterable[str] = ()) -> None:
        self.domains = frozenset(d.lower() for d in domains)
        # entries the ECOMSTAT_URL_BLOCKLIST file added: a person's decision, which no rule
        # overrides (a company named like a shipped entry keeps its own domain, not these)
        self.added = frozenset(d.lower() for d in added)

    @staticmethod
    def _parents(host_or_url: str) -> list[str]:
        host = hostname(host_or_url)
        if host.endswith("." + TEST_TLD):
            host = host[: -len(TEST_TLD) - 1]
        parts = host.split(".")
        return [".".join(parts[i:]) for i in range(len(parts) - 1)]

    def __contains__(self, host_or_url: str) -> bool:
        return any(d in self.domains for d in self._parents(host_or_url))

    def added_by_user(self, host_or_url: str) -> bool:
        """Blocked by an entry of the ECOMSTAT_URL_BLOCKLIST file (not the shipped list)."""
        return any(d in self.added for d in self._parents(host_or_url))

    def __len__(self) -> int:
        return len(self.domains)


def load_blocklist(settings: Settings | None = None) -> DomainList:
    """The shipped blocklist edited by the file ECOMSTAT_URL_BLOCKLIST names, if any: its
    domains are added, its `!domain` lines remove shipped entries."""
    domains = _shipped("blocklist.txt")
    extra = str(settings["ECOMSTAT_URL_BLOCKLIST"]) if settings is not None else ""
    if extra:
        path = Path(extra).expanduser()
        try:
            edits = _parse(path.read_text("utf-8").splitlines())
        except OSError as exc:
            raise InvalidCandidateInput(f"ECOMSTAT_URL_BLOCKLIST: cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidCandidateInput(f"ECOMSTAT_URL_BLOCKLIST: {path} is not UTF-8 text") from None
        allowed = {entry[1:].strip().lstrip(".") for entry in edits if entry.startswith("!")}
        added = {entry for entry in edits if not entry.startswith("!")}
        return DomainList((domains - allowed) | added, added - domains)
    return DomainList(domains)


def load_webmail() -> DomainList:
    """Webmail/ISP e-mail domains (gmail.com, web.de, orange.fr, wp.pl, uol.com.br, ...)."""
    return DomainList(_shipped("webmail.txt"))

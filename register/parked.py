"""Parked-domain detection: a registrar or domain-parking page instead of a firm's website.

Signals: the final URL on a parking/aftermarket host (Sedo, Bodis, ParkingCrew, Dan, Afternic,
HugeDomains...), or "this domain is for sale"-style text in any of the project's languages on a
page with little other content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ecomstat.urls import registered_domain

PARKING_HOSTS = frozenset({
    "sedo.com", "sedoparking.com", "bodis.com", "parkingcrew.net", "dan.com", "afternic.com",
    "hugedomains.com", "above.com", "parklogic.com", "undeveloped.com", "namecheap.com",
    "godaddy.com", "domainmarket.com", "uniregistry.com", "epik.com", "buydomains.com",
    "voodoo.com", "skenzo.com", "domainnamesales.com", "atom.com", "squadhelp.com",
})

_FOR_SALE = re.compile(
    "|".join([
        r"domain (?:name )?(?:may be|is|might be) for sale", r"buy this domain", r"this domain is parked",
        r"domain (?:is )?parked", r"parked (?:free|domain|by)", r"domain parking", r"make an offer",
        r"inquire about this domain", r"the domain [\w.-]+ (?:may be|is) for sale",
        r"diese domain (?:kann|steht|ist)[^.]{0,40}(?:verkauf|gekauft|erwerben)", r"domain kaufen",
        r"ce (?:nom de )?domaine (?:est|peut être) (?:à|a) vendre", r"domaine à vendre",
        r"este dominio (?:está|puede estar) (?:a la )?venta", r"dominio en venta",
        r"questo dominio (?:è|potrebbe essere) in vendita", r"dominio in vendita",
        r"deze domeinnaam is te koop", r"domein(?:naam)? te koop",
        r"ta domena (?:jest|może być) na sprzedaż", r"domena na sprzedaż",
        r"domain ini dijual", r"domínio (?:está )?à venda", r"este domínio (?:pode estar|está) à venda",
        r"related searches", r"sponsored listings",
    ]),
    re.I,
)
# every _FOR_SALE phrase contains one of these (lower case): the regex, ~25 alternatives tried at
# each of 5,000 characters, then runs only on pages that could match
_FOR_SALE_WORDS = ("domain", "dominio", "domínio", "domein", "domena", "parked", "make an offer",
                   "related searches", "sponsored listings")


def parked_reason(text: str, final_url: str = "", links: Iterable[str] = ()) -> str | None:
    """Why the page looks parked (a short reason for the evidence), or None."""
    if final_url and registered_domain(final_url) in PARKING_HOSTS:
        return f"redirects to parking host {registered_domain(final_url)}"
    sample = (text or "")[:5000]
    lowered = sample.lower()
    match = _FOR_SALE.search(sample) if any(word in lowered for word in _FOR_SALE_WORDS) else None
    if match:
        words = len(sample.split())
        if words < 400:
            return f"parking text: {match.group(0)!r}"
    parking_links = {registered_domain(u) for u in links if u} & PARKING_HOSTS
    if parking_links and len(sample.split()) < 150:
        return f"links to {sorted(parking_links)[0]} on a near-empty page"
    return None


def is_parked(text: str, final_url: str = "", links: Iterable[str] = ()) -> bool:
    return parked_reason(text, final_url, links) is not None

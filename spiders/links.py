"""Which links of a site to follow first: imprint, contact, about, shop, cart, checkout, terms,
careers pages (multilingual keywords), then the rest; links in a preferred language win over
their translations; files that are not pages are never followed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

# keyword -> weight; matched against the URL path and the anchor text, lower-cased
KEYWORDS: dict[str, float] = {}
for weight, words in (
    (10.0, "imprint impressum mentions-legales mentions legal-notice aviso-legal aviso legal "
           "colofon colophon kolofon note-legali informativa rechtliches"),
    (8.0, "contact kontakt contacto contatti contato contactez nous-contacter"),
    (7.0, "shop store tienda boutique negozio loja winkel sklep webshop onlineshop products "
          "produkte produits productos prodotti catalog katalog catalogue"),
    (7.0, "cart basket warenkorb panier carrito carrello cesta carrinho winkelwagen koszyk"),
    (7.0, "checkout kasse caisse pagamento bestellen order commande pedido"),
    (6.0, "about ueber-uns uber-uns about-us qui-sommes-nous quienes-somos chi-siamo "
          "sobre-nos over-ons unternehmen company firma empresa azienda entreprise"),
    (5.0, "terms agb conditions cgv condiciones termini privacy datenschutz "
          "confidentialite privacidad"),
    (4.0, "careers jobs karriere stellenangebote emploi empleo lavora-con-noi vacatures"),
    (3.0, "booking reservation reservierung buchen menu speisekarte"),
):
    for word in words.split():
        KEYWORDS[word] = weight

NON_PAGE_EXTENSIONS = (
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".zip", ".gz", ".rar",
    ".7z", ".mp3", ".mp4", ".avi", ".mov", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx",
    ".exe", ".dmg", ".css", ".js", ".json", ".xml", ".woff", ".woff2", ".ttf", ".tar", ".rss",
)
LANG_SEGMENT = re.compile(r"^([a-z]{2})(?:[-_][a-z]{2})?$")
TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_page_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return not path.endswith(NON_PAGE_EXTENSIONS)


def link_language(link: dict[str, str]) -> str | None:
    if link.get("hreflang"):
        return link["hreflang"].split("-")[0]
    segments = [s for s in urlsplit(link["url"]).path.lower().split("/") if s]
    if segments:
        match = LANG_SEGMENT.match(segments[0])
        if match:
            return match.group(1)
    query = urlsplit(link["url"]).query.lower()
    match = re.search(r"(?:^|&)(?:lang|language|hl|locale)=([a-z]{2})", query)
    return match.group(1) if match else None


def score_link(link: dict[str, str], preferred_languages: Sequence[str] = ("en",)) -> float:
    url = link["url"].lower()
    parts = urlsplit(url)
    haystack = f"{parts.path} {parts.query} {link.get('text', '').lower()}"
    score = 0.0
    for token in TOKEN.findall(haystack):
        weight = KEYWORDS.get(token)
        if weight is None and "-" in token:
            weight = max((KEYWORDS.get(piece, 0.0) for piece in token.split("-")), default=0.0)
        if weight and weight > score:
            score = weight
    language = link_language(link)
    if language:
        score += 3.0 if language in preferred_languages else -3.0
    # shallow pages first among equals: home-near pages describe the business
    score -= 0.1 * parts.path.count("/")
    return score


def rank_links(
    links: Iterable[dict[str, str]], preferred_languages: Sequence[str] = ("en",)
) -> list[tuple[float, str]]:
    """(score, url), best first; ties broken by URL so a crawl picks the same pages every time
    (that is what makes a resumed run end with exactly the pages of an uninterrupted one)."""
    ranked = [(score_link(link, preferred_languages), link["url"]) for link in links
              if is_page_url(link["url"])]
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return ranked

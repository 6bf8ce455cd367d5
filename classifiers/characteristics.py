"""Website characteristics per site (the ICT-usage survey's website questions), from the pages
crawled on it: a store on a marketplace, social-media profiles, online booking, job ads, a
privacy policy, the languages offered, and the shop platform.

Rules, not a learned model: each answer is "yes"/"no" (or a value) with the links or snippets
that decided it, so a reviewer can check every label.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ecomstat.classifiers.ecommerce.platforms import (SHOP_PLATFORMS, FingerprintMatcher, haystack,
                                             table_hits)
from ecomstat.classifiers.ecommerce.signals import BOOKING_ENGINES, HayScan
from ecomstat.classifiers.html import PageDoc
from ecomstat.classifiers.lexicon import Lexicon, tokens
from ecomstat.classifiers.links import Resolver, path_segments, split_link

TASKS = ("marketplace", "social_media", "online_booking", "job_ads", "privacy_policy",
         "languages", "platform")
MAX_EVIDENCE = 5

# Second-level names of marketplaces (matched on the registered domain, any country suffix).
MARKETPLACES = {
    "amazon": "Amazon", "ebay": "eBay", "etsy": "Etsy", "mercadolivre": "Mercado Livre",
    "mercadolibre": "Mercado Libre", "tokopedia": "Tokopedia", "shopee": "Shopee",
    "allegro": "Allegro", "bol": "bol.com", "zalando": "Zalando", "cdiscount": "Cdiscount",
    "fnac": "Fnac", "rakuten": "Rakuten", "otto": "OTTO", "kaufland": "Kaufland",
    "aliexpress": "AliExpress", "lazada": "Lazada", "bukalapak": "Bukalapak", "blibli": "Blibli",
    "americanas": "Americanas", "magazineluiza": "Magalu", "manomano": "ManoMano",
    "emag": "eMAG", "empik": "Empik", "walmart": "Walmart", "wish": "Wish", "temu": "Temu",
    "notonthehighstreet": "notonthehighstreet", "cdon": "CDON", "fruugo": "Fruugo",
    "leroymerlin": "Leroy Merlin", "pccomponentes": "PcComponentes", "eprice": "ePRICE",
}
# Paths on a marketplace that are about the marketplace itself, not a seller's store.
_MARKETPLACE_GENERIC = re.compile(
    r"^/(?:$|help|gp/help|hilfe|ayuda|ajuda|aiuto|sell|selling|seller-central|verkaufen|vendre|"
    r"vender|vendi|verkopen|sprzedaj|about|legal|privacy|cookies|signin|login|ap/signin|"
    r"register|cart|gp/cart|affiliate|associates|careers|jobs|app|download|"
    # browsing and terms pages: a category, search or best-seller list is not a seller's store
    r"buyer/|ap/register|gp/bestsellers|gp/browse|search|sch/|b/|c/|kategoria|categoria|"
    r"regulamin|terms|ofertas|deals)", re.I)
_AMAZON_SEARCH = re.compile(r"^/s/?$")

# network -> (registered-domain names, first path segments that are NOT a profile)
SOCIAL_NETWORKS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "Facebook": (("facebook", "fb"), frozenset({
        "sharer", "sharer.php", "share", "share.php", "dialog", "plugins", "tr", "login",
        "login.php", "policies", "privacy", "help", "hashtag", "photo.php", "story.php",
        "permalink.php", "watch", "events", "ads", "business", "legal", "l.php", "v2.0",
        "groups", ""})),
    "Instagram": (("instagram",), frozenset({
        "p", "reel", "reels", "explore", "accounts", "about", "legal", "developer", "stories",
        "direct", ""})),
    "LinkedIn": (("linkedin",), frozenset({
        "sharearticle", "sharing", "feed", "login", "legal", "help", "jobs",
        "learning", "signup", "cws", "pulse", ""})),
    "X": (("twitter", "x"), frozenset({
        "intent", "share", "home", "search", "hashtag", "i", "login", "privacy", "tos",
        "settings", "explore", "widgets.js", ""})),
    "YouTube": (("youtube",), frozenset({
        "watch", "embed", "results", "playlist", "shorts", "about", "t", "howyoutubeworks",
        "feed", "redirect", ""})),
    "TikTok": (("tiktok",), frozenset({
        "embed", "share", "tag", "discover", "legal", "login", "music", "video", "about", ""})),
}
_LINKEDIN_PROFILE = {"company", "in", "school", "showcase"}

JOB_WORDS = Lexicon([
    "careers", "career", "jobs", "job openings", "vacancies", "work with us", "join our team",
    "join us", "we are hiring", "we're hiring", "open positions", "karriere", "stellenangebote",
    "stellenanzeigen", "offene stellen", "jobs & karriere", "emploi", "emplois", "carrières",
    "carrieres", "recrutement", "nous rejoindre", "offres d'emploi", "empleo", "empleos",
    "trabaja con nosotros", "ofertas de empleo", "únete", "carreiras", "trabalhe conosco",
    "trabalhe connosco", "vagas", "lavora con noi", "carriere", "posizioni aperte",
    "vacatures", "werken bij", "kom werken", "kariera", "praca", "oferty pracy", "karir",
    "lowongan", "lowongan kerja", "karier",
])
JOB_URL = re.compile(
    r"/(?:careers?|jobs?|vacanc|karriere|stellen|emploi|recrutement|empleo|trabaja|carreiras|"
    r"vagas|trabalhe|lavora-con-noi|carriere|vacatures|werken-bij|kariera|praca|oferty-pracy|"
    r"karir|karier|lowongan)", re.I)
# On a careers page: signs of actual openings, and statements that there are none.
OPENING_WORDS = Lexicon([
    "apply", "apply now", "apply online", "send your cv", "job description", "full time",
    "part time", "bewerben", "jetzt bewerben", "bewerbung", "vollzeit", "teilzeit",
    "wir suchen", "postuler", "candidature", "envoyer votre cv", "nous recrutons", "cdi",
    "aplicar", "postúlate", "inscríbete", "buscamos", "jornada completa", "candidate se",
    "candidatar", "candidatura", "estamos contratando", "vaga", "candidati", "invia il tuo cv",
    "cerchiamo", "tempo pieno", "solliciteer", "solliciteren", "wij zoeken", "fulltime",
    "aplikuj", "wyślij cv", "poszukujemy", "pełny etat", "lamar", "lamar sekarang",
    "kirim cv", "kami mencari", "dibutuhkan",
])
NO_OPENING_WORDS = Lexicon([
    "no open positions", "no vacancies", "no current vacancies", "no openings",
    "keine offenen stellen", "derzeit keine", "aktuell keine", "aucune offre",
    "pas de poste", "no hay ofertas", "no hay vacantes", "nenhuma vaga", "sem vagas",
    "nessuna posizione", "nessuna offerta", "geen vacatures", "geen openstaande",
    "brak ofert", "brak ofert pracy", "tidak ada lowongan", "belum ada lowongan",
])
PRIVACY_WORDS = Lexicon([
    "privacy", "privacy policy", "privacy notice", "privacy statement", "datenschutz",
    "datenschutzerklärung", "datenschutzhinweise", "confidentialité",
    "politique de confidentialité", "données personnelles", "privacidad",
    "política de privacidad", "aviso de privacidad", "privacidade", "política de privacidade",
    "informativa privacy", "informativa sulla privacy", "privacybeleid", "privacyverklaring",
    "polityka prywatności", "prywatność", "kebijakan privasi", "privasi", "rgpd", "gdpr",
])
PRIVACY_URL = re.compile(
    r"/(?:[\w-]*privacy|datenschutz|confidentialite|politique-de-confidentialite|privacidad|"
    r"privacidade|privacybeleid|privacyverklaring|polityka-prywatnosci|prywatnosc|"
    r"kebijakan-privasi|privasi|rgpd|gdpr|dsgvo)", re.I)
BOOKING_WORDS = Lexicon([
    "book now", "book online", "book a table", "book a room", "book your stay",
    "book an appointment", "reserve a table", "reserve now", "online booking",
    "make a reservation", "reservations", "jetzt buchen", "online buchen", "tisch reservieren",
    "zimmer buchen", "termin buchen", "online reservieren", "réserver", "réserver en ligne",
    "réserver une table", "réservation en ligne", "prendre rendez-vous", "reservar",
    "reservar mesa", "reservar ahora", "reserva online", "pedir cita", "reservar agora",
    "agendar", "prenota", "prenota ora", "prenota un tavolo", "prenotazione online",
    "reserveren", "nu boeken", "boek nu", "tafel reserveren", "zarezerwuj", "rezerwuj",
    "rezerwacja online", "umów wizytę", "pesan sekarang", "reservasi", "pesan kamar",
    "booking online",
])
BOOKING_URL = re.compile(r"/(?:book(?:ing|-now|-online)?|reserv\w*|buchen|buchung|prenot\w*|"
                         r"rezerw\w*|boek\w*|reservasi|agendar|termine?|terminbuchung)"
                         r"(?:[/?.#_-]|$)", re.I)
BOOKING_FIELDS = re.compile(r"check.?in|check.?out|arrival|departure|anreise|abreise|"
                            r"arrivee|llegada|chegada|arrivo|aankomst|przyjazd|guests|persons|"
                            r"covers|party.?size|reservation|booking", re.I)
_LANG = re.compile(r"^[a-z]{2}$")
_FINGERPRINTS = FingerprintMatcher([SHOP_PLATFORMS, BOOKING_ENGINES])


@dataclass
class Characteristic:
    task: str
    label: str
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, page: str, evidence: str, strong: bool = False) -> None:
        """Keep up to MAX_EVIDENCE items; strong evidence (a form, markup, an engine) goes
        before mere links so it is never crowded out."""
        item = {"page": page, "evidence": evidence}
        if strong:
            self.evidence.insert(0, item)
            del self.evidence[MAX_EVIDENCE:]
        elif len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(item)


def marketplace_store(url: str) -> str | None:
    name, path = split_link(url)
    return _marketplace(url, name, path)


def _marketplace(url: str, name: str, path: str) -> str | None:
    if name in MARKETPLACES and not _MARKETPLACE_GENERIC.match(path):
        if name == "amazon" and _AMAZON_SEARCH.match(path) and "me=" not in url:
            return None  # a search results page; /s?me=SELLER is a seller's storefront
        query_store = "seller=" in url or "me=" in url or "shop" in url.lower()
        if path != "/" or query_store:
            return MARKETPLACES[name]
    return None


def social_profile(url: str) -> str | None:
    """The network's name when `url` is a profile page (not a share button or a post)."""
    name, path = split_link(url)
    return _social(url, name, path_segments(path))


def _social(url: str, name: str, segments: tuple[str, ...]) -> str | None:
    for network, (names, not_profiles) in SOCIAL_NETWORKS.items():
        if name not in names:
            continue
        first = segments[0] if segments else ""
        if network == "LinkedIn":
            return network if first.lower() in _LINKEDIN_PROFILE and len(segments) > 1 else None
        if network == "YouTube" and first.lower() in {"channel", "c", "user"}:
            return network if len(segments) > 1 else None
        if network == "TikTok":
            return network if first.startswith("@") else None
        if first.lower() in not_profiles:
            return None
        if network == "Facebook" and first == "profile.php" and "id=" not in url:
            return None
        return network
    return None


# Registered-domain names of marketplaces and social networks: any other link is neither.
_PLATFORM_NAMES = frozenset(MARKETPLACES) | {
    name for names, _ in SOCIAL_NETWORKS.values() for name in names}
_ANY_KIND_URL = re.compile("|".join(p.pattern for p in (JOB_URL, PRIVACY_URL, BOOKING_URL)), re.I)


@lru_cache(maxsize=65_536)
def _path_kinds(path: str) -> tuple[bool, bool, bool]:
    """Whether a link path looks like a job, privacy or booking page (one search for the
    usual path that is none of them; cached: a site's pages repeat their navigation)."""
    if not _ANY_KIND_URL.search(path):
        return False, False, False
    return (JOB_URL.search(path) is not None, PRIVACY_URL.search(path) is not None,
            BOOKING_URL.search(path) is not None)


_LINK_FIRST_WORDS = JOB_WORDS.first_words | PRIVACY_WORDS.first_words | BOOKING_WORDS.first_words


@lru_cache(maxsize=65_536)
def _link_words(text: str) -> tuple[bool, bool, bool]:
    """Whether a short link text names a job, privacy or booking page (one tokenisation for
    the three lexicons; cached: navigation texts repeat on every page)."""
    words = tokens(text)
    if _LINK_FIRST_WORDS.isdisjoint(words):  # most link texts: no lexicon can match
        return False, False, False
    return (JOB_WORDS.first(words) is not None, PRIVACY_WORDS.first(words) is not None,
            BOOKING_WORDS.first(words) is not None)


def _languages(docs: Sequence[PageDoc], stored: Iterable[str | None]) -> list[str]:
    found: Counter[str] = Counter()
    for code in [d.lang for d in docs] + [h for d in docs for h in d.hreflangs] + list(stored):
        primary = (code or "").lower().replace("_", "-").split("-")[0]
        if _LANG.match(primary):
            found[primary] += 1
    return sorted(found)


def site_characteristics(docs: Sequence[PageDoc], stored_languages: Iterable[str | None] = (),
                         hay_scans: Sequence[HayScan] | None = None) -> dict[str, Characteristic]:
    """All characteristics of one site from its pages (each PageDoc must carry its URL).
    `hay_scans` are the pages' `signals.scan_haystack` results when the caller has them."""
    result = {task: Characteristic(task, "no") for task in TASKS}
    platforms: Counter[str] = Counter()
    resolve = Resolver()
    for index, doc in enumerate(docs):
        page = doc.url
        resolve.page(page)
        for link in doc.links:
            absolute = resolve(link)
            domain_name, path = split_link(absolute)
            if domain_name in _PLATFORM_NAMES:  # most links: the site's own pages
                if market := _marketplace(absolute, domain_name, path):
                    result["marketplace"].label = "yes"
                    result["marketplace"].add(page, f"{market}: {absolute}")
                if network := _social(absolute, domain_name, path_segments(path)):
                    result["social_media"].label = "yes"
                    result["social_media"].add(page, f"{network}: {absolute}")
            if not absolute.startswith(("http", "//")):
                path = "/" + link.url.lstrip("/")  # relative href and no page URL to resolve it
            text = link.text if len(link.text) < 60 else ""
            job, privacy, booking = _link_words(text) if text else (False, False, False)
            job_path, privacy_path, booking_path = _path_kinds(path)
            if job_path or job:
                result["job_ads"].label = "yes"
                result["job_ads"].add(page, f"link '{text}' -> {absolute}")
            if privacy_path or privacy:
                result["privacy_policy"].label = "yes"
                result["privacy_policy"].add(page, f"link '{text}' -> {absolute}")
            if booking or booking_path and text:
                result["online_booking"].label = "yes"
                result["online_booking"].add(page, f"link '{text}' -> {absolute}")
        _page_level(doc, result)
        # One pass for platforms and engines, or the signals' pass (a superset of tables).
        found, words = hay_scans[index] if hay_scans else _FINGERPRINTS.scan(haystack(doc))
        for name, fingerprint in table_hits(SHOP_PLATFORMS, found, words):
            platforms[name] += 1
            result["platform"].add(page, f"{name} ({fingerprint})")
        engines = table_hits(BOOKING_ENGINES, found, words)
        if engines:
            result["online_booking"].label = "yes"
            result["online_booking"].add(page, f"booking engine {engines[0][0]}", strong=True)
    _decide_job_ads(docs, result["job_ads"])
    languages = _languages(docs, stored_languages)
    result["languages"].label = ",".join(languages)
    result["languages"].evidence = [{"evidence": "html lang / hreflang / detected language"}]
    result["platform"].label = platforms.most_common(1)[0][0] if platforms else "none"
    return result


def _page_level(doc: PageDoc, result: dict[str, Characteristic]) -> None:
    """Evidence inside a page: booking forms, JobPosting markup, buttons."""
    for form in doc.forms:
        hits = [f for f in form.fields if BOOKING_FIELDS.search(f)]
        if len(hits) >= 2:
            result["online_booking"].label = "yes"
            result["online_booking"].add(doc.url, f"booking form fields {', '.join(hits[:4])}",
                                         strong=True)
            break
    for button in doc.buttons:
        if len(button) < 50 and BOOKING_WORDS.search(button):
            result["online_booking"].label = "yes"
            result["online_booking"].add(doc.url, f"button '{button}'")
            break
    kinds = {str(item.get("@type")) for item in doc.jsonld if isinstance(item, dict)}
    if "JobPosting" in kinds or any(t.endswith("/JobPosting") for t in doc.itemtypes):
        result["job_ads"].label = "yes"
        result["job_ads"].add(doc.url, "schema.org JobPosting", strong=True)


def _decide_job_ads(docs: Sequence[PageDoc], job_ads: Characteristic) -> None:
    """A careers link is only a promise: when careers pages were crawled, their content
    decides (openings listed, or "no open positions"); JobPosting markup always counts."""
    if any(e["evidence"] == "schema.org JobPosting" for e in job_ads.evidence):
        return
    careers = [d for d in docs
               if JOB_URL.search(split_link(d.url)[1] if "://" in d.url else d.url)]
    if not careers:
        return
    openings = []
    for doc in careers:
        words = tokens(doc.text)
        if NO_OPENING_WORDS.first(words) is None and (hit := OPENING_WORDS.first(words)):
            openings.append((doc.url, hit))
    if openings:
        job_ads.label = "yes"
        job_ads.evidence = [{"page": url, "evidence": f"opening: '{hit}'"}
                            for url, hit in openings[:MAX_EVIDENCE]]
    else:
        job_ads.label = "no"
        job_ads.evidence = [{"page": d.url, "evidence": "careers page lists no openings"}
                            for d in careers[:MAX_EVIDENCE]]

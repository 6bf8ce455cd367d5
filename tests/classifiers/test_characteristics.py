"""Website characteristics: marketplace stores, social profiles (not share buttons), booking,
job ads, privacy policy, languages, platform — with the links that decided them."""

from __future__ import annotations

import pytest

from ecomstat.classifiers.characteristics import marketplace_store, site_characteristics, social_profile
from ecomstat.classifiers.html import from_stored, parse_html


@pytest.mark.parametrize("url, network", [
    ("https://www.facebook.com/baeckerei.mueller", "Facebook"),
    ("https://facebook.com/profile.php?id=1234", "Facebook"),
    ("https://www.instagram.com/loja_do_ze/", "Instagram"),
    ("https://www.linkedin.com/company/acme-bv/", "LinkedIn"),
    ("https://x.com/acme", "X"),
    ("https://twitter.com/acme_pl", "X"),
    ("https://www.youtube.com/@acme", "YouTube"),
    ("https://www.youtube.com/channel/UC123", "YouTube"),
    ("https://www.tiktok.com/@tokobaju", "TikTok"),
    ("//www.instagram.com/tokobaju", "Instagram"),
])
def test_social_profiles(url: str, network: str) -> None:
    assert social_profile(url) == network


@pytest.mark.parametrize("url", [
    "https://www.facebook.com/sharer/sharer.php?u=https://x.de",
    "https://www.facebook.com/sharer.php?u=x",
    "https://twitter.com/intent/tweet?text=hi",
    "https://twitter.com/share?url=x",
    "https://www.linkedin.com/shareArticle?mini=true&url=x",
    "https://www.linkedin.com/sharing/share-offsite/?url=x",
    "https://www.youtube.com/watch?v=abc",
    "https://www.instagram.com/p/Bx12/",
    "https://www.facebook.com/",
    "https://www.facebook.com/groups/bakers-of-berlin",
    "https://www.notfacebook.com/acme",
    "/facebook.com/acme",
])
def test_share_buttons_posts_and_lookalikes_are_not_profiles(url: str) -> None:
    assert social_profile(url) is None


@pytest.mark.parametrize("url, market", [
    ("https://www.amazon.de/shops/mueller", "Amazon"),
    ("https://www.amazon.com/s?me=A1B2C3", "Amazon"),
    ("https://www.ebay.co.uk/str/acmestore", "eBay"),
    ("https://www.etsy.com/shop/HandmadeByAna", "Etsy"),
    ("https://loja.mercadolivre.com.br/loja-do-ze", "Mercado Livre"),
    ("https://www.tokopedia.com/tokobaju", "Tokopedia"),
    ("https://shopee.co.id/tokobaju", "Shopee"),
    ("https://allegro.pl/uzytkownik/sklep_kowalski", "Allegro"),
    ("https://www.bol.com/nl/nl/w/winkel-van-jan/123/", "bol.com"),
])
def test_marketplace_store_links(url: str, market: str) -> None:
    assert marketplace_store(url) == market


@pytest.mark.parametrize("url", ["https://www.amazon.de/", "https://www.ebay.com/help/home",
                                 "https://sell.amazon.com/sell", "https://www.etsy.com/",
                                 "https://www.amazonas-reisen.de/shop",
                                 "https://shopee.co.id/buyer/login",
                                 "https://allegro.pl/regulamin", "https://www.ebay.de/b/Moebel/3197",
                                 "https://www.tokopedia.com/c/rumah-tangga",
                                 "https://allegro.pl/kategoria/dom-i-ogrod",
                                 "https://www.amazon.com/s?k=coffee",
                                 "https://www.amazon.com/gp/bestsellers/kitchen",
                                 "https://www.etsy.com/search?q=mug",
                                 "https://www.ebay.com/sch/i.html?_nkw=lamp",
                                 "https://www.mercadolivre.com.br/ofertas"])
def test_marketplace_home_help_and_lookalikes_are_not_stores(url: str) -> None:
    assert marketplace_store(url) is None


def test_site_characteristics_multilingual_site() -> None:
    home = parse_html(
        '<html lang="pt-BR"><head><link rel="alternate" hreflang="es" href="/es/">'
        '<link rel="alternate" hreflang="x-default" href="/"></head><body>'
        '<a href="/trabalhe-conosco">Trabalhe conosco</a>'
        '<a href="/politica-de-privacidade">Política de privacidade</a>'
        '<a href="https://www.facebook.com/sharer/sharer.php?u=x">Compartilhar</a>'
        '<a href="/reservas">Reservar mesa</a>'
        '</body></html>', "https://www.restaurante-ze.com.br.test/")
    booking = parse_html(
        '<html lang="pt"><body><form action="/reservas"><input name="checkin" type="date">'
        '<input name="guests"><button>Reservar</button></form></body></html>',
        "https://www.restaurante-ze.com.br.test/reservas")
    result = site_characteristics([home, booking], stored_languages=["pt", None])
    labels = {task: c.label for task, c in result.items()}
    assert labels == {"marketplace": "no", "social_media": "no", "online_booking": "yes",
                      "job_ads": "yes", "privacy_policy": "yes", "languages": "es,pt",
                      "platform": "none"}
    job = result["job_ads"].evidence[0]
    assert job["page"] == "https://www.restaurante-ze.com.br.test/"
    assert "trabalhe" in job["evidence"]
    assert any("checkin" in e["evidence"] for e in result["online_booking"].evidence)


def test_site_characteristics_without_anything_is_all_no() -> None:
    empty = from_stored("https://parked.test/", text="This domain may be for sale")
    labels = {t: c.label for t, c in site_characteristics([empty]).items()}
    assert labels == {"marketplace": "no", "social_media": "no", "online_booking": "no",
                      "job_ads": "no", "privacy_policy": "no", "languages": "",
                      "platform": "none"}


def test_platforms_are_detected_from_markup() -> None:
    woo = parse_html('<html><body class="home woocommerce-page"><a href="/?add-to-cart=12">'
                     "Buy</a></body></html>", "https://a.test/")
    magento = parse_html('<html><body><script type="text/x-magento-init">{}</script>'
                         "<script>require(['Mage.Cookies'])</script></body></html>",
                         "https://b.test/")
    assert site_characteristics([woo])["platform"].label == "WooCommerce"
    assert site_characteristics([magento])["platform"].label == "Magento"


@pytest.mark.parametrize("careers_text, expected", [
    ("Kariera. Obecnie brak ofert pracy.", "no"),
    ("Karriere. Wir suchen eine Fachkraft (m/w/d) in Vollzeit. Jetzt bewerben", "yes"),
])
def test_job_ads_need_openings_on_the_crawled_careers_page(careers_text: str,
                                                          expected: str) -> None:
    home = parse_html('<html><body><a href="/kariera/">Kariera</a></body></html>',
                      "https://firma.pl.test/")
    careers = from_stored("https://firma.pl.test/kariera/", text=careers_text)
    result = site_characteristics([home, careers])["job_ads"]
    assert result.label == expected
    assert result.evidence[0]["page"] == "https://firma.pl.test/kariera/"
    # without the careers page crawled, the link is the evidence
    assert site_characteristics([home])["job_ads"].label == "yes"

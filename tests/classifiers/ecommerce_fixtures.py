"""Generated e-commerce test pages (no third-party HTML): shop, service and article pages in
the nine languages the signals' lexicons cover."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

# language -> (cart, add to cart, price, order phrase, about, services, contact, privacy)
WORDS = {
    "en": ("Cart", "Add to cart", "£9.99", "Free delivery", "About us", "Our services",
           "Contact", "Privacy policy"),
    "de": ("Warenkorb", "In den Warenkorb", "12,99 €", "Versandkostenfrei", "Über uns",
           "Leistungen", "Kontakt", "Datenschutz"),
    "fr": ("Panier", "Ajouter au panier", "19,90 €", "Livraison gratuite", "Qui sommes-nous",
           "Nos services", "Contact", "Politique de confidentialité"),
    "es": ("Carrito", "Añadir al carrito", "15,00 €", "Envío gratis", "Sobre nosotros",
           "Servicios", "Contacto", "Política de privacidad"),
    "pt": ("Carrinho", "Adicionar ao carrinho", "R$ 49,90", "Frete grátis", "Sobre nós",
           "Serviços", "Contato", "Política de privacidade"),
    "it": ("Carrello", "Aggiungi al carrello", "24,50 €", "Spedizione gratuita", "Chi siamo",
           "Servizi", "Contatti", "Informativa privacy"),
    "nl": ("Winkelwagen", "In winkelwagen", "€ 8,95", "Gratis verzending", "Over ons",
           "Diensten", "Contact", "Privacybeleid"),
    "pl": ("Koszyk", "Dodaj do koszyka", "39,99 zł", "Darmowa dostawa", "O nas", "Usługi",
           "Kontakt", "Polityka prywatności"),
    "id": ("Keranjang", "Tambah ke keranjang", "Rp 150.000", "Gratis ongkir", "Tentang kami",
           "Layanan", "Kontak", "Kebijakan privasi"),
}


def shop_page(lang: str, n: int = 0, jsonld: bool = True) -> str:
    cart, add, price, terms, about, _, contact, privacy = WORDS[lang]
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product",'
          f'"name":"Item {n}","offers":{{"@type":"Offer","price":"9.99","priceCurrency":"EUR"}}}}'
          "</script>") if jsonld else ""
    products = "".join(
        f'<div class="product"><h2>Item {n}-{i}</h2><span class="price">{price}</span>'
        f'<form action="/cart/add" method="post"><input name="product_id" value="{i}">'
        f'<input name="qty" value="1"><button type="submit">{add}</button></form></div>'
        for i in range(3))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop {n}'
            f"</title>{ld}</head><body><nav><a href='/'>Home</a> <a href='/cart'>{cart}</a> "
            f"<a href='/about'>{about}</a> <a href='/privacy'>{privacy}</a></nav>"
            f"<main>{products}<p>{terms}</p></main></body></html>")


def service_page(lang: str, n: int = 0) -> str:
    _, _, _, _, about, services, contact, privacy = WORDS[lang]
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Firm {n} - '
            f"{services}</title></head><body><nav><a href='/'>Home</a> <a href='/about'>{about}"
            f"</a> <a href='/contact'>{contact}</a> <a href='/privacy'>{privacy}</a></nav><main>"
            f"<h1>{services}</h1><p>{about}. Consulting, planning and engineering since 1990 "
            f"for clients in the region. Our team of experienced engineers supports projects "
            f"from the first idea to delivery.</p><form action='/contact' method='post'>"
            f"<input name='name'><input name='email'><textarea name='message'></textarea>"
            f"<button>{contact}</button></form></main></body></html>")


def article_page(n: int = 0) -> str:
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta property="og:type" content="article"><title>City council news {n}</title>'
            '<meta property="article:published_time" content="2024-01-01">'
            '<script type="application/ld+json">{"@type":"NewsArticle","headline":"News"}</script>'
            "</head><body><article><h1>Council approves new budget</h1><p>The city council "
            "voted on Tuesday to approve the budget for next year, the mayor said in a "
            "statement. Reporters asked about the schools.</p></article></body></html>")


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on a free loopback port; yields the base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # noqa: ANN002,ANN003
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

"""Shared test data: a tiny register and crawled pages written straight into the store."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecomstat.store.models import Enterprise, Page, Website

ENTERPRISES = [
    dict(id="E1", name="Müller Bäckerei GmbH", legal_form="GmbH", address="Hauptstraße 12",
         postcode="10115", city="Berlin", country="DE", nace="10.71", employees=12,
         size_class="10-49", vat_id="DE136695976", phone="+49 30 1234567",
         email="info@mueller-baeckerei.de"),
    # register postcode and phone contradict the site
    dict(id="E2", name="Pasta Fresca S.r.l.", legal_form="S.r.l.", address="Via Roma 5",
         postcode="00100", city="Roma", country="IT", nace="10.73", employees=20,
         size_class="10-49", vat_id="IT00743110157", phone="+39 06 1111111"),
    # no website anywhere
    dict(id="E3", name="Schmidt Transporte GmbH", address="Ringweg 1", postcode="80331",
         city="München", country="DE", nace="49.41", employees=30, size_class="10-49"),
]

SITES = [
    ("http://www.mueller-baeckerei.de.test/", "E1", [
        ("http://www.mueller-baeckerei.de.test/", "Müller Bäckerei – Brot aus Berlin",
         "Willkommen bei der Bäckerei Müller. Frisches Brot jeden Tag."),
        ("http://www.mueller-baeckerei.de.test/impressum", "Impressum",
         "Impressum Müller Bäckerei GmbH Hauptstraße 12 10115 Berlin Telefon: 030 1234567 "
         "USt-IdNr.: DE 136 695 976 Geschäftsführer: Hans Müller"),
    ]),
    ("http://www.pastafresca.it.test/", None, [
        ("http://www.pastafresca.it.test/", "Pasta Fresca", "Pasta fresca fatta a mano a Roma."),
        ("http://www.pastafresca.it.test/contatti", "Contatti",
         "Pasta Fresca S.r.l. Via Roma 5 00185 Roma Tel. 06 2222222 P.IVA IT00743110157"),
    ]),
    # an unrelated site that blocking might pair with E1 through the word "Bäckerei"
    ("http://www.baeckerei-schulz.de.test/", None, [
        ("http://www.baeckerei-schulz.de.test/impressum", "Impressum",
         "Bäckerei Schulz KG Lindenallee 3 20095 Hamburg Telefon 040 555555 USt-IdNr. DE 813 495 425"),
    ]),
]


def populate(engine: Engine) -> dict[str, int]:
    ids = {}
    with Session(engine) as session, session.begin():
        for e in ENTERPRISES:
            session.add(Enterprise(**e))
        session.flush()
        for url, enterprise_id, pages in SITES:
            domain = url.split("//www.")[1].rstrip("/")
            site = Website(url=url, domain=domain, enterprise_id=enterprise_id, found_by="name-guess",
                           status="verified")
            session.add(site)
            session.flush()
            ids[url] = site.id
            for page_url, title, text in pages:
                session.add(Page(website_id=site.id, url=page_url, title=title, text=text,
                                 outcome="ok", http_status=200, links=[], structured_data={}))
    return ids

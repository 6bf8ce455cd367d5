"""Fast checks of the crawl's parts: WARC round trip, trap rules, link ranking, render decision,
host map, private-address rules, settings translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstat.errors import BadInput
from ecomstat.settings import get_settings
from ecomstat.spiders.extract import extract_page, looks_binary
from ecomstat.hostmap import load_host_map
from ecomstat.spiders.links import rank_links
from ecomstat.spiders.middlewares.render import needs_render
from ecomstat.spiders.middlewares.safety import host_allowed, is_private
from ecomstat.spiders.runs import dedupe_pages, read_url_file
from ecomstat.spiders.settings import CHROMIUM_ARGS, scrapy_settings, user_agent
from ecomstat.spiders.traps import TrapDetector
from ecomstat.store.warc import WarcFileWriter, read_html, read_record, read_response


def test_warc_round_trip_by_offset(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path / "w" / "run.warc.gz")
    bodies = [f"<html><title>{n}</title>{'x' * n * 1000}</html>".encode() for n in range(5)]
    offsets = [writer.write_response(f"http://a.test/{n}", 200 + n,
                                     [("Content-Type", "text/html")], body, rendered=n == 3)
               for n, body in enumerate(bodies)]
    writer.close()
    assert offsets == sorted(set(offsets))
    for n in (4, 0, 2, 3):  # any order: every record is its own gzip member
        headers, body = read_record(writer.path, offsets[n])
        assert body == bodies[n] and headers["Content-Type"] == "text/html"
        response = read_response(writer.path, offsets[n])
        assert response.url == f"http://a.test/{n}" and response.status == 200 + n
        assert response.rendered == (n == 3)
    assert read_html(str(writer.path), offsets[1]) == bodies[1]
    with pytest.raises(BadInput):
        read_html(writer.path, offsets[1] + 7)
    with pytest.raises(BadInput):
        read_html(tmp_path / "missing.warc.gz", 0)
    with pytest.raises(ValueError, match="needs the URL"):
        WarcFileWriter(tmp_path / "w2" / "run.warc.gz").write_response(" ", 200, [], b"<html></html>")


@pytest.mark.parametrize("url,reason", [
    ("http://a.test/events/calendar?month=2024-05", "calendar"),
    ("http://a.test/agenda/2031/12/24", "calendar"),
    ("http://a.test/list?date=2024-01-02", "calendar"),
    ("http://a.test/shop?PHPSESSID=abc", "session-id"),
    ("http://a.test/shop;jsessionid=abc", "session-id"),
    ("http://a.test/a/b/a/b/", "repeated-path"),
    ("http://a.test/x/x/x", "repeated-path"),
    ("http://a.test/" + "y" * 3000, "url-too-long"),
    ("http://a.test/products/tea", None),
    ("http://a.test/2024/annual-report", None),
])
def test_trap_rules(url: str, reason: str | None) -> None:
    assert TrapDetector().reason(url) == reason


def test_query_permutations_are_capped() -> None:
    detector = TrapDetector()
    reasons = [detector.reason(f"http://a.test/list?sort={n}&color=red") for n in range(20)]
    assert reasons[:8] == [None] * 8 and set(reasons[8:]) == {"query-permutations"}
    assert detector.reason("http://a.test/list?sort=3&color=red") is None  # seen before


def test_link_ranking_multilingual_and_language_preference() -> None:
    links = [{"url": u} for u in (
        "http://a.test/blog/post-1", "http://a.test/mentions-legales", "http://a.test/kontakt",
        "http://a.test/de/agb", "http://a.test/en/terms", "http://a.test/aviso-legal",
        "http://a.test/katalog.pdf")]
    ranked = [url for _score, url in rank_links(links, ["en"])]
    assert ranked[:2] == ["http://a.test/aviso-legal", "http://a.test/mentions-legales"]
    assert ranked.index("http://a.test/en/terms") < ranked.index("http://a.test/de/agb")
    assert ranked[-1] == "http://a.test/blog/post-1" and "http://a.test/katalog.pdf" not in ranked
    german = [url for _s, url in rank_links(links, ["de"])]
    assert german.index("http://a.test/de/agb") < german.index("http://a.test/en/terms")


def test_render_decision() -> None:
    spa = b"<html><head><script src=app.js></script></head><body><div id='root'></div></body>"
    wall = (b"<html><body><script>x()</script><noscript>Please enable JavaScript</noscript>"
            + b"<p>" + b"short text " * 30 + b"</p></body></html>")
    plain = b"<html><body><p>" + b"A normal page with plenty of text. " * 20 + b"</p></body>"
    plain_js = plain.replace(b"<body>", b"<body><script>track()</script>")
    assert needs_render(spa) == "spa-shell"
    assert needs_render(b"<html><script>x</script><body>Loading...</body></html>") == "near-empty"
    assert needs_render(wall) == "noscript-wall"
    assert needs_render(plain) is None and needs_render(plain_js) is None


def test_extraction_charset_binary_and_dedupe() -> None:
    assert looks_binary(bytes(range(256))) and not looks_binary(b"<html>hello</html>")
    page = extract_page("<html lang='fr'><title> Hi </title><body><p>Nous vendons du café et du "
                        "thé de qualité à Paris depuis des années.</p><a href='/x#frag'>x</a>"
                        "<a href='mailto:a@b'>m</a></body></html>", "http://a.test/")
    assert page.title == "Hi" and page.language == "fr"
    assert page.links == [{"url": "http://a.test/x", "text": "x"}]
    rows = dedupe_pages([
        {"url": "http://a.test/b", "depth": 1, "content_hash": "h1"},
        {"url": "http://a.test/a", "depth": 1, "content_hash": "h1"},
        {"url": "http://a.test/", "depth": 0, "content_hash": "h0"},
        {"url": "http://a.test/c", "depth": 1, "content_hash": None, "outcome": "timeout"},
    ])
    assert [row["url"] for row in rows] == ["http://a.test/", "http://a.test/a", "http://a.test/c"]


def test_host_map_and_private_rules(tmp_path: Path) -> None:
    good = tmp_path / "hosts.txt"
    good.write_text("# sample web\nwww.a.de.test 127.0.0.1:8080\nB.test 127.0.0.1:9\n")
    assert load_host_map(str(good)) == {"www.a.de.test": "127.0.0.1:8080", "b.test": "127.0.0.1:9"}
    bad = tmp_path / "bad.txt"
    bad.write_text("www.a.de.test\n")
    with pytest.raises(BadInput, match="bad.txt:1"):
        load_host_map(str(bad))
    assert all(is_private(a) for a in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.1.1",
                                       "224.0.0.1", "::1", "::ffff:10.0.0.1", "0.0.0.0"))
    assert not is_private("93.184.216.34")
    assert host_allowed("www.x.de.test", [".test"]) and host_allowed("localhost", ["localhost"])
    assert not host_allowed("attest", [".test"]) and not host_allowed("intranet.corp", [".test"])


def test_url_file_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("# shops\nexample.com\nhttps://www.example.org/path?q=1\n\n")
    assert read_url_file(urls) == ["http://example.com/", "https://www.example.org/path?q=1"]
    urls.write_text("http://ok.example\nmailto:x@y.z\n")
    with pytest.raises(BadInput, match="urls.txt:2"):
        read_url_file(urls)


def test_scrapy_settings_from_ecomstat_settings(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("www.a.de.test 127.0.0.1:8080\n")
    settings = scrapy_settings(get_settings(
        ECOMSTAT_CONTACT_URL="https://nso.example/crawler", ECOMSTAT_HOST_MAP=str(hosts),
        ECOMSTAT_RELAX_MAPPED_DELAYS=True, ECOMSTAT_RENDER="auto", ECOMSTAT_MAX_PAGES=7))
    assert settings["USER_AGENT"].startswith("ecomstat/") and \
        settings["USER_AGENT"].endswith("(+https://nso.example/crawler)")
    assert settings["CONCURRENT_ITEMS"] == 8 and settings["ROBOTSTXT_OBEY"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] in (1, 2)
    assert settings["DOWNLOAD_SLOTS"] == {"www.a.de.test": {"delay": 0.0, "concurrency": 2}}
    args = settings["ECOMSTAT_CHROMIUM_ARGS"]
    assert set(CHROMIUM_ARGS) <= set(args)
    # Chromium resolves nothing (Scrapy fetches for it, through the host map)
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in args
    assert settings["ECOMSTAT_MAX_PAGES"] == 7
    never = scrapy_settings(get_settings(ECOMSTAT_RENDER="never"))
    assert "DOWNLOAD_HANDLERS" not in never and never["DOWNLOAD_SLOTS"] == {}
    assert user_agent(get_settings(ECOMSTAT_CONTACT_URL="")) == never["USER_AGENT"]


def test_website_selection(engine) -> None:
    import datetime as dt

    from sqlalchemy import update

    from ecomstat.spiders.runs import select_websites, upsert_websites
    from ecomstat.store import transaction
    from ecomstat.store.models import Website, utcnow

    ids = upsert_websites(engine, ["a.example", "http://b.example/", "c.example", "d.example"])
    assert upsert_websites(engine, ["A.example"]) == ids[:1]  # normalised, no second row
    a, b, c, d = ids
    with transaction(engine) as session:
        session.execute(update(Website).where(Website.id == a).values(
            last_crawled_at=utcnow() - dt.timedelta(days=40)))
        session.execute(update(Website).where(Website.id == b).values(last_crawled_at=utcnow()))
        session.execute(update(Website).where(Website.id == d).values(status="rejected"))
    assert select_websites(engine, "all") == [a, b, c]
    assert select_websites(engine, "missing") == [c]
    assert select_websites(engine, "stale", stale_days=30) == [a, c]
    assert select_websites(engine, "urls", urls=["d.example", "e.example"])[0] != d
    with pytest.raises(BadInput):
        select_websites(engine, "stale", stale_days=-1)
    with pytest.raises(BadInput):
        select_websites(engine, "everything")


def test_visible_text_keeps_tails_of_hidden_elements_and_leaves_the_tree_alone() -> None:
    import lxml.html

    from ecomstat.spiders.extract import visible_text

    tree = lxml.html.document_fromstring(
        "<html><head><title>T</title></head><body><p>a<!-- note -->b<script>var x;</script>"
        "tail<noscript><b>no</b>js</noscript> end<svg><text>logo</text></svg>"
        "<template><p>later</p></template></p><div>last</div></body></html>")
    assert visible_text(tree) == "a b tail end last"
    assert tree.findtext(".//script") == "var x;"  # the caller's tree is not emptied
    assert visible_text(lxml.html.document_fromstring("<p>just text</p>")) == "just text"

"""The sample-web server: request forms, Host dispatch, robots.txt, JS shop, traps, and the
ground truth agreeing with what is actually served."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from stdnum import get_cc_module
from stdnum.br import cnpj
from stdnum.id import npwp

from ecomstat.sampleweb import SampleWebServer, generate, write_host_map
from ecomstat.sampleweb.server import SampleWeb

MARKETPLACE_HOSTS = ("amazon.", "ebay.", "etsy.com", "allegro.pl", "mercadolivre.",
                     "tokopedia.com", "shopee.")
PROFILE = re.compile(r"https://www\.(facebook\.com/(?!sharer)|instagram\.com/|linkedin\.com/company/|youtube\.com/@)")
ORDERING = re.compile(r"add_to_cart_button|action tocart|product-form__submit|"
                      r'action="[^"]*basket\.html[^"]*"|class="add-to-cart"|class="booking-form"')
PRICE = re.compile(r"\d+[,.]\d\d\s?(€|zł)|[€£]\s?\d+[.,]\d\d|R\$ \d|Rp \d")


@pytest.fixture(scope="module")
def population():
    return generate(n=250, seed=11)


@pytest.fixture(scope="module")
def server(population):
    with SampleWebServer(population) as running:
        yield running


def _get(server, target: str, host: str | None = None, method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, target, headers={"Host": host} if host else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_origin_form_and_proxy_form_requests(server, population) -> None:
    host = sorted(population.sites)[0]
    origin, origin_body = _get(server, "/", host=host)
    proxy, proxy_body = _get(server, f"http://{host}/")
    assert origin.status == proxy.status == 200
    assert origin_body == proxy_body
    assert origin.getheader("Content-Length") == str(len(origin_body))


def test_host_header_dispatches_between_sites(server, population) -> None:
    hosts = [h for h, s in sorted(population.sites.items()) if s.kind not in ("parked", "spa")][:5]
    titles = set()
    for host in hosts:
        response, body = _get(server, "/", host=host + ":80")
        assert response.status == 200
        site = population.sites[host]
        assert unescape(re.search(r"<title>(.*?)</title>", body.decode())[1]).endswith(site.name)
        titles.add(body)
    assert len(titles) == len(hosts)


def test_unknown_and_dead_hosts_are_not_served(server, population) -> None:
    response, _ = _get(server, "/", host="nowhere.example.test")
    assert response.status == 502
    assert response.getheader("Connection") == "close"
    assert population.dead_hosts
    response, _ = _get(server, f"http://{population.dead_hosts[0]}/")
    assert response.status == 502


def test_keep_alive_and_head(server, population) -> None:
    host = sorted(population.sites)[1]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(3):  # three requests on one connection
        conn.request("GET", "/robots.txt", headers={"Host": host})
        assert conn.getresponse().read().startswith(b"User-agent")
    conn.request("HEAD", "/", headers={"Host": host})
    head = conn.getresponse()
    assert head.read() == b"" and int(head.getheader("Content-Length")) > 0
    conn.close()


def test_aliases_and_old_domains_redirect(server, population) -> None:
    for source, target in list(population.redirects.items())[:20]:
        response, _ = _get(server, "/about?x=1", host=source)
        assert response.status == 301
        location = response.getheader("Location")
        assert location == target.rstrip("/") + "/about?x=1"
        assert urlsplit(location).hostname in population.sites or urlsplit(location).hostname in population.redirects


def test_host_map_lists_live_hosts_only(server, population, tmp_path: Path) -> None:
    path = write_host_map(population, server, tmp_path / "hosts.txt")
    lines = path.read_text().splitlines()
    mapped = dict(line.split(" ") for line in lines)
    assert set(mapped.values()) == {f"127.0.0.1:{server.port}"}
    assert set(mapped) == set(population.sites) | set(population.redirects)
    assert not set(mapped) & set(population.dead_hosts)
    for host in list(mapped)[:30]:
        assert host.endswith(".test")
        assert _get(server, "/", host=host)[0].status in (200, 301)


def test_robots_rules(server, population) -> None:
    by_rule = {}
    for host, site in population.sites.items():
        by_rule.setdefault(site.robots, []).append(host)
    assert len(by_rule["disallow_all"]) == 1 and len(by_rule["crawl_delay"]) == 1
    assert len(by_rule["private"]) >= 2
    _, body = _get(server, "/robots.txt", host=by_rule["disallow_all"][0])
    assert re.search(rb"^Disallow: /$", body, re.M)
    _, body = _get(server, "/robots.txt", host=by_rule["crawl_delay"][0])
    assert b"Crawl-delay: 1" in body
    private = by_rule["private"][0]
    assert b"Disallow: /private/" in _get(server, "/robots.txt", host=private)[1]
    assert b'href="/private/' in _get(server, "/", host=private)[1]  # the bait
    assert _get(server, "/", host=by_rule["default"][0])[0].status == 200


def test_js_shop_shell_and_api(server, population) -> None:
    spa = [s for s in population.sites.values() if s.kind == "spa"]
    assert spa
    site = spa[0]
    _, shell = _get(server, "/", host=site.hostname)
    text = shell.decode()
    assert '<div id="app"></div>' in text and "<noscript>" in text
    assert site.products[0].name not in text and "€" not in text  # nothing before JS runs
    _, api = _get(server, "/api/products.json", host=site.hostname)
    data = json.loads(api)
    assert [p["name"] for p in data["products"]] == [p.name for p in site.products]
    assert all(PRICE.search(p["price_text"]) for p in data["products"])
    response, script = _get(server, "/static/app.js", host=site.hostname)
    assert response.getheader("Content-Type").startswith("application/javascript")
    assert b"/api/products.json" in script and b"add-to-cart" in script


def test_traps_and_oversized_page(population) -> None:
    web = SampleWeb(population)
    calendar = next(s for s in population.sites.values() if s.trap == "calendar")
    link = re.search(r'href="(/[^"]+\?month=2026-11)"', web.respond(calendar.hostname, "/").body.decode())[1]
    seen = set()
    for _ in range(40):  # never ends: every month links to the next one
        body = web.respond(calendar.hostname, link).body.decode()
        link = unescape(re.search(r'href="([^"]+\?month=[^"]+)">[^<]*»', body)[1])
        assert link not in seen
        seen.add(link)
    session = next(s for s in population.sites.values() if s.trap == "session")
    target, urls = "/", set()
    for _ in range(10):
        links = re.findall(r'href="(/[^"]*sid=[0-9a-f]+)"', web.respond(session.hostname, target).body.decode())
        target = unescape(links[-1])
        urls.add(target)
    assert len(urls) == 10
    big = next(s for s in population.sites.values() if s.oversized)
    assert b"/downloads/price-list.html" in web.respond(big.hostname, "/").body
    assert len(web.respond(big.hostname, "/downloads/price-list.html").body) > 6_000_000


def _crawl(web: SampleWeb, host: str, starts: list[str], limit: int = 80) -> dict[str, str]:
    """Every same-site page reachable from `starts` (traps and bait avoided)."""
    pages, queue = {}, list(starts)
    while queue and len(pages) < limit:
        target = queue.pop(0)
        target = re.sub(r"[?&]sid=[0-9a-f]+$", "", target)  # the session trap's ids
        if target in pages or re.search(r"month=|/private/|price-list", target):
            continue
        response = web.respond(host, target)
        if response.status != 200 or not response.content_type.startswith("text/html"):
            continue
        pages[target] = body = response.body.decode()
        for href in re.findall(r'href="([^"]+)"', body):
            url = urljoin(f"http://{host}{target}", unescape(href))
            if urlsplit(url).hostname == host:
                parts = urlsplit(url)
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def _vat_ok(country: str, value: str) -> bool:
    if country == "BR":
        return cnpj.is_valid(value)
    if country == "ID":
        return npwp.is_valid(value)
    return get_cc_module(country.lower(), "vat").is_valid(value)


def test_truth_agrees_with_served_content(population) -> None:
    web = SampleWeb(population)
    truth = population.truth_by_id()
    checked = vats_seen = 0
    for host, site in sorted(population.sites.items()):
        true = truth[site.enterprise_id]
        if site.kind == "parked":
            assert not true.has_website and "may be for sale" in web.respond(host, "/").body.decode()
            continue
        starts, api = ["/"], ""
        if site.kind == "spa":  # what the browser sees once the script has run
            api = web.respond(host, "/api/products.json").body.decode()
            starts += [item["href"] for item in json.loads(api)["nav"]]
            api += 'class="add-to-cart"'
        html = "\n".join(_crawl(web, host, starts).values()) + api
        assert bool(ORDERING.search(html)) == true.web_sales, (host, site.kind)
        if site.kind in ("service", "manufacturer", "marketplace"):
            assert not PRICE.search(html), (host, site.kind)
        outbound = re.findall(r'href="https?://(?:www\.)?([^/"]+)', html)
        sells_there = any(h.startswith(MARKETPLACE_HOSTS) or h == "bol.com" for h in outbound)
        assert sells_there == true.marketplace, host
        assert bool(PROFILE.search(html)) == true.social_media, host
        assert ('class="job-posting"' in html) == true.job_ads, host
        assert site.name in unescape(html) and true.true_postcode in html
        vats = re.findall(r"(?:USt-IdNr\.|UID-Nr\.|TVA intracommunautaire|NIF|Partita IVA|Btw-nummer|BTW/TVA|NIP|NPWP|CNPJ|VAT number): ([^<]+)<", html)
        for vat in vats:
            assert _vat_ok(site.country, unescape(vat)), vat
        checked += 1
        vats_seen += bool(vats)
    assert checked > 100 and vats_seen > 0.5 * checked


def test_serve_command_runs_until_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecomstat", "sample-web", "serve", "--n", "30", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        hosts = Path(info["hosts_file"]).read_text().split()
        conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=10)
        conn.request("GET", f"http://{hosts[0]}/robots.txt")
        assert conn.getresponse().status in (200, 301)
        conn.close()
        assert (tmp_path / "register.csv").exists() and (tmp_path / "truth.csv").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0, proc.stderr.read()


def test_product_pages_carry_the_platforms_structured_data(population) -> None:
    import extruct

    web = SampleWeb(population)
    expected = {"shopify": "json-ld", "woocommerce": "json-ld", "magento": "microdata",
                "handmade": None}
    seen = set()
    for host, site in sorted(population.sites.items()):
        if site.kind not in expected or site.kind in seen:
            continue
        seen.add(site.kind)
        renderer = web._renderer(host)
        path = next(p for p, route in renderer.routes.items() if route[0] == "product")
        html = web.respond(host, path).body.decode()
        data = extruct.extract(html, base_url=f"http://{host}{path}", syntaxes=["json-ld", "microdata"])
        products = {syntax: [item for item in data[syntax]
                             if "Product" in str(item.get("@type", item.get("type", "")))]
                    for syntax in ("json-ld", "microdata")}
        if expected[site.kind] is None:
            assert not products["json-ld"] and not products["microdata"], host
            continue
        (item,) = products[expected[site.kind]]
        offers = item.get("offers") or item["properties"]["offers"]
        price = offers.get("price") or offers["properties"]["price"]
        assert float(price) in {p.price for p in site.products}
    assert seen == set(expected)


def test_shop_pagination_and_multilingual_pages(population) -> None:
    web = SampleWeb(population)
    shop = next(s for _, s in sorted(population.sites.items())
                if s.kind in ("woocommerce", "magento", "shopify") and len(s.products) > 12)
    routes = web._renderer(shop.hostname).routes
    listing = next(p for p, r in routes.items() if r[0] == "listing" and r[2] is None)
    first = web.respond(shop.hostname, listing).body.decode()
    next_link = unescape(re.search(r'rel="next"[^>]*href="([^"]+)"', first)[1])
    assert re.search(r"\?page=2(&sid=\w+)?$", next_link), next_link
    second = web.respond(shop.hostname, next_link).body.decode()
    names = lambda html: set(re.findall(r">([^<>]+ \d+)<", html))  # noqa: E731
    assert names(second) and not (names(first) & names(second))
    multi = next(s for _, s in sorted(population.sites.items()) if len(s.languages) > 1)
    home = web.respond(multi.hostname, "/").body.decode()
    other = multi.languages[1]
    assert f'hreflang="{other}" href="http://{multi.hostname}/{other}/"' in home
    translated = web.respond(multi.hostname, f"/{other}/").body.decode()
    assert f'<html lang="{other}">' in translated


@pytest.mark.chromium
def test_js_shop_renders_its_catalogue_in_chromium(server, population, chromium_path) -> None:
    site = next(s for s in population.sites.values() if s.kind == "spa")
    result = subprocess.run(
        [chromium_path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--host-resolver-rules=MAP {site.hostname} {server.address}",
         "--virtual-time-budget=5000", "--dump-dom", f"http://{site.hostname}/"],
        capture_output=True, text=True, timeout=120)
    dom = unescape(result.stdout)
    assert all(p.name in dom for p in site.products)
    assert dom.count('class="add-to-cart"') == len(site.products)
    assert re.search(r'<a href="[^"]+">[^<]+</a>', dom)  # the navigation appears too

"""The one private-address rule (ecomstat.netsafety): every range, every embedded form, every
spelling of an IPv4 literal, and the crawler's names for it (spiders.middlewares.safety)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from ecomstat.netsafety import (
    RefusedAddress,
    UnresolvableHost,
    check_host,
    embedded_ipv4,
    first_refused,
    is_refused_address,
    normalise_host,
    parse_address,
)

REFUSED = True
ALLOWED = False

# (address, refused?, why): at least one refused and one allowed example per family and form
TABLE = [
    # IPv4 global unicast
    ("93.184.216.34", ALLOWED, "public IPv4"),
    ("8.8.8.8", ALLOWED, "public IPv4"),
    ("100.63.255.255", ALLOWED, "just below carrier-grade NAT"),
    ("100.128.0.0", ALLOWED, "just above carrier-grade NAT"),
    ("192.0.3.1", ALLOWED, "just above TEST-NET-1"),
    ("198.20.0.1", ALLOWED, "just above the benchmarking range"),
    ("223.255.255.254", ALLOWED, "just below multicast"),
    # IPv4 non-global
    ("0.0.0.0", REFUSED, "unspecified"),
    ("0.1.2.3", REFUSED, "this network 0/8"),
    ("10.1.2.3", REFUSED, "private 10/8"),
    ("100.64.0.1", REFUSED, "carrier-grade NAT"),
    ("100.100.100.200", REFUSED, "a cloud metadata service inside carrier-grade NAT"),
    ("127.0.0.1", REFUSED, "loopback"),
    ("127.255.255.254", REFUSED, "loopback /8"),
    ("169.254.169.254", REFUSED, "link-local, cloud metadata"),
    ("172.16.0.1", REFUSED, "private 172.16/12"),
    ("172.31.255.255", REFUSED, "private 172.16/12"),
    ("192.0.0.8", REFUSED, "IETF protocol assignments"),
    ("192.0.2.1", REFUSED, "documentation TEST-NET-1"),
    ("192.88.99.1", REFUSED, "6to4 relay anycast"),
    ("192.168.1.1", REFUSED, "private 192.168/16"),
    ("198.18.0.1", REFUSED, "benchmarking"),
    ("198.19.255.255", REFUSED, "benchmarking"),
    ("198.51.100.7", REFUSED, "documentation TEST-NET-2"),
    ("203.0.113.9", REFUSED, "documentation TEST-NET-3"),
    ("224.0.0.1", REFUSED, "multicast"),
    ("239.255.255.250", REFUSED, "multicast (SSDP)"),
    ("240.0.0.1", REFUSED, "reserved 240/4"),
    ("255.255.255.255", REFUSED, "broadcast"),
    # IPv6 global unicast
    ("2606:4700:4700::1111", ALLOWED, "public IPv6"),
    ("2a00:1450:4001:80b::200e", ALLOWED, "public IPv6"),
    ("[2606:4700:4700::1111]", ALLOWED, "public IPv6 as a URL host"),
    # IPv6 non-global
    ("::", REFUSED, "unspecified"),
    ("::1", REFUSED, "loopback"),
    ("[::1]", REFUSED, "loopback as a URL host"),
    ("100::1", REFUSED, "discard-only 100::/64"),
    ("2001:db8::1", REFUSED, "documentation 2001:db8::/32"),
    ("3fff::1", REFUSED, "documentation 3fff::/20"),
    ("2001:10::1", REFUSED, "IETF protocol assignments (ORCHID)"),
    ("fc00::1", REFUSED, "unique local fc00::/7"),
    ("fd00:ec2::254", REFUSED, "unique local (a cloud metadata service)"),
    ("fe80::1", REFUSED, "link-local"),
    ("fe80::1%eth0", REFUSED, "scoped link-local"),
    ("fe80::1%25eth0", REFUSED, "scoped link-local as a URL host writes it"),
    ("fec0::1", REFUSED, "site-local fec0::/10 (Python 3.11 calls it global)"),
    ("feff::1", REFUSED, "site-local fec0::/10"),
    ("ff02::1", REFUSED, "multicast, link scope"),
    ("ff0e::1", REFUSED, "multicast, global scope (Python 3.11 calls it global)"),
    ("4000::1", REFUSED, "unassigned (outside 2000::/3)"),
    ("5f00::1", REFUSED, "SRv6 segment identifiers"),
    # IPv4-mapped ::ffff:a.b.c.d: decided by the IPv4 address
    ("::ffff:93.184.216.34", ALLOWED, "IPv4-mapped public"),
    ("::ffff:127.0.0.1", REFUSED, "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", REFUSED, "IPv4-mapped private"),
    ("::ffff:169.254.169.254", REFUSED, "IPv4-mapped metadata"),
    ("::ffff:100.100.100.200", REFUSED, "IPv4-mapped carrier-grade NAT"),
    # IPv4-compatible ::a.b.c.d: deprecated and not routable, refused whatever it wraps
    ("::5db8:d822", REFUSED, "IPv4-compatible public 93.184.216.34 (deprecated range)"),
    ("::7f00:1", REFUSED, "IPv4-compatible loopback"),
    ("::ffff:0:a00:1", REFUSED, "SIIT IPv4-translated ::ffff:0:a.b.c.d"),
    # 6to4 2002:AABB:CCDD::: decided by the wrapped IPv4
    ("2002:5db8:d822::1", ALLOWED, "6to4 of public 93.184.216.34"),
    ("2002:a9fe:a9fe::", REFUSED, "6to4 of 169.254.169.254"),
    ("2002:7f00:1::1", REFUSED, "6to4 of 127.0.0.1"),
    ("2002:a00:1::", REFUSED, "6to4 of 10.0.0.1"),
    ("2002:6464:64c8::", REFUSED, "6to4 of 100.100.100.200"),
    ("2002:c0a8:101::", REFUSED, "6to4 of 192.168.1.1"),
    # NAT64 64:ff9b::/96: decided by the embedded IPv4; the local-use /48 is refused
    ("64:ff9b::5db8:d822", ALLOWED, "NAT64 of public 93.184.216.34"),
    ("64:ff9b::7f00:1", REFUSED, "NAT64 of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", REFUSED, "NAT64 of 169.254.169.254"),
    ("64:ff9b::a00:1", REFUSED, "NAT64 of 10.0.0.1"),
    ("64:ff9b:1::5db8:d822", REFUSED, "local-use NAT64 64:ff9b:1::/48"),
    ("64:ff9b:1:ffff::7f00:1", REFUSED, "local-use NAT64 64:ff9b:1::/48"),
    # Teredo 2001::/32: server and XOR-ed client decoded; 2001::/32 itself is not globally
    # reachable (IANA), so even a Teredo address of public hosts is refused
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", REFUSED, "Teredo, client 192.0.2.45"),
    ("2001:0:5db8:d822:0:0:80ff:fefe", REFUSED, "Teredo, client 127.0.1.1"),
    ("2001:0:5db8:d822:0:0:a2de:4f3c", REFUSED, "Teredo of public server and client"),
    # odd spellings of IPv4 that inet_aton, getaddrinfo and browsers read as an address
    ("127.1", REFUSED, "short form of 127.0.0.1"),
    ("0x7f.0.0.1", REFUSED, "hex octet"),
    ("0x7f000001", REFUSED, "one hex number"),
    ("2130706433", REFUSED, "one decimal number"),
    ("017700000001", REFUSED, "one octal number"),
    ("0177.0.0.1", REFUSED, "octal octet"),
    ("10.1", REFUSED, "short form of 10.0.0.1"),
    ("1572395042", ALLOWED, "one decimal number: 93.184.216.34"),
    ("93.184.55330", ALLOWED, "short form of 93.184.216.34"),
    # not an address at all: the rule fails closed
    ("not-an-address", REFUSED, "a name"),
    ("127.0.0.1%eth0", REFUSED, "IPv4 with a zone"),
    ("", REFUSED, "empty"),
]


@pytest.mark.parametrize("address, refused, why", TABLE,
                         ids=[f"{a or 'empty'}-{w}" for a, _, w in TABLE])
def test_the_rule(address: str, refused: bool, why: str) -> None:
    assert is_refused_address(address) is refused, why


def test_python_gaps_the_rule_closes() -> None:
    """Ranges Python 3.11's is_global lets through: the reason the rule is written out."""
    for address in ("100.100.100.200", "2002:a9fe:a9fe::", "fec0::1", "ff0e::1", "224.0.0.1",
                    "64:ff9b::7f00:1", "64:ff9b:1::1"):
        assert is_refused_address(address), address


def test_embedded_ipv4_addresses_are_decoded() -> None:
    v6 = ipaddress.IPv6Address
    v4 = ipaddress.IPv4Address
    # RFC 4380's example: server 65.54.227.120, client 192.0.2.45 stored XOR-ed
    assert embedded_ipv4(v6("2001:0:4136:e378:8000:63bf:3fff:fdd2")) == [
        v4("65.54.227.120"), v4("192.0.2.45")]
    assert embedded_ipv4(v6("2002:a9fe:a9fe::1")) == [v4("169.254.169.254")]
    assert embedded_ipv4(v6("64:ff9b::7f00:1")) == [v4("127.0.0.1")]
    assert embedded_ipv4(v6("::ffff:10.0.0.1")) == [v4("10.0.0.1")]
    assert embedded_ipv4(v6("::7f00:1")) == [v4("127.0.0.1")]
    assert embedded_ipv4(v6("2606:4700:4700::1111")) == []


@pytest.mark.parametrize("spelling", ["127.1", "0x7f.0.0.1", "2130706433", "017700000001",
                                      "0x7F.1", "127.0.0.1.", "[::ffff:127.0.0.1]"])
def test_odd_spellings_are_the_address_not_a_name(spelling: str) -> None:
    assert normalise_host(spelling) in ("127.0.0.1", "::ffff:7f00:1")
    assert parse_address(spelling) is not None
    with pytest.raises(RefusedAddress):
        check_host(spelling, [])
    # the allow-list sees the address, never the spelling
    canonical = normalise_host(spelling)
    if spelling.rstrip(".") != canonical:
        with pytest.raises(RefusedAddress):
            check_host(spelling, [spelling])
    assert check_host(spelling, [canonical]) == [canonical]


def test_names_are_not_addresses() -> None:
    for name in ("localhost", "www.example.de", "08.1.1.1", "1.2.3.4 x", "a.b.c.d"):
        assert parse_address(name) is None, name


def test_check_host_resolves_once_and_applies_the_allow_list(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    answers = {"intranet.example": "10.0.0.7", "public.example": "93.184.216.34",
               "mixed.example": None, "box.lan.test": "192.168.1.20"}

    def fake(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        calls.append(host)
        if host == "mixed.example":  # one public and one private answer: refused
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0)),
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))]
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert check_host("public.example", []) == ["93.184.216.34"]
    with pytest.raises(RefusedAddress, match="10.0.0.7"):
        check_host("intranet.example", [])
    with pytest.raises(RefusedAddress, match="::1"):
        check_host("mixed.example", [])
    assert check_host("Box.Lan.Test.", [".test"]) == ["192.168.1.20"]
    with pytest.raises(UnresolvableHost):
        check_host("nowhere.example", [])
    assert calls == ["public.example", "intranet.example", "mixed.example", "box.lan.test",
                     "nowhere.example"]
    assert check_host("10.0.0.1", ["10.0.0.1"]) == ["10.0.0.1"]  # a literal is not resolved
    assert len(calls) == 5


def test_first_refused_matches_suffixes_not_substrings() -> None:
    assert first_refused("www.a.de.test", ["127.0.0.1"], [".test"]) is None
    assert first_refused("attest", ["127.0.0.1"], [".test"]) == "127.0.0.1"
    assert first_refused("www.example.de", ["93.184.216.34"], []) is None


def test_the_crawler_names_are_the_same_rule() -> None:
    """ecomstat.spiders.middlewares.safety keeps its public names (render.py imports SafetyRule)."""
    from ecomstat.spiders.middlewares.safety import SafetyRule, host_allowed, is_address, is_private

    for address, refused, _why in TABLE:
        assert is_private(address) is refused, address
    assert is_address("0x7f.1") and is_address("::1") and not is_address("localhost")
    assert host_allowed("www.x.de.test", [".test"]) and not host_allowed("attest", [".test"])

    rule = SafetyRule(["localhost"])
    addresses = asyncio.run(rule.addresses("2130706433"))
    assert addresses == ["127.0.0.1"]
    assert rule.refuses("2130706433", addresses)
    assert rule.refuses("cgnat.example", ["100.100.100.200"])
    assert rule.refuses("six.example", ["2002:a9fe:a9fe::"])
    assert not rule.refuses("localhost", ["127.0.0.1"])
    assert asyncio.run(rule.addresses("www.a.test", "127.0.0.1:8080")) == ["127.0.0.1"]


@pytest.mark.parametrize("url", ["http://100.100.100.200/latest/meta-data/",
                                 "http://[2002:a9fe:a9fe::]/", "http://[fec0::1]/",
                                 "http://0xa9.0xfe.0xa9.0xfe/", "http://2852039166/"])
def test_the_crawler_refuses_them_before_sending(url: str) -> None:
    """The downloader middleware every crawl request passes (url_probe's too)."""
    from scrapy import Request

    from ecomstat.spiders.middlewares.safety import PrivateAddressMiddleware
    from ecomstat.spiders.outcomes import RefusedPrivate

    class Stats:
        def inc_value(self, *args: object) -> None:
            pass

    middleware = PrivateAddressMiddleware([".test"], Stats())
    with pytest.raises(RefusedPrivate):
        asyncio.run(middleware.process_request(Request(url)))
    public = Request("http://[2606:4700:4700::1111]/")
    assert asyncio.run(middleware.process_request(public)) is None

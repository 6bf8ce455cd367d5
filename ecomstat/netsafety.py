"""The one rule deciding which network addresses ecomstat may connect to.

Every fetcher (the crawler's downloader middleware and DNS resolver, Chromium's request filter,
`ecomstat classify page`) asks `is_refused_address`: only globally reachable unicast addresses
pass. A page on the public web must not make ecomstat reach the office's intranet, loopback
services or a cloud metadata endpoint (169.254.169.254, 100.100.100.200, fd00:ec2::254).

The rule is written out range by range instead of trusting `ipaddress.is_global` alone: Python
3.11 calls 224.0.0.0/4, fec0::/10, ff00::/8, 64:ff9b:1::/48 and every 6to4 or NAT64 address
"global", whatever private IPv4 address they wrap. `is_global` stays as the last check, so a
range a newer Python learns about is refused too.

Host names are checked by `check_host`: one resolution, the rule applied to every answer unless
the name matches ECOMSTAT_ALLOW_PRIVATE_HOSTS, and the checked addresses returned so the caller
connects to exactly those (a DNS server answering differently on a second lookup, "DNS
rebinding", never gets a say). A host written as a number in any spelling the OS accepts
(`127.1`, `0x7f.0.0.1`, `2130706433`, `017700000001`) is that address, not a name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ecomstat.errors import BadInput, EcomstatError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IPv4 ranges that are not globally reachable unicast (IANA special-purpose registry, RFC 6890)
REFUSED_V4: tuple[ipaddress.IPv4Network, ...] = (
    _V4("0.0.0.0/8"),          # "this network"; 0.0.0.0 reaches the local host on Linux
    _V4("10.0.0.0/8"),         # private (RFC 1918)
    _V4("100.64.0.0/10"),      # carrier-grade NAT; some clouds' metadata (100.100.100.200)
    _V4("127.0.0.0/8"),        # loopback
    _V4("169.254.0.0/16"),     # link-local; cloud metadata 169.254.169.254
    _V4("172.16.0.0/12"),      # private
    _V4("192.0.0.0/24"),       # IETF protocol assignments (a few anycast ones refused too)
    _V4("192.0.2.0/24"),       # documentation TEST-NET-1
    _V4("192.88.99.0/24"),     # deprecated 6to4 relay anycast
    _V4("192.168.0.0/16"),     # private
    _V4("198.18.0.0/15"),      # benchmarking
    _V4("198.51.100.0/24"),    # documentation TEST-NET-2
    _V4("203.0.113.0/24"),     # documentation TEST-NET-3
    _V4("224.0.0.0/4"),        # multicast (Python 3.11 calls it global)
    _V4("240.0.0.0/4"),        # reserved, including broadcast 255.255.255.255
)

# IPv6 ranges refused whatever they contain; IPv4-mapped, 6to4 and NAT64 64:ff9b::/96 are not
# listed: they are decided by the IPv4 address they carry (embedded_ipv4)
REFUSED_V6: tuple[ipaddress.IPv6Network, ...] = (
    _V6("::/96"),              # :: unspecified, ::1 loopback, deprecated IPv4-compatible ::a.b.c.d
    _V6("::ffff:0:0:0/96"),    # SIIT IPv4-translated addresses (RFC 2765), not routable
    _V6("64:ff9b:1::/48"),     # local-use NAT64 (RFC 8215): the office's own translator
    _V6("100::/64"),           # discard-only
    _V6("2001::/23"),          # IETF protocol assignments, Teredo 2001::/32 included (below)
    _V6("2001:db8::/32"),      # documentation
    _V6("3fff::/20"),          # documentation (RFC 9637)
    _V6("5f00::/16"),          # SRv6 segment identifiers (RFC 9602)
    _V6("fc00::/7"),           # unique local (the IPv6 private ranges)
    _V6("fe80::/10"),          # link-local
    _V6("fec0::/10"),          # deprecated site-local (Python 3.11 calls it global)
    _V6("ff00::/8"),           # multicast
)
GLOBAL_UNICAST_V6 = _V6("2000::/3")  # the only IPv6 unicast space IANA hands out (RFC 4291)
NAT64_WELL_KNOWN = _V6("64:ff9b::/96")  # RFC 6052: a.b.c.d is 64:ff9b::a.b.c.d
IPV4_COMPATIBLE = _V6("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)


class RefusedAddress(BadInput):
    """A host resolves to (or is written as) an address the rule refuses."""


class UnresolvableHost(EcomstatError):
    """A host name has no address (or is not a valid host)."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and reaches in the end: IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), 6to4 (2002::/16), well-known NAT64
    (64:ff9b::/96) and Teredo (2001::/32: server and de-obfuscated client)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # ::a.b.c.d (:: and ::1 carry nothing)
        found.append(low32)
    if ip in NAT64_WELL_KNOWN:
        found.append(low32)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client); Python undoes the client's XOR
    return found


def address_is_refused(ip: IPAddress) -> bool:
    """The rule on a parsed address (see is_refused_address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return True  # fe80::1%eth0: an interface-scoped address is local by definition
        if ip.ipv4_mapped is not None:
            # a dual-stack socket connecting to ::ffff:a.b.c.d reaches a.b.c.d: same verdict
            return address_is_refused(ip.ipv4_mapped)
        # a wrapped private IPv4 is refused even where the wrapper alone would pass (6to4,
        # NAT64: the translator or relay forwards to the wrapped address)
        if any(address_is_refused(inner) for inner in embedded_ipv4(ip)):
            return True
        if any(ip in network for network in REFUSED_V6):
            return True
        if ip not in GLOBAL_UNICAST_V6 and ip not in NAT64_WELL_KNOWN:
            return True  # unassigned IPv6 space: nothing on the web lives there
        return not ip.is_global
    if any(ip in network for network in REFUSED_V4):
        return True
    return not ip.is_global  # whatever a newer Python adds to its special-purpose list


@lru_cache(maxsize=4096)
def is_refused_address(ip_string: str) -> bool:
    """Whether ecomstat must not connect to this address: anything but a globally reachable
    unicast address, IPv4 or IPv6 (see the range tables). Takes an address as getaddrinfo
    answers it, a URL host (brackets, odd IPv4 spellings) or `addr%zone`. Something that is not
    an address at all is refused: the rule fails closed. Cached: a crawl asks for every
    request."""
    ip = parse_address(ip_string)
    return True if ip is None else address_is_refused(ip)


def parse_address(text: str) -> IPAddress | None:
    """The address `text` means to the operating system, or None for a name. IPv4 goes through
    inet_aton, which (like getaddrinfo and every browser) reads `127.1`, `0x7f.0.0.1`,
    `2130706433` and `017700000001` as 127.0.0.1: these must be checked as the address they are,
    never matched as names."""
    host = text.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.replace("%25", "%"))  # URL hosts escape the %
        except ValueError:
            return None
    if not host or any(c.isspace() for c in host):
        return None  # inet_aton reads "1.2.3.4 junk" as 1.2.3.4; no host contains spaces
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def host_allowed(host: str, allowed_suffixes: Iterable[str]) -> bool:
    """Whether `host` matches one of the ECOMSTAT_ALLOW_PRIVATE_HOSTS suffixes (`.test` matches
    `a.test` and `test`; `localhost` matches `localhost`)."""
    for suffix in allowed_suffixes:
        suffix = suffix.strip().lower()
        if not suffix:
            continue
        bare = suffix.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


@lru_cache(maxsize=4096)  # asked for every crawl request
def normalise_host(host: str) -> str:
    """The host as the rule and the allow-list see it: lower case, no trailing dot, no
    brackets, and an address literal in its canonical spelling (`0x7f.1` -> `127.0.0.1`)."""
    bare = host.strip().rstrip(".").lower()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    ip = parse_address(bare)
    return bare if ip is None else str(ip)


def first_refused(host: str, addresses: Sequence[str], allowed: Iterable[str]) -> str | None:
    """The first of `addresses` the rule refuses for `host` (None: all may be contacted). A host
    matching an allowed suffix may be on any address; one refused answer refuses the host,
    since the connection could go to any of them."""
    if host_allowed(normalise_host(host), allowed):
        return None
    return next((a for a in addresses if is_refused_address(a)), None)


def check_host(host: str, allowed: Iterable[str], port: int = 0) -> list[str]:
    """Resolve `host` once and return the addresses to connect to, each one checked; raises
    RefusedAddress (the rule) or UnresolvableHost. An address literal is not resolved."""
    name = normalise_host(host)
    if not name:
        raise UnresolvableHost("no host")
    literal = parse_address(name)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise UnresolvableHost(f"{name} does not resolve ({exc})") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise UnresolvableHost(f"{name} does not resolve")
    refused = first_refused(name, addresses, list(allowed))
    if refused is not None:
        written = host.strip().rstrip(".").lower().strip("[]")
        where = (f"{name} (resolves to {refused})" if literal is None
                 else name if written == name else f"{written} (= {name})")
        raise RefusedAddress(f"{where} is not a public address: refused "
                             "(ECOMSTAT_ALLOW_PRIVATE_HOSTS lists the hosts allowed on private "
                             "addresses)")
    return addresses

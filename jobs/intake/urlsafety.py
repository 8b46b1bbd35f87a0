"""Which URLs Lectern may fetch: http(s) to public addresses only, unless allow-listed.

A URL pointing at the server's own network (loopback, private ranges, link-local, cloud metadata
endpoints) would let any user read internal services through the downloader (SSRF). The check is
made twice: on the URL before a job is accepted, and on every connection the downloader makes
(``guard_connections``), which also covers redirects and DNS answers that change in between.
Plain Python, no Django.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Metadata services that are not covered by the private/link-local ranges.
METADATA_ADDRESSES = {
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}


class UnsafeURL(ValueError):
    """The URL may not be fetched; ``str(exc)`` is shown to the user."""


# The ports an entry without one allows: a web server's. Allowing a host does not open its other
# services (an admin console on 8080, a database) to every user who can submit a link.
DEFAULT_PORTS = frozenset({80, 443})
Ports = frozenset[int] | None  # None: any port ("host:*")


def _split_port(item: str) -> tuple[str, Ports]:
    """``host``, ``host:port``, ``host:*``, ``[v6]:port``, ``10.0.0.0/8:port`` -> (host, ports)."""
    if item.startswith("["):
        host, bracket, rest = item[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{item!r} is not [address] or [address]:port")
        port = rest[1:] if rest else ""
    elif item.count(":") == 1:
        host, _, port = item.partition(":")
    else:  # a bare host, or a bare IPv6 address or network
        host, port = item, ""
    if not port:
        return host, DEFAULT_PORTS
    if port == "*":
        return host, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{item!r} has an invalid port (a number from 1 to 65535, or *)")
    return host, frozenset({int(port)})


def _port_number(port: object) -> int | None:
    try:
        return int(port)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None  # a service name, or none: never matched by a port list


def _allowed(ports: Ports, port: object) -> bool:
    return ports is None or _port_number(port) in ports


@dataclass(frozen=True)
class Allowlist:
    """Hosts and networks links may reach although they are not public, each with its ports:
    ``host`` (ports 80 and 443), ``host:8000``, ``host:*`` (any port); the same for addresses
    and CIDR networks, IPv6 in brackets when a port follows (``[fd00::1]:8000``)."""

    hosts: tuple[tuple[str, Ports], ...] = ()
    networks: tuple[tuple[IPNetwork, Ports], ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> Allowlist:
        """``ValueError`` for an entry that cannot be read (settings turn it into a clear
        ``ImproperlyConfigured``)."""
        hosts: list[tuple[str, Ports]] = []
        networks: list[tuple[IPNetwork, Ports]] = []
        for item in items:
            item = item.strip().lower()
            if not item:
                continue
            host, ports = _split_port(item)
            try:
                networks.append((ipaddress.ip_network(host, strict=False), ports))
            except ValueError:
                hosts.append((host.rstrip("."), ports))
        return cls(tuple(hosts), tuple(networks))

    def allows_host(self, host: str, port: object) -> bool:
        host = host.lower().rstrip(".")
        return any(name == host and _allowed(ports, port) for name, ports in self.hosts)

    def allows_address(self, address: IPAddress, port: object) -> bool:
        return any(address in network and _allowed(ports, port) for network, ports in self.networks)


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in METADATA_ADDRESSES
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE)
    )


_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = _real_getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise UnsafeURL(f"The host {host!r} could not be found.") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def check_url(url: str, allowlist: Allowlist = Allowlist()) -> str:
    """Return the URL when it may be fetched; raise ``UnsafeURL`` with a reason otherwise."""
    url = url.strip()
    if len(url) > 2000:
        raise UnsafeURL("The URL is too long.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// links can be fetched.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL has no host name.")
    if parts.username or parts.password:
        raise UnsafeURL("Links with a user name or password are not accepted.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise UnsafeURL("The URL has an invalid port.") from None
    if allowlist.allows_host(host, port):
        return url
    for address in _resolve(host, port):
        if not (is_public(address) or allowlist.allows_address(address, port)):
            raise UnsafeURL(
                "This link points to a private or internal network address, which Lectern does "
                "not fetch from."
            )
    return url


# --- Connection-time guard ------------------------------------------------------------------------
_real_getaddrinfo = socket.getaddrinfo
_state = threading.local()
_install_lock = threading.Lock()
_installed = False


def _guarded_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
    results = _real_getaddrinfo(host, port, *args, **kwargs)
    allowlist: Allowlist | None = getattr(_state, "allowlist", None)
    if allowlist is None or (isinstance(host, str) and allowlist.allows_host(host, port)):
        return results
    safe = [
        info
        for info in results
        if (address := ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        and (is_public(address) or allowlist.allows_address(address, port))
    ]
    if not safe:
        raise OSError(f"Connection to {host} refused: it resolves to an internal address.")
    return safe


@contextmanager
def guard_connections(allowlist: Allowlist) -> Iterator[None]:
    """Within this block, this thread may only open connections to allowed addresses."""
    global _installed
    with _install_lock:
        if not _installed:
            socket.getaddrinfo = _guarded_getaddrinfo
            _installed = True
    previous = getattr(_state, "allowlist", None)
    _state.allowlist = allowlist
    try:
        yield
    finally:
        _state.allowlist = previous


def guard_active() -> bool:
    """Whether this thread is inside ``guard_connections``."""
    return getattr(_state, "allowlist", None) is not None


@contextmanager
def unguarded() -> Iterator[None]:
    """Lift the guard for this thread (to reach our own database from a progress callback)."""
    previous = getattr(_state, "allowlist", None)
    _state.allowlist = None
    try:
        yield
    finally:
        _state.allowlist = previous

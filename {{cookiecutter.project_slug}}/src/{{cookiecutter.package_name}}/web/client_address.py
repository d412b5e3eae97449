"""The client's address: the socket's peer, or what trusted proxies say in X-Forwarded-For.

Only a proxy listed in TRUSTED_PROXIES is believed: anyone else could write any address there
and so escape the per-address limits. Behind trusted proxies, the client is the right-most
address in X-Forwarded-For that is not itself a trusted proxy (each proxy appends its peer).

One host, one address: an IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) is that IPv4
address, and an IPv6 zone (`fe80::1%eth0`) is dropped.
"""

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from fastapi import Request
from pydantic import IPvAnyNetwork

UNKNOWN = "unknown"


def _parsed(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip().partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def throttling_key(address: str, ipv6_prefix_length: int) -> str:
    """What a client's per-address limits count under: its IPv4 address, or its IPv6 network
    of `ipv6_prefix_length` bits (one host usually holds a whole /64, so counting its addresses
    one by one would not limit it)."""
    parsed = _parsed(address)
    if isinstance(parsed, IPv6Address):
        return str(ip_network(f"{parsed}/{ipv6_prefix_length}", strict=False))
    return address if parsed is None else str(parsed)


def _trusted(address: IPv4Address | IPv6Address, proxies: list[IPvAnyNetwork]) -> bool:
    return any(address in network for network in proxies)


def client_address(request: Request, trusted_proxies: list[IPvAnyNetwork]) -> str:
    peer = _parsed(request.client.host) if request.client else None
    if peer is None:
        return UNKNOWN
    if not _trusted(peer, trusted_proxies):
        return str(peer)
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed(forwarded):
        address = _parsed(hop)
        if address is None:
            break  # garbage from before the trusted proxies: the last proxy's peer stands
        if not _trusted(address, trusted_proxies):
            return str(address)
        peer = address
    return str(peer)

"""The client's address: the socket's peer, or what trusted proxies say in X-Forwarded-For.

Only a proxy listed in TRUSTED_PROXIES is believed: anyone else could write any address there
and so escape the per-address limits. Behind trusted proxies, the client is the right-most
address in X-Forwarded-For that is not itself a trusted proxy (each proxy appends its peer).
"""

from ipaddress import IPv4Address, IPv6Address, ip_address

from fastapi import Request
from pydantic import IPvAnyNetwork

UNKNOWN = "unknown"


def _parsed(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


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

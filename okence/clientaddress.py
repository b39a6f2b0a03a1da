"""Who a request comes from, as every per-address limit counts it.

An IPv4 address counts as itself. An IPv6 address counts as its /64 network: a subscriber is given
at least a /64 and may use any of its 2^64 addresses, so a limit on the full address limits nothing.
"""

import ipaddress

from django.http import HttpRequest


def network(address: str | None) -> str:
    """The key of the sender behind ``address``; "unknown" for anything that is not an address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 sender 192.0.2.1
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip), 64), strict=False))
    return str(ip)


def of(request: HttpRequest) -> str:
    return network(request.META.get("REMOTE_ADDR"))

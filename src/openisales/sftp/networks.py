"""The address ranges an operator lets file servers live in (``OPENISALES_ALLOWED_SERVER_NETWORKS``)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

__all__ = [
    "SETTING",
    "AddressNotAllowed",
    "Network",
    "allows_everything",
    "check_host",
    "describe",
    "is_allowed",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SETTING = "OPENISALES_ALLOWED_SERVER_NETWORKS"


def is_allowed(address: str, networks: Sequence[Network]) -> bool:
    """True when the IP address ``address`` lies in one of ``networks``."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5
    return any(ip.version == network.version and ip in network for network in networks)


def describe(networks: Sequence[Network]) -> str:
    return ",".join(str(network) for network in networks)


class AddressNotAllowed(ValueError):
    """A file-server address lies outside the allowed networks, or its name does not resolve."""


def allows_everything(networks: Sequence[Network]) -> bool:
    return {str(n) for n in networks if n.prefixlen == 0} == {"0.0.0.0/0", "::/0"}


def check_host(host: str, port: int, networks: Sequence[Network]) -> None:
    """Raise ``AddressNotAllowed`` unless every address of ``host`` lies in ``networks``.

    A literal IP address is checked as it is; a host name is resolved (not at all when the
    networks allow every address) and each of its addresses must be allowed.
    """
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if allows_everything(networks):
            return
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise AddressNotAllowed(
                f"the host name {host!r} cannot be resolved ({exc}), so its addresses cannot "
                f"be checked against {SETTING} ({describe(networks)})"
            ) from None
        addresses = sorted({str(info[4][0]) for info in infos})
    outside = [address for address in addresses if not is_allowed(address, networks)]
    if outside:
        via = "" if outside == [host] else f"{host!r} resolves to "
        raise AddressNotAllowed(
            f"{via}{', '.join(outside)}, outside the allowed networks {describe(networks)} "
            f"({SETTING})"
        )

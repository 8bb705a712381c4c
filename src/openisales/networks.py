"""Where the service may connect to a customer's host: the operator's ranges, and never this
host or a special address.

The hosts are the tenants' SFTP file servers and the receivers of the result push: both are
chosen by a tenant, so both follow one rule. Two checks, both applied to every address a host
name resolves to (at addServer/updateServer, before a push) and to the address actually
connected to (at import time, for each push connection):

* ``OPENISALES_ALLOWED_SERVER_NETWORKS``: the ranges such an address must lie in (default:
  every address).
* Unless ``OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES`` is true, an address that reaches this host
  or no real server is refused whatever the ranges say: loopback, unspecified, link-local,
  multicast and broadcast addresses, in any spelling the resolver accepts (``127.1``,
  ``2130706433``, ``::ffff:127.0.0.1``), and this host's own addresses. Otherwise any tenant
  could point an import or a result push at the service's own machine and probe its ports.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOCAL_SETTING",
    "SETTING",
    "AddressNotAllowed",
    "Network",
    "ServerNetworks",
    "check_host",
    "resolve_checked",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
SETTING = "OPENISALES_ALLOWED_SERVER_NETWORKS"
LOCAL_SETTING = "OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES"

_LOOPBACK = "a loopback address"
_UNSPECIFIED = "an unspecified address"
_LINK_LOCAL = "a link-local address"
_MULTICAST = "a multicast address"
#: Ranges refused unless local addresses are allowed; IPv4-mapped IPv6 is checked as IPv4.
SPECIAL_RANGES: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(cidr), what)
    for cidr, what in (
        ("0.0.0.0/8", _UNSPECIFIED),  # connecting to 0.0.0.0 reaches this host
        ("127.0.0.0/8", _LOOPBACK),
        ("169.254.0.0/16", _LINK_LOCAL),  # also cloud metadata services (169.254.169.254)
        ("224.0.0.0/4", _MULTICAST),
        ("255.255.255.255/32", "the broadcast address"),
        ("::/128", _UNSPECIFIED),
        ("::1/128", _LOOPBACK),
        ("::/96", "an IPv4-compatible address"),  # deprecated; ::127.0.0.1 and the like
        ("fe80::/10", _LINK_LOCAL),
        ("ff00::/8", _MULTICAST),
    )
)


class AddressNotAllowed(ValueError):
    """An address is refused by the rules above, or its host name does not resolve."""


@dataclass(frozen=True)
class ServerNetworks:
    """The address rules in force (file servers and result receivers)."""

    allowed: tuple[Network, ...]
    allow_local: bool = False

    def refusal(self, address: str) -> str | None:
        """Why the service may not connect to the IP ``address``, or None when it may."""
        ip = _ip(address)
        if not self.allow_local:
            special = _special(ip)
            if special is not None:
                return f"{ip} is {special}, which the service does not connect to ({LOCAL_SETTING})"
        if not any(ip.version == net.version and ip in net for net in self.allowed):
            return f"{ip} is outside the allowed networks {self.describe()} ({SETTING})"
        return None

    def allows(self, address: str) -> bool:
        """True when the service may connect to the IP ``address``."""
        return self.refusal(address) is None

    def describe(self) -> str:
        """The allowed ranges as the setting spells them."""
        return ",".join(str(network) for network in self.allowed)

    @property
    def allows_everything(self) -> bool:
        """True when no address is refused, so a host name need not even be resolved."""
        everything = {str(n) for n in self.allowed if n.prefixlen == 0} == {"0.0.0.0/0", "::/0"}
        return everything and self.allow_local


def check_host(host: str, port: int, networks: ServerNetworks) -> None:
    """Raise ``AddressNotAllowed`` unless every address of ``host`` is allowed.

    A literal IP address is checked as it is; anything else goes through the resolver, as the
    connection will (so ``127.1`` and ``2130706433`` are checked as 127.0.0.1).
    """
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if networks.allows_everything:
            return
        addresses = sorted({str(info[4][0]) for info in _resolve(host, port)})
    _refuse_any(host, addresses, networks)


AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


def resolve_checked(host: str, port: int, networks: ServerNetworks) -> list[AddressInfo]:
    """The addresses to connect to for ``host:port``, once every one of them is allowed.

    Resolved once: the caller connects to exactly these, so a name that resolves elsewhere a
    moment later (DNS rebinding) changes nothing. ``AddressNotAllowed`` when any is refused.
    """
    infos = _resolve(host, port)
    _refuse_any(host, sorted({str(info[4][0]) for info in infos}), networks)
    return infos


def _resolve(host: str, port: int) -> list[AddressInfo]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressNotAllowed(
            f"the host name {host!r} cannot be resolved ({exc}), so its addresses cannot be checked"
        ) from None
    return [
        (family, kind, proto, name, tuple(address)) for family, kind, proto, name, address in infos
    ]


def _refuse_any(host: str, addresses: list[str], networks: ServerNetworks) -> None:
    refusals = [r for r in (networks.refusal(address) for address in addresses) if r]
    if refusals:
        via = "" if addresses == [host] else f"{host!r} resolves to {', '.join(addresses)}: "
        raise AddressNotAllowed(via + "; ".join(refusals))


def _ip(address: str) -> IP:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip


def _special(ip: IP) -> str | None:
    """What kind of address refused by default ``ip`` is, or None for an ordinary one."""
    for network, what in SPECIAL_RANGES:
        if ip.version == network.version and ip in network:
            return what
    if _is_own_address(ip):
        return "an address of this host"
    return None


def _is_own_address(ip: IP) -> bool:
    """True when ``ip`` is one of this host's addresses (a connection to it would stay here).

    A connected UDP socket sends nothing; the kernel only picks the source address of the route
    to ``ip``, and for a route to one of its own addresses that is the address itself.
    """
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((str(ip), 9))
        return _ip(str(probe.getsockname()[0])) == ip
    return False

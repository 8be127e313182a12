"""The networks an environment knows (office, each cluster's pods and services) and questions
about them: which one an address belongs to, host bits, overlaps, and what a typo meant."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from netaddr import AddrFormatError, IPAddress, IPNetwork


@dataclass(frozen=True)
class KnownNetwork:
    cidr: str
    kind: str  # "office", "pods", "services"
    cluster: str | None = None

    @property
    def label(self) -> str:
        if self.cluster is None:
            return self.kind
        return f"cluster {self.cluster} {self.kind}"

    @property
    def network(self) -> IPNetwork:
        return IPNetwork(self.cidr)


def parse_cidr(text: str) -> IPNetwork:
    """A CIDR or a bare address (a /32); raises ValueError with a readable reason."""
    try:
        net = IPNetwork(text)
    except (AddrFormatError, ValueError, TypeError) as e:
        raise ValueError(f"{text!r} is not an IPv4 CIDR such as 10.1.3.0/24") from e
    if net.version != 4:
        raise ValueError(f"{text!r} is IPv6; netui handles IPv4 networks")
    if "/" not in str(text) and str(net.ip) != str(text).strip():
        raise ValueError(f"{text!r} is not an IPv4 CIDR such as 10.1.3.0/24")
    return net


def has_host_bits(cidr: str) -> bool:
    net = IPNetwork(cidr)
    return net.ip != net.network


def canonical(cidr: str) -> str:
    net = IPNetwork(cidr)
    return f"{net.network}/{net.prefixlen}"


def overlaps(a: str, b: str) -> bool:
    na, nb = IPNetwork(a), IPNetwork(b)
    return na.first <= nb.last and nb.first <= na.last


class NetworkMap:
    """Lookups over the known networks; the most specific one wins."""

    def __init__(self, networks: list[KnownNetwork]) -> None:
        self.networks = list(networks)
        self._nets = [(n, IPNetwork(n.cidr)) for n in self.networks]

    def owner(self, address_or_cidr: str) -> KnownNetwork | None:
        """The known network that contains this address or whole CIDR."""
        try:
            target = IPNetwork(address_or_cidr)
        except (AddrFormatError, ValueError):
            return None
        best: tuple[KnownNetwork, IPNetwork] | None = None
        for kn, net in self._nets:
            if (
                target.first >= net.first
                and target.last <= net.last
                and (best is None or net.prefixlen > best[1].prefixlen)
            ):
                best = (kn, net)
        return best[0] if best else None

    def is_known(self, cidr: str) -> bool:
        """True when `cidr` is inside some known network (a subnet of a known network is fine)."""
        return self.owner(cidr) is not None

    def overlapping(self, cidr: str) -> list[KnownNetwork]:
        return [kn for kn, _ in self._nets if overlaps(kn.cidr, cidr)]

    def closest(self, cidr: str) -> KnownNetwork | None:
        """The known network an unknown CIDR most likely meant (a typo: an extra digit, swapped
        octets). Text similarity decides, then the same prefix length breaks ties; a network
        that shares less than half its text is no suggestion at all."""
        best: tuple[float, KnownNetwork] | None = None
        for kn in self.networks:
            score = SequenceMatcher(None, cidr, kn.cidr).ratio()
            try:
                if IPNetwork(cidr).prefixlen == IPNetwork(kn.cidr).prefixlen:
                    score += 0.05
            except (AddrFormatError, ValueError):
                pass
            if best is None or score > best[0]:
                best = (score, kn)
        if best is None or best[0] < 0.6:
            return None
        return best[1]

    def pairwise_overlaps(self) -> list[tuple[KnownNetwork, KnownNetwork]]:
        out = []
        for i, (a, na) in enumerate(self._nets):
            for b, nb in self._nets[i + 1 :]:
                if na.first <= nb.last and nb.first <= na.last:
                    out.append((a, b))
        return out


def ip_in(address: str, cidr: str) -> bool:
    try:
        return IPAddress(address) in IPNetwork(cidr)
    except (AddrFormatError, ValueError):
        return False

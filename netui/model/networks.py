"""The networks an environment knows (office, each cluster's pods and services) and questions
about them: which one an address belongs to, host bits, overlaps, and what a typo meant."""

from __future__ import annotations

from dataclasses import dataclass

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


def parse_address(text: str) -> str:
    """One IPv4 address (not a network); raises ValueError with a readable reason."""
    if "/" in text:
        raise ValueError(f"{text!r} is a network; give one address such as 10.200.1.3")
    try:
        ip = IPAddress(text.strip(), flags=0)
    except (AddrFormatError, ValueError, TypeError):
        raise ValueError(f"{text!r} is not an IPv4 address such as 10.200.1.3") from None
    if ip.version != 4 or str(ip) != text.strip():
        raise ValueError(f"{text!r} is not an IPv4 address such as 10.200.1.3")
    return str(ip)


def has_host_bits(cidr: str) -> bool:
    net = IPNetwork(cidr)
    return net.ip != net.network


def canonical(cidr: str) -> str:
    net = IPNetwork(cidr)
    return f"{net.network}/{net.prefixlen}"


def overlaps(a: str, b: str) -> bool:
    na, nb = IPNetwork(a), IPNetwork(b)
    return na.first <= nb.last and nb.first <= na.last


def nesting(a: KnownNetwork, b: KnownNetwork) -> tuple[KnownNetwork, KnownNetwork] | None:
    """(wide, narrow) when one strictly contains the other; None when equal or disjoint."""
    na, nb = a.network, b.network
    if na == nb or not overlaps(a.cidr, b.cidr):
        return None
    return (a, b) if na.prefixlen < nb.prefixlen else (b, a)


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

    def containing(self, address: str) -> list[KnownNetwork]:
        """Every known network that holds this address, widest first (nested plans hold an
        address in two clusters' ranges; the last one is where longest-prefix routing sends it)."""
        try:
            ip = IPAddress(address)
        except (AddrFormatError, ValueError):
            return []
        found = [(net.prefixlen, kn) for kn, net in self._nets if ip in net]
        return [kn for _, kn in sorted(found, key=lambda t: t[0])]

    def nesting_note(self, address: str) -> str | None:
        """'10.100.5.7 is in both cluster a services 10.96.0.0/12 and cluster b pods
        10.100.0.0/16; longest prefix sends it to b' — or None when only one network holds it."""
        held = [kn for kn in self.containing(address) if kn.cluster is not None]
        if len(held) < 2 or len({kn.cluster for kn in held}) < 2:
            return None
        names = " and ".join(f"{kn.label} {kn.cidr}" for kn in held)
        return (
            f"{address} is in both {names}; the router's longest match sends it to cluster "
            f"{held[-1].cluster}"
        )

    def is_known(self, cidr: str) -> bool:
        """True when `cidr` is inside some known network (a subnet of a known network is fine)."""
        return self.owner(cidr) is not None

    def overlapping(self, cidr: str) -> list[KnownNetwork]:
        return [kn for kn, _ in self._nets if overlaps(kn.cidr, cidr)]

    def closest(self, cidr: str) -> KnownNetwork | None:
        """The known network an unknown CIDR most likely meant: one within two typing mistakes
        (a digit added, dropped, changed, or two swapped), e.g. 110.1.3.0/24 for 10.1.3.0/24.
        Anything further is a different network, not a typo (Docker's 172.17.0.0/16 is not a
        misspelt 10.200.0.0/16)."""
        best: tuple[int, int, KnownNetwork] | None = None
        for kn in self.networks:
            if _parts_differing(cidr, kn.cidr) > 1:
                continue  # a slip of the fingers touches one number, not two (10.7.5.0/24)
            d = edit_distance(cidr, kn.cidr)
            same_prefix = 0 if cidr.rpartition("/")[2] == kn.cidr.rpartition("/")[2] else 1
            if d <= 2 and (best is None or (d, same_prefix) < best[:2]):
                best = (d, same_prefix, kn)
        return best[2] if best else None

    def pairwise_overlaps(self) -> list[tuple[KnownNetwork, KnownNetwork]]:
        out = []
        for i, (a, na) in enumerate(self._nets):
            for b, nb in self._nets[i + 1 :]:
                if na.first <= nb.last and nb.first <= na.last:
                    out.append((a, b))
        return out


def _parts_differing(a: str, b: str) -> int:
    """How many of the four octets and the prefix length differ."""
    pa = a.replace("/", ".").split(".")
    pb = b.replace("/", ".").split(".")
    if len(pa) != len(pb):
        return max(len(pa), len(pb))
    return sum(x != y for x, y in zip(pa, pb, strict=True))


def ip_in(address: str, cidr: str) -> bool:
    try:
        return IPAddress(address) in IPNetwork(cidr)
    except (AddrFormatError, ValueError):
        return False


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, transpositions."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]

"""Reading hosts for the faces: every host's snapshot, one host's (refused in one line when it
cannot be read), the networks its routes are judged against, and an SSH host key to trust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netui.errors import UserError

if TYPE_CHECKING:
    from netui.core.session import Session
    from netui.model.networks import NetworkMap
    from netui.model.snapshot import HostSnapshot


def read_hosts(session: Session, names: list[str]) -> dict[str, HostSnapshot]:
    """A snapshot of each host, read at the same time; a host that cannot be read says why in
    its snapshot (its state and reason)."""
    from netui.backends.snapshot import snapshot_hosts

    return snapshot_hosts(session.hosts, names)


def read_host(session: Session, host: str) -> HostSnapshot:
    session.env.host(host)  # a clear error for an unknown name, before anything is contacted
    snap = read_hosts(session, [host])[host]
    if not snap.ok:
        raise UserError(f"{host}: {snap.state}: {snap.reason}")
    return snap


def known_networks(session: Session) -> tuple[NetworkMap, list[str]]:
    """The environment's networks, completed by discovery where the file leaves CIDRs out;
    and what discovery could not learn, for the operator."""
    from netui.discovery.model import needs_discovery, network_map

    env = session.env
    if not needs_discovery(env):
        return env.known_networks(), []
    inventory = session.discover()
    return network_map(env, inventory), [i.error for i in inventory.values() if i.error]


@dataclass(frozen=True)
class OfferedKey:
    """The host key an SSH host offers, not trusted yet: shown to the operator, then saved."""

    host: str
    name: str  # its known_hosts entry name (the address netui connects to)
    kind: str  # ssh-ed25519, ...
    fingerprint: str  # SHA256:..., as `ssh-keygen -l` shows it
    known_hosts: str
    key: Any  # paramiko's key, saved as it was offered


def offered_key(session: Session, host: str) -> OfferedKey:
    from netui.backends.ssh import accept_host_key, fingerprint

    address = session.env.host(host)
    if address.scheme != "ssh":
        raise UserError(
            f"{host} is reached through {address.uri}, not SSH: there is no host key to trust"
        )
    name, key, known_hosts = accept_host_key(address, session.env.ssh)
    return OfferedKey(host, name, key.get_name(), fingerprint(key), known_hosts, key)


def trust_key(offered: OfferedKey) -> None:
    """Add the key to known_hosts: from now on the host must offer exactly this key."""
    from netui.backends.ssh import save_host_key

    save_host_key(offered.name, offered.key, offered.known_hosts)

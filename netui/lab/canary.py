"""kube-proxy's canary, for the lab. A real kube-proxy notices when its chains vanish (a
firewalld start or `firewall-cmd --reload` flushes every iptables rule not in firewalld's
configuration) and writes them again (kubernetes PR#81517). The lab's nodes have no kube-proxy,
so the lab daemon does it, once a second, on the hosts where firewalld runs: without it, the
first reload would leave the lab's Services dead where a real cluster heals itself."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from netui.lab import firewalls, kubeproxy
from netui.lab.topology import PREFIX, LabCluster, plan_named

REBOOTING = (
    "rebooting"  # in the lab's directory while `netui lab reboot` runs: the boot writes them
)


@dataclass(frozen=True)
class Watched:
    ns: str
    cluster: LabCluster


def watched(plan: str, firewall: str, kube_proxy: str) -> list[Watched]:
    """The nodes whose kube-proxy chains a firewall manager's reload can flush (iptables mode)."""
    if not firewalls.is_firewalld(firewall):
        return []
    clusters = plan_named(plan).clusters
    walled = firewalls.hosts_for(firewall, [c.master for c in clusters])
    out = []
    for i, c in enumerate(clusters):
        if i == 0 and kube_proxy != "iptables":
            continue  # its own nft table or IPVS: a reload of firewalld leaves them alone
        out += [Watched(f"{PREFIX}{n}", c) for n in (c.master, c.worker) if n in walled]
    return out


def _in(ns: str, *argv: str, input: str | None = None) -> int:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        input=input,
        capture_output=True,
        text=True,
        timeout=10,
    ).returncode


def tick(nodes: list[Watched], services: int) -> list[str]:
    """Put kube-proxy's chains back where they vanished; the namespaces it did that in."""
    healed = []
    for w in nodes:
        if _in(w.ns, "iptables", "-w", "5", "-t", "nat", "-S", "KUBE-SERVICES") == 0:
            continue
        rules = kubeproxy.rules(w.cluster, services)
        if _in(w.ns, "iptables-restore", "--noflush", "-w", "5", input=rules) == 0:
            healed.append(w.ns)
    return healed

"""The lab's firewall variants (`netui lab up --firewall …`) and kube-proxy modes
(`--kube-proxy …`): what real forwarders run besides iptables, on the clusters' forwarders.

- `nftables`: a hand-written native table, `table inet filter` whose forward chain has
  `policy drop` (what Debian's /etc/nftables.conf becomes once someone hardens it), on both
  masters (nft and legacy iptables: `iptables-legacy-save` never shows it).
- `ufw`: the real ufw, enabled with its defaults (routed: deny), on both masters; each has its
  own /etc/ufw and /etc/default through /etc/netns/<ns>/.
- `firewalld`: the real firewalld (Debian's package, nftables backend, its stock
  configuration copied to /etc/netns/<ns>/firewalld) on cluster A's master, with a D-Bus system
  bus of its own. One bus holds firewalld's well-known name once, so one firewalld host.
  The bus lives at the standard /run/dbus path, so the lab refuses this variant while another
  bus runs there (run it in a private mount namespace, as scripts/test does).
- kube-proxy `nftables`: cluster A's Services in `table ip kube-proxy` (the shape of
  kube-proxy's nftables mode) instead of iptables' KUBE-SERVICES.
- kube-proxy `ipvs`: this kernel has no IPVS, so the state is recorded only: the ClusterIPs on
  a kube-ipvs0 link, no /proc/net/ip_vs. The doctor says where IPVS would take the traffic is
  uncertain; the probes to Services do not pass there. Said so in `netui lab status`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from netui.errors import UserError
from netui.lab.topology import PREFIX, LabCluster, Service, pods_of

FIREWALLS = ("firewalld", "firewalld-legacy", "ufw", "nftables")
KUBE_PROXY_MODES = ("iptables", "nftables", "ipvs")
DBUS_SOCKET = Path("/run/dbus/system_bus_socket")
HARDENED = """table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
"""


def _in(ns: str, *argv: str, input: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        ["ip", "netns", "exec", ns, *argv], input=input, capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise UserError(
            f"lab: `{' '.join(argv)[:120]}` in {ns} failed: {proc.stderr.strip()[:300]}"
        )
    return proc.stdout


def is_firewalld(firewall: str) -> bool:
    """firewalld: on cluster A's master (iptables-nft); firewalld-legacy: on cluster B's
    (iptables-legacy; its reload flushes those tables too, measured)."""
    return firewall in ("firewalld", "firewalld-legacy")


def hosts_for(firewall: str, masters: list[str]) -> list[str]:
    """Which hosts get the variant: both masters, firewalld only one (one bus): the first, or
    the second for firewalld-legacy."""
    if firewall == "firewalld-legacy":
        return masters[1:2]
    return masters[:1] if firewall == "firewalld" else masters


def prepare_etc(etc: Path, firewall: str) -> None:
    """The host's own copy of the manager's configuration (before it starts)."""
    if is_firewalld(firewall):
        shutil.copytree("/etc/firewalld", etc / "firewalld", symlinks=True, dirs_exist_ok=True)
        # what kubeadm's install guide has an operator do on a firewalld master: its API port
        # open (`firewall-cmd --permanent --add-port=6443/tcp`), so the jump host discovers it
        public = Path("/usr/lib/firewalld/zones/public.xml")
        zone = etc / "firewalld" / "zones" / "public.xml"
        if public.exists() and not zone.exists():
            zone.parent.mkdir(parents=True, exist_ok=True)
            text = public.read_text()
            zone.write_text(
                text.replace("</zone>", '  <port protocol="tcp" port="6443"/>\n</zone>')
            )
    elif firewall == "ufw":
        shutil.copytree("/etc/ufw", etc / "ufw", symlinks=True, dirs_exist_ok=True)
        (etc / "default").mkdir(exist_ok=True)
        shutil.copy2("/etc/default/ufw", etc / "default" / "ufw")


def _bus_answers() -> bool:
    if not DBUS_SOCKET.exists():
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1)
        s.connect(str(DBUS_SOCKET))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_firewalld(ns: str, spawn: Callable[[str, list[str]], None], own_bus: bool) -> None:
    """A system bus (unless the lab's own already runs), then firewalld in `ns`; waits until
    `firewall-cmd --state` says running (firewalld then has flushed iptables: start it before
    any rule is loaded)."""
    if not own_bus:
        if _bus_answers():
            raise UserError(
                "lab: --firewall firewalld needs a D-Bus system bus of its own at /run/dbus, and "
                "one already runs there; run the lab in a private mount namespace "
                "(unshare --mount, with a tmpfs on /run/dbus: scripts/test does)"
            )
        DBUS_SOCKET.parent.mkdir(parents=True, exist_ok=True)
        DBUS_SOCKET.unlink(missing_ok=True)
        spawn("dbus-daemon:lab", ["dbus-daemon", "--system", "--nofork", "--nopidfile"])
        _wait(_bus_answers, 10, "the lab's D-Bus system bus did not start")
    spawn(f"firewalld:{ns}", ["ip", "netns", "exec", ns, "firewalld", "--nofork", "--nopid"])
    _wait(
        lambda: _in(ns, "firewall-cmd", "--state", check=False).strip() == "running",
        40,
        f"firewalld in {ns} did not come up",
    )


def _wait(ok: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.2)
    raise UserError(f"lab: {what} within {seconds:.0f} s")


def start(firewall: str, ns: str) -> None:
    """ufw and nftables: their rules on one host (after netui's kube-proxy-style rules)."""
    if firewall == "ufw":
        _in(ns, "ufw", "--force", "enable")
    elif firewall == "nftables":
        _in(ns, "nft", "-f", "-", input=HARDENED)


def kube_proxy_nft(cluster: LabCluster) -> str:
    """cluster's Services as kube-proxy's nftables mode writes them: one verdict map keyed on
    address . protocol . port, a chain per Service and endpoint, DNAT there, masquerade by mark."""
    elems, chains = [], []
    for i, svc in enumerate(cluster.services):
        ep = _endpoint(cluster, svc)
        name = f"service-{i}-{svc.namespace}/{svc.name}/{svc.protocol}/{svc.port_name}"
        epn = f"endpoint-{i}-{svc.namespace}/{svc.name}__{ep}/{svc.target_port}"
        elems.append(f"{svc.cluster_ip} . {svc.protocol} . {svc.port} : goto {name}")
        chains.append(
            f"\tchain {name} {{\n"
            f"\t\tip daddr {svc.cluster_ip} {svc.protocol} dport {svc.port} ip saddr != {cluster.pod_cidr} jump mark-for-masquerade\n"
            f"\t\tnumgen random mod 1 vmap {{ 0 : goto {epn} }}\n\t}}\n"
            f"\tchain {epn} {{\n\t\tip saddr {ep} jump mark-for-masquerade\n"
            f"\t\tmeta l4proto {svc.protocol} dnat to {ep}:{svc.target_port}\n\t}}\n"
        )
    return (
        "table ip kube-proxy {\n"
        '\tcomment "rules for kube-proxy"\n'
        "\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"
        f"\t\telements = {{ {', '.join(elems)} }}\n\t}}\n"
        "\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}\n"
        "\tchain nat-output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}\n"
        "\tchain nat-postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tjump masquerading\n\t}\n"
        "\tchain mark-for-masquerade {\n\t\tmeta mark set meta mark | 0x00004000\n\t}\n"
        "\tchain masquerading {\n\t\tmeta mark & 0x00004000 == 0x00000000 return\n"
        "\t\tmeta mark set meta mark ^ 0x00004000\n\t\tmasquerade fully-random\n\t}\n"
        "\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t}\n"
        + "".join(chains)
        + "}\n"
    )


def _endpoint(cluster: LabCluster, svc: Service) -> str:
    if svc.name == "kubernetes":
        return cluster.master_ip
    return pods_of(cluster)[svc.pod].ip


def load_kube_proxy(mode: str, cluster: LabCluster, node: str) -> None:
    ns = f"{PREFIX}{node}"
    if mode == "nftables":
        _in(ns, "nft", "-f", "-", input=kube_proxy_nft(cluster))
    elif mode == "ipvs":
        # kube-proxy's dummy link holding every ClusterIP (a bridge here: no dummy module)
        _in(ns, "ip", "link", "add", "kube-ipvs0", "type", "bridge")
        for svc in cluster.services:
            _in(ns, "ip", "addr", "add", f"{svc.cluster_ip}/32", "dev", "kube-ipvs0", check=False)

"""kube-proxy-style nat rules (iptables mode) for the lab, as one iptables-restore text.

Chain names, comments and rule order follow what kube-proxy writes, so the doctor and the NAT
view meet the same shapes as on a real node.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

from netaddr import IPAddress, IPNetwork

from netui.lab.topology import LabCluster, Service, pods_of

NODEPORTS_COMMENT = "kubernetes service nodeports; NOTE: this must be the last rule in this chain"


def chain_hash(prefix: str, key: str) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:16]


def _endpoint(cluster: LabCluster, svc: Service) -> str:
    if svc.name == "kubernetes":
        return cluster.master_ip
    return pods_of(cluster)[svc.pod].ip


def synthetic_services(cluster: LabCluster, count: int) -> Iterator[tuple[Service, str]]:
    """`count` extra services with one endpoint each, for scale work (addresses from the top
    half of the service range; endpoints spread over the pod range)."""
    svc_net = IPNetwork(cluster.service_cidr)
    pod_net = IPNetwork(cluster.pod_cidr)
    base = svc_net.first + svc_net.size // 2
    for i in range(count):
        ip = str(IPAddress(base + i))
        pod_ip = str(IPAddress(pod_net.first + 512 + (i % (pod_net.size - 1024))))
        yield Service(f"svc-{i:05d}", "scale", ip, 8080, "tcp", "", 8080, "http"), pod_ip


def rules(cluster: LabCluster, extra_services: int = 0) -> str:
    """The whole kube-proxy nat state for one node of `cluster`, for `iptables-restore --noflush`."""
    chains = ["KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-NODEPORTS"]
    body = [
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]
    services = [(s, _endpoint(cluster, s)) for s in cluster.services]
    services += list(synthetic_services(cluster, extra_services))
    for svc, ep in services:
        key = f"{svc.namespace}/{svc.name}:{svc.port_name}"
        svc_chain = chain_hash("KUBE-SVC-", key + "/" + svc.protocol)
        sep_chain = chain_hash("KUBE-SEP-", key + "/" + svc.protocol + ep)
        chains += [svc_chain, sep_chain]
        p = svc.protocol
        body += [
            f'-A KUBE-SERVICES -d {svc.cluster_ip}/32 -p {p} -m comment --comment "{key} cluster IP" -m {p} --dport {svc.port} -j {svc_chain}',
            f'-A {svc_chain} ! -s {cluster.pod_cidr} -d {svc.cluster_ip}/32 -p {p} -m comment --comment "{key} cluster IP" -m {p} --dport {svc.port} -j KUBE-MARK-MASQ',
            f'-A {svc_chain} -m comment --comment "{key} -> {ep}:{svc.target_port}" -j {sep_chain}',
            f'-A {sep_chain} -s {ep}/32 -m comment --comment "{key}" -j KUBE-MARK-MASQ',
            f'-A {sep_chain} -p {p} -m comment --comment "{key}" -m {p} -j DNAT --to-destination {ep}:{svc.target_port}',
        ]
    body.append(
        f'-A KUBE-SERVICES -m comment --comment "{NODEPORTS_COMMENT}" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'
    )
    if cluster.cni_masquerade:
        # flannel's outgoing NAT: a Pod calling anything outside the Pod range shows up with its
        # node's address (what lets cluster-to-cluster traffic come back the way it went)
        chains.append("FLANNEL-POSTRTG")
        body += [
            '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
            f'-A FLANNEL-POSTRTG -s {cluster.pod_cidr} -d {cluster.pod_cidr} -m comment --comment "flanneld masq" -j RETURN',
            f'-A FLANNEL-POSTRTG -s {cluster.pod_cidr} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
        ]
    return "*nat\n" + "".join(f":{c} - [0:0]\n" for c in chains) + "\n".join(body) + "\nCOMMIT\n"

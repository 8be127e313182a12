"""The kubeconfig on its own: its contexts, and an environment made of them alone — what k9s and
kubectl start from. Read-only: clusters, nodes, CIDRs and DNS need no hosts; everything that
changes or reads a host needs an environment file (`netui init` drafts one).

A kubeconfig is the operator's own file, but it may be huge (embedded certificates) or broken:
it is read with a size cap, and names in it are turned into names the environment file accepts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netui.errors import UserError
from netui.model.envfile import NAME_RE, ClusterSpec, Environment, Office

MAX_BYTES = 8 * 1024 * 1024  # kubeconfigs with embedded certificates run to a few hundred KB


@dataclass(frozen=True)
class KubeContext:
    """One context of a kubeconfig and the name netui gives the cluster it points at."""

    name: str  # the context's own name, as kubectl knows it
    cluster_name: str  # a name the environment file accepts (letters, digits, . _ -)
    server: str | None
    current: bool


def kubeconfig_file(explicit: str | None = None) -> tuple[str, str]:
    """The kubeconfig to read and why: an explicit one, the first of $KUBECONFIG, ~/.kube/config."""
    if explicit:
        return os.path.expanduser(explicit), "--kubeconfig"
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    if first:
        return os.path.expanduser(first), "$KUBECONFIG"
    return os.path.expanduser("~/.kube/config"), "the default ~/.kube/config"


def usable_name(text: str, taken: set[str]) -> str:
    """A cluster or host name from a context or node name: `arn:aws:eks:eu-1:12:cluster/prod`
    becomes `prod`-like text the environment file accepts, unique among `taken`."""
    tail = text.rsplit("/", 1)[-1] or text
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-._")[:56] or "cluster"
    if not base[0].isalnum():
        base = "c" + base
    name, n = base, 2
    while name in taken or not NAME_RE.fullmatch(name):
        name = f"{base}-{n}"
        n += 1
    return name


def read_contexts(path: str) -> list[KubeContext]:
    """Every context of the kubeconfig at `path`, the current one first."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"kubeconfig {path} does not exist: point $KUBECONFIG at yours") from None
    except OSError as e:
        raise UserError(f"kubeconfig {path} cannot be read ({e.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise UserError(f"kubeconfig {path} is over {MAX_BYTES // 2**20} MB; is it a kubeconfig?")
    try:
        doc = yaml.safe_load(raw.decode("utf-8", errors="replace")) or {}
    except yaml.YAMLError as e:
        raise UserError(f"kubeconfig {path} is not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise UserError(f"kubeconfig {path} is not a kubeconfig (no mapping at the top)")
    servers = {
        str(c.get("name")): str((c.get("cluster") or {}).get("server") or "") or None
        for c in _items(doc.get("clusters"))
    }
    current = str(doc.get("current-context") or "")
    out: list[KubeContext] = []
    taken: set[str] = set()
    for item in _items(doc.get("contexts")):
        name = str(item.get("name") or "")
        if not name or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            continue  # an environment file cannot name it (the loader refuses control characters)
        ctx: dict[str, Any] = item["context"] if isinstance(item.get("context"), dict) else {}
        cluster_name = usable_name(name, taken)
        taken.add(cluster_name)
        out.append(
            KubeContext(name, cluster_name, servers.get(str(ctx.get("cluster"))), name == current)
        )
    out.sort(key=lambda c: not c.current)  # stable: the file's order after the current one
    if not out:
        raise UserError(f"kubeconfig {path} has no contexts: kubectl config get-contexts is empty")
    return out


def _items(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def environment_from_kubeconfig(path: str) -> Environment:
    """An environment of the kubeconfig's clusters and nothing else: read-only, no hosts, no
    office. Discovery, `netui clusters` and `netui nodes` work on it; the rest needs hosts."""
    clusters = {
        c.cluster_name: ClusterSpec(name=c.cluster_name, context=c.name)
        for c in read_contexts(path)
    }
    return Environment(
        path=path + KUBECONFIG_ONLY,
        office=Office(cidrs=()),
        hosts={},
        clusters=clusters,
        kubeconfig=path,
        readonly=True,
    )


KUBECONFIG_ONLY = " (kubeconfig only)"


def is_kubeconfig_only(env: Environment) -> bool:
    """An environment made by environment_from_kubeconfig (no file behind it)."""
    return env.path.endswith(KUBECONFIG_ONLY) and not env.hosts


NEEDS_HOSTS = (
    "needs hosts, and there is no environment file: `netui init` drafts one from the kubeconfig "
    "and this host's ssh config and routes (`netui clusters` and `netui nodes` work without it)"
)

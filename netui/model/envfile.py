"""The environment file (contract in docs/environment.md): load, validate every value, and report
every problem at once as `file:line: key: what is wrong — what would be right`.

PyYAML's `safe_load` forgets where a value stood and silently keeps the last of two equal keys,
so the file is composed into nodes first; each value is then read with its line at hand.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from netaddr import AddrFormatError, IPAddress

from netui.model import plain_yaml
from netui.model.networks import KnownNetwork, NetworkMap, has_host_bits, parse_cidr

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
NETNS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[[0-9a-fA-F:]+\]$")


# --- the parsed environment ----------------------------------------------------------------


@dataclass(frozen=True)
class HostAddress:
    """How to reach one host: `local`, `netns://NAME` or `ssh://[user@]host[:port][?sudo=1]`."""

    name: str
    uri: str
    scheme: str
    netns: str | None = None
    user: str | None = None
    hostname: str | None = None
    port: int | None = None
    sudo: bool = False


@dataclass(frozen=True)
class SshSettings:
    config: str | None = None
    known_hosts: str | None = None
    identity: str | None = None
    connect_timeout: float = 5.0


@dataclass(frozen=True)
class Office:
    cidrs: tuple[str, ...]
    router: str | None = None
    probe_from: str | None = None


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster as the environment file gives it; discovery fills what is left out."""

    name: str
    context: str | None = None
    pod_cidrs: tuple[str, ...] = ()
    service_cidrs: tuple[str, ...] = ()
    dns_ip: str | None = None
    domain: str = "cluster.local"
    forwarder: str | None = None
    registry: str | None = None
    # Cluster to cluster (a migration): where this cluster's nodes live, which of them netui may
    # change (routes to other clusters), and which clusters' nodes and Pods may call this one.
    node_cidrs: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    reach_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class DnsSpec:
    host: str
    listen: str | None = None
    conf_dir: str = "/etc/dnsmasq.d"
    reload: str = "systemctl restart dnsmasq"


@dataclass(frozen=True)
class Environment:
    path: str
    office: Office
    hosts: dict[str, HostAddress]
    clusters: dict[str, ClusterSpec]
    ssh: SshSettings = field(default_factory=SshSettings)
    dns: DnsSpec | None = None
    kubeconfig: str | None = None
    readonly: bool = False  # a shared jump host: every write refused, in both faces
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def known_networks(self) -> NetworkMap:
        nets = [KnownNetwork(c, "office") for c in self.office.cidrs]
        for cl in self.clusters.values():
            nets += [KnownNetwork(c, "pods", cl.name) for c in cl.pod_cidrs]
            nets += [KnownNetwork(c, "services", cl.name) for c in cl.service_cidrs]
        return NetworkMap(nets)

    def host(self, name: str) -> HostAddress:
        try:
            return self.hosts[name]
        except KeyError:
            known = ", ".join(sorted(self.hosts)) or "none"
            raise EnvironmentProblem(
                [
                    Problem(
                        self.path,
                        None,
                        "hosts",
                        f"no host named {name!r}",
                        f"one of: {known}",
                    )
                ]
            ) from None

    def clusters_of_host(self, name: str) -> frozenset[str]:
        """The clusters this host is a node of, as far as the file says (forwarder, nodes)."""
        return frozenset(
            c.name for c in self.clusters.values() if name == c.forwarder or name in c.nodes
        )

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


# --- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str
    what: str
    right: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.what} — {self.right}"


class EnvironmentProblem(Exception):
    """One or more problems in an environment file; nothing has been touched."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- YAML with lines ---------------------------------------------------------------------------


class _Value:
    """A YAML value with the line it stood on."""

    __slots__ = ("line", "value")

    def __init__(self, value: Any, line: int) -> None:
        self.value = value
        self.line = line

    def __repr__(self) -> str:
        # a message quoting a list or mapping from the file shows its values as written
        # (`{'x': 1} is a mapping`), never this object
        return repr(self.value)


def _from_node(node: yaml.Node, problems: list[Problem], file: str, path: str) -> _Value:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Value] = {}
        for knode, vnode in node.value:
            key = str(knode.value)
            sub = f"{path}.{key}" if path else key
            if key in out:
                problems.append(
                    Problem(
                        file,
                        knode.start_mark.line + 1,
                        sub,
                        "appears twice",
                        f"keep one (the first is on line {out[key].line})",
                    )
                )
                continue
            v = _from_node(vnode, problems, file, sub)
            v.line = knode.start_mark.line + 1
            out[key] = v
        return _Value(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Value(
            [_from_node(n, problems, file, f"{path}[{i}]") for i, n in enumerate(node.value)],
            line,
        )
    # Scalars: let the safe constructor give bools/ints/None their YAML meaning.
    assert isinstance(node, yaml.ScalarNode)
    return _Value(_scalar(node), line)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


# --- validation --------------------------------------------------------------------------------

TOP_KEYS = {"office", "ssh", "hosts", "clusters", "dns", "kubeconfig", "readonly"}
OFFICE_KEYS = {"cidrs", "router", "probe_from"}
SSH_KEYS = {"config", "known_hosts", "identity", "connect_timeout"}
CLUSTER_KEYS = {
    "context",
    "pod_cidrs",
    "service_cidrs",
    "dns_ip",
    "domain",
    "forwarder",
    "registry",
    "node_cidrs",
    "nodes",
    "reach_from",
}
DNS_KEYS = {"host", "listen", "conf_dir", "reload"}


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def bad(self, v: _Value | None, key: str, what: str, right: str) -> None:
        self.problems.append(Problem(self.file, v.line if v else None, key, what, right))

    def mapping(self, v: _Value | None, key: str, allowed: set[str]) -> dict[str, _Value]:
        if v is None or v.value is None:
            return {}
        if not isinstance(v.value, dict):
            self.bad(v, key, f"is {_kind(v.value)}", "a mapping of keys to values")
            return {}
        for k, sub in v.value.items():
            if k not in allowed:
                near = difflib.get_close_matches(k, sorted(allowed), n=1)
                hint = (
                    f"did you mean {near[0]!r}?"
                    if near
                    else f"known keys: {', '.join(sorted(allowed))}"
                )
                self.bad(sub, f"{key}.{k}" if key else k, "unknown key", hint)
        for k, sub in v.value.items():
            self.lines[f"{key}.{k}" if key else k] = sub.line
        return v.value

    def string(self, v: _Value | None, key: str, *, required: bool = False) -> str | None:
        if v is None or v.value is None:
            if required:
                self.bad(v, key, "is missing", "give a value")
            return None
        if isinstance(v.value, bool) or not isinstance(v.value, str | int | float):
            self.bad(v, key, f"is {_kind(v.value)}", "a string")
            return None
        text = str(v.value)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            # a newline or tab would pass a pattern's `$`, end a config line early, or be
            # dropped silently by urlsplit (turning one namespace name into another)
            self.bad(
                v,
                key,
                f"{text!r} contains a control character (newline, tab, ...)",
                "the value on one line, without control characters",
            )
            return None
        return text

    def cidr_list(self, v: _Value | None, key: str, *, required: bool = False) -> tuple[str, ...]:
        if v is None or v.value is None:
            if required:
                self.bad(v, key, "is missing", "a list of CIDRs such as [10.1.3.0/24]")
            return ()
        items = v.value if isinstance(v.value, list) else [v]
        if isinstance(v.value, list) and not items and required:
            self.bad(v, key, "is empty", "at least one CIDR such as 10.1.3.0/24")
        out = []
        for i, item in enumerate(items):
            k = f"{key}[{i}]" if isinstance(v.value, list) else key
            c = self.cidr(item, k)
            if c:
                out.append(c)
        return tuple(out)

    def cidr(self, v: _Value, key: str) -> str | None:
        if not isinstance(v.value, str):
            self.bad(v, key, f"{v.value!r} is {_kind(v.value)}", "a CIDR such as 10.1.3.0/24")
            return None
        if self.string(v, key) is None:  # control characters
            return None
        text = v.value.strip()
        if "/" not in text:
            self.bad(v, key, f"{text!r} has no prefix length", f"a CIDR such as {text}/24")
            return None
        try:
            net = parse_cidr(text)
        except ValueError:
            self.bad(
                v,
                key,
                f"{text!r} is not a valid IPv4 CIDR",
                "four octets 0-255 and a prefix 0-32, such as 10.1.3.0/24",
            )
            return None
        if has_host_bits(text):
            self.bad(
                v,
                key,
                f"{text} has host bits set",
                f"the network address {net.network}/{net.prefixlen}",
            )
            return None
        return text

    def ip(self, v: _Value | None, key: str) -> str | None:
        s = self.string(v, key)
        if s is None:
            return None
        try:
            ip = IPAddress(s, flags=0)
            if ip.version != 4 or str(ip) != s.strip():
                raise ValueError
        except (AddrFormatError, ValueError):
            self.bad(v, key, f"{s!r} is not an IPv4 address", "an address such as 10.96.0.10")
            return None
        return s.strip()

    def name_list(self, v: _Value | None, key: str) -> list[tuple[str, _Value]]:
        """A list of names (hosts or clusters), each with its value for messages."""
        if v is None or v.value is None:
            return []
        if not isinstance(v.value, list):
            self.bad(
                v,
                key,
                f"is {_kind(v.value)}",
                "a list of names such as [a-master, a-worker]",
            )
            return []
        out = []
        for i, item in enumerate(v.value):
            s = self.string(item, f"{key}[{i}]")
            if s is not None:
                out.append((s, item))
        return out

    def host_ref(self, v: _Value | None, key: str, hosts: dict[str, Any] | None) -> str | None:
        s = self.string(v, key)
        # Without a usable hosts: section every reference would be an error; one message is enough.
        if s is not None and hosts is not None and s not in hosts:
            near = difflib.get_close_matches(s, sorted(hosts), n=1)
            right = (
                f"did you mean {near[0]!r}?"
                if near
                else f"a host named under hosts: ({', '.join(sorted(hosts)) or 'none defined'})"
            )
            self.bad(v, key, f"names host {s!r}, which is not under hosts:", right)
            return None
        return s


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def parse_host_uri(name: str, uri: str) -> HostAddress:
    """Parse one host address; raises ValueError(what, right)."""
    uri = uri.strip()
    if uri == "local":
        return HostAddress(name, uri, "local")
    if "://" not in uri:
        raise ValueError(
            f"{uri!r} is not a host address",
            "local, netns://NAME or ssh://[user@]host[:port][?sudo=1]",
        )
    try:
        parts = urlsplit(uri)
    except ValueError as e:  # "ssh://[x": urlsplit's own refusal (bench/fuzz.py found it)
        raise ValueError(
            f"{uri!r} is not a host address ({e})",
            "local, netns://NAME or ssh://[user@]host[:port][?sudo=1]",
        ) from None
    if parts.scheme == "netns":
        ns = parts.netloc
        if not ns or parts.path not in ("", "/") or not NETNS_RE.fullmatch(ns):
            raise ValueError(
                f"{uri!r} does not name a network namespace",
                "netns://NAME with letters, digits, '.', '_' or '-'",
            )
        return HostAddress(name, uri, "netns", netns=ns)
    if parts.scheme == "ssh":
        if parts.path not in ("", "/"):
            raise ValueError(
                f"{uri!r} has a path",
                "ssh://[user@]host[:port][?sudo=1], nothing after the host",
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(
                f"{uri!r} has a port that is not a number from 1 to 65535",
                "ssh://host:22",
            ) from None
        host = parts.hostname
        if not host or not HOSTNAME_RE.fullmatch(host):
            raise ValueError(
                f"{uri!r} has no valid host",
                "ssh://[user@]host[:port], host a name or IPv4 address",
            )
        user = parts.username
        if user is not None and not re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", user):
            raise ValueError(
                f"{uri!r} has an invalid user name {user!r}",
                "a Unix user name such as root or ops",
            )
        query = parse_qs(parts.query, keep_blank_values=True)
        sudo = False
        for k, vals in query.items():
            if k != "sudo":
                raise ValueError(
                    f"{uri!r} has an unknown option {k!r}", "the only option is ?sudo=1"
                )
            if vals[-1] not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError(f"{uri!r} has sudo={vals[-1]!r}", "sudo=1 or sudo=0")
            sudo = vals[-1] in ("1", "true", "yes")
        if port == 0:
            raise ValueError(f"{uri!r} has port 0", "a port from 1 to 65535")
        return HostAddress(
            name, uri, "ssh", user=user, hostname=host.strip("[]"), port=port, sudo=sudo
        )
    raise ValueError(
        f"{uri!r} uses the scheme {parts.scheme!r}",
        "local, netns://NAME or ssh://[user@]host[:port][?sudo=1]",
    )


def _resolve_path(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    p = Path(os.path.expandvars(os.path.expanduser(value)))
    return str(p if p.is_absolute() else (base / p))


MAX_BYTES = 1024 * 1024  # real environment files are a few KB


def _shape_problem(text: str, file: str) -> Problem | None:
    """Refuse, before anything is built, what YAML allows and an environment never needs:
    anchors and aliases, deep nesting, and tags that name objects (model/plain_yaml)."""
    try:
        plain_yaml.check(text)
    except plain_yaml.Refused as r:
        return Problem(file, r.line, "", r.what, r.fix)
    return None


def _refused(file: str, line: int | None, what: str, right: str) -> EnvironmentProblem:
    return EnvironmentProblem([Problem(file, line, "", what, right)])


def _document(text: str, file: str) -> tuple[_Value, list[Problem]]:
    """The whole file as values with their lines, and the keys that appear twice in it; refused
    as one problem when it is too long, not YAML, empty or not the shape of an environment."""
    if len(text) > MAX_BYTES:
        raise _refused(
            file,
            None,
            f"is {len(text):,} characters long",
            f"an environment file under {MAX_BYTES // 1024} KB (they are a few KB)",
        )
    try:
        shape = _shape_problem(text, file)
        if shape is not None:
            raise EnvironmentProblem([shape])
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise _refused(
            file,
            mark.line + 1 if mark is not None else None,
            f"is not valid YAML ({what})",
            "fix the YAML syntax (indentation, colons, quotes)",
        ) from None
    if node is None:
        raise _refused(
            file,
            None,
            "is empty",
            "an environment with office:, hosts: and clusters: (see docs/environment.md)",
        )
    problems: list[Problem] = []
    try:
        root = _from_node(node, problems, file, "")
    except yaml.YAMLError as e:  # a scalar the safe constructor cannot read
        mark = getattr(e, "problem_mark", None)
        raise _refused(
            file,
            mark.line + 1 if mark is not None else None,
            f"has a value YAML cannot read ({getattr(e, 'problem', None) or e})",
            "plain strings, numbers, lists and mappings",
        ) from None
    return root, problems


def loads(text: str, file: str = "<env>") -> Environment:
    """Validate environment-file text; raise EnvironmentProblem listing every problem."""
    root, twice = _document(text, file)
    c = _Checker(file)
    c.problems.extend(twice)
    if not isinstance(root.value, dict):
        c.bad(
            root,
            "",
            f"is {_kind(root.value)} at the top level",
            "a mapping with office:, hosts: and clusters:",
        )
        raise EnvironmentProblem(c.problems)
    top = c.mapping(root, "", TOP_KEYS)
    base = Path(file).resolve().parent if not file.startswith("<") else Path.cwd()
    # hosts first: everything else refers to them
    hosts, refs = _hosts(c, root, top.get("hosts"))
    office = _office(c, root, top.get("office"), refs)
    ssh = _ssh(c, top.get("ssh"), base)
    clusters = _clusters(c, root, top.get("clusters"), refs)
    dns = _dns(c, top.get("dns"), refs)
    kubeconfig = _resolve_path(base, c.string(top.get("kubeconfig"), "kubeconfig"))
    readonly = _readonly(c, top.get("readonly"))
    if c.problems:
        raise EnvironmentProblem(sorted(c.problems, key=lambda p: p.line or 0))
    return Environment(
        path=file,
        office=office,
        hosts=hosts,
        clusters=clusters,
        ssh=ssh,
        dns=dns,
        kubeconfig=kubeconfig,
        readonly=readonly,
        lines=dict(c.lines),
    )


def _named(
    c: _Checker,
    root: _Value,
    sv: _Value | None,
    section: str,
    missing: tuple[str, str],
    mapping: str,
    name_rule: str,
    empty_is_missing: bool = False,
) -> Iterator[tuple[str, _Value]] | None:
    """A section that maps names to entries (`hosts:`, `clusters:`): its entries whose name is
    usable, each line recorded and a bad name said (with `name_rule`) as the caller reaches it,
    so problems keep the file's order. None (said once) when the section is missing
    (`missing`: what is wrong, what is right) or no mapping."""
    if sv is None or (empty_is_missing and (sv.value is None or sv.value == {})):
        c.bad(sv or root, section, *missing)
        return None
    if not isinstance(sv.value, dict):
        c.bad(sv, section, f"is {_kind(sv.value)}", mapping)
        return None

    def entries(items: dict[str, _Value]) -> Iterator[tuple[str, _Value]]:
        for name, v in items.items():
            key = f"{section}.{name}"
            c.lines[key] = v.line
            if NAME_RE.fullmatch(name):
                yield name, v
            else:
                c.bad(v, key, f"{name!r} is not a usable {section[:-1]} name", name_rule)

    return entries(sv.value)


def _hosts(
    c: _Checker, root: _Value, hv: _Value | None
) -> tuple[dict[str, HostAddress], dict[str, Any] | None]:
    """`hosts:`; and the names other sections may refer to (None: the section is unusable, so
    references are not judged)."""
    hosts: dict[str, HostAddress] = {}
    entries = _named(
        c,
        root,
        hv,
        "hosts",
        (
            "is missing",
            "a mapping of host names to addresses (local, netns://NAME, ssh://user@host)",
        ),
        "a mapping of host names to addresses",
        "letters, digits, '.', '_' and '-', starting with a letter or digit",
    )
    if hv is None or entries is None:
        return hosts, None
    for name, v in entries:
        key = f"hosts.{name}"
        uri = c.string(v, key, required=True)
        if uri is None:
            continue
        try:
            hosts[name] = parse_host_uri(name, uri)
        except ValueError as e:
            what, right = e.args
            c.bad(v, key, what, right)
    return hosts, dict.fromkeys(hv.value, True)


def _office(c: _Checker, root: _Value, ov: _Value | None, refs: dict[str, Any] | None) -> Office:
    if ov is None:
        c.bad(
            root,
            "office",
            "is missing",
            "office: with cidrs: [the office LAN, e.g. 10.1.3.0/24]",
        )
        return Office(cidrs=())
    om = c.mapping(ov, "office", OFFICE_KEYS)
    if not isinstance(ov.value, dict):
        return Office(cidrs=())
    cidrs = c.cidr_list(om.get("cidrs"), "office.cidrs", required="cidrs" in om)
    if "cidrs" not in om:
        c.bad(
            ov,
            "office.cidrs",
            "is missing",
            "a list of office CIDRs such as [10.1.3.0/24]",
        )
    return Office(
        cidrs=cidrs,
        router=c.host_ref(om.get("router"), "office.router", refs),
        probe_from=c.host_ref(om.get("probe_from"), "office.probe_from", refs),
    )


def _ssh(c: _Checker, sv: _Value | None, base: Path) -> SshSettings:
    sm = c.mapping(sv, "ssh", SSH_KEYS)
    timeout = 5.0
    if "connect_timeout" in sm:
        tv = sm["connect_timeout"]
        if (
            isinstance(tv.value, bool)
            or not isinstance(tv.value, int | float)
            or not 0 < tv.value <= 300
        ):
            c.bad(
                tv,
                "ssh.connect_timeout",
                f"{tv.value!r} is not a number of seconds",
                "a number from 0.1 to 300, such as 5",
            )
        else:
            timeout = float(tv.value)
    return SshSettings(
        config=_resolve_path(base, c.string(sm.get("config"), "ssh.config")),
        known_hosts=_resolve_path(base, c.string(sm.get("known_hosts"), "ssh.known_hosts")),
        identity=_resolve_path(base, c.string(sm.get("identity"), "ssh.identity")),
        connect_timeout=timeout,
    )


def _clusters(
    c: _Checker, root: _Value, cv: _Value | None, refs: dict[str, Any] | None
) -> dict[str, ClusterSpec]:
    clusters: dict[str, ClusterSpec] = {}
    entries = _named(
        c,
        root,
        cv,
        "clusters",
        (
            "is missing or empty",
            "at least one cluster, e.g. clusters: {a: {context: dev-a, forwarder: a-master}}",
        ),
        "a mapping of cluster names to their settings",
        "letters, digits, '.', '_' and '-'",
        empty_is_missing=True,
    )
    if cv is None or entries is None:
        return clusters
    for name, v in entries:
        key = f"clusters.{name}"
        if v.value is None:
            v.value = {}
        m = c.mapping(v, key, CLUSTER_KEYS)
        if isinstance(v.value, dict):
            clusters[name] = _cluster(c, name, m, sorted(cv.value), refs)
    return clusters


def _cluster(
    c: _Checker,
    name: str,
    m: dict[str, _Value],
    names: list[str],
    refs: dict[str, Any] | None,
) -> ClusterSpec:
    """One cluster's settings; `names` are every cluster's, for its reach_from."""
    key = f"clusters.{name}"
    pods = c.cidr_list(m.get("pod_cidrs"), f"{key}.pod_cidrs")
    svcs = c.cidr_list(m.get("service_cidrs"), f"{key}.service_cidrs")
    dns_ip = c.ip(m.get("dns_ip"), f"{key}.dns_ip")
    if dns_ip and svcs and not any(IPAddress(dns_ip) in parse_cidr(s) for s in svcs):
        c.bad(
            m.get("dns_ip"),
            f"{key}.dns_ip",
            f"{dns_ip} is outside the service CIDRs {', '.join(svcs)}",
            "the kube-dns Service IP, usually the 10th address of the service CIDR",
        )
    domain = c.string(m.get("domain"), f"{key}.domain") or "cluster.local"
    if not DOMAIN_RE.fullmatch(domain):
        c.bad(
            m.get("domain"),
            f"{key}.domain",
            f"{domain!r} is not a DNS domain",
            "a domain such as cluster.local",
        )
    registry = c.string(m.get("registry"), f"{key}.registry")
    if registry is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", registry):
        c.bad(
            m.get("registry"),
            f"{key}.registry",
            f"{registry!r} is not an http(s) URL",
            "http://10.200.1.2:8761/eureka/apps",
        )
    node_cidrs = c.cidr_list(m.get("node_cidrs"), f"{key}.node_cidrs")
    nodes = tuple(
        h
        for i, (_n, item) in enumerate(c.name_list(m.get("nodes"), f"{key}.nodes"))
        if (h := c.host_ref(item, f"{key}.nodes[{i}]", refs)) is not None
    )
    return ClusterSpec(
        node_cidrs=node_cidrs,
        nodes=nodes,
        reach_from=_reach_from(c, name, m.get("reach_from"), names),
        name=name,
        context=c.string(m.get("context"), f"{key}.context"),
        pod_cidrs=pods,
        service_cidrs=svcs,
        dns_ip=dns_ip,
        domain=domain,
        forwarder=c.host_ref(m.get("forwarder"), f"{key}.forwarder", refs),
        registry=registry,
    )


def _reach_from(c: _Checker, name: str, rv: _Value | None, names: list[str]) -> tuple[str, ...]:
    """The clusters that may reach this one (clusters.NAME.reach_from): other clusters' names."""
    key = f"clusters.{name}.reach_from"
    reach_from = []
    for i, (other, item) in enumerate(c.name_list(rv, key)):
        if other == name:
            c.bad(item, f"{key}[{i}]", "names the cluster itself", "other clusters' names")
        elif other not in names:
            near = difflib.get_close_matches(other, names, n=1)
            c.bad(
                item,
                f"{key}[{i}]",
                f"names cluster {other!r}, which is not under clusters:",
                f"did you mean {near[0]!r}?" if near else f"one of: {', '.join(names)}",
            )
        else:
            reach_from.append(other)
    return tuple(reach_from)


def _dns(c: _Checker, dv: _Value | None, refs: dict[str, Any] | None) -> DnsSpec | None:
    """`dns:` (optional): the host that runs dnsmasq for the office, and how to reload it."""
    if dv is None or dv.value is None:
        return None
    dm = c.mapping(dv, "dns", DNS_KEYS)
    if not isinstance(dv.value, dict):
        return None
    host = c.host_ref(dm.get("host"), "dns.host", refs)
    if "host" not in dm:
        c.bad(
            dv,
            "dns.host",
            "is missing",
            "the host that runs dnsmasq for the office (often a forwarder)",
        )
    listen = c.ip(dm.get("listen"), "dns.listen")
    conf_dir = c.string(dm.get("conf_dir"), "dns.conf_dir") or "/etc/dnsmasq.d"
    if not conf_dir.startswith("/"):
        c.bad(
            dm.get("conf_dir"),
            "dns.conf_dir",
            f"{conf_dir!r} is not an absolute path",
            "/etc/dnsmasq.d",
        )
    reload = c.string(dm.get("reload"), "dns.reload")
    if reload is not None and not reload.strip():
        c.bad(
            dm.get("reload"),
            "dns.reload",
            "is empty",
            "the command that restarts dnsmasq, e.g. systemctl restart dnsmasq (or leave the key out)",
        )
    if not host:
        return None
    return DnsSpec(
        host=host,
        listen=listen,
        conf_dir=conf_dir,
        reload=reload or "systemctl restart dnsmasq",
    )


def _readonly(c: _Checker, rv: _Value | None) -> bool:
    if rv is None or rv.value is None:
        return False
    if not isinstance(rv.value, bool):
        c.bad(rv, "readonly", f"{rv.value!r} is not true or false", "readonly: true")
        return False
    return rv.value


def load(path: str | os.PathLike[str]) -> Environment:
    p = Path(path)

    def refuse(what: str, right: str) -> EnvironmentProblem:
        return EnvironmentProblem([Problem(str(p), None, "", what, right)])

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then says what it is
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise refuse(
            "does not exist",
            "give an environment file with --env FILE (see docs/environment.md), or run `netui lab up`",
        ) from None
    except IsADirectoryError:
        raise refuse("is a directory", "the path of a YAML environment file") from None
    except PermissionError:
        raise refuse("cannot be read (permission denied)", "a file readable by this user") from None
    except OSError as e:
        raise refuse(
            f"cannot be opened ({e.strerror})", "the path of a YAML environment file"
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise refuse(
                "is not a regular file (a FIFO, device or socket)",
                "the path of a YAML environment file",
            )
        if st.st_size > MAX_BYTES:
            raise refuse(
                f"is {st.st_size:,} bytes",
                f"an environment file under {MAX_BYTES // 1024} KB (they are a few KB)",
            )
        raw = os.read(fd, MAX_BYTES + 1)
    except OSError as e:
        raise refuse(f"cannot be read ({e.strerror})", "a readable YAML file") from None
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("is not UTF-8 text", "a YAML text file") from None
    return loads(text, str(p))

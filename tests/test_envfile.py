from __future__ import annotations

import textwrap

import pytest

from netui.model.envfile import EnvironmentProblem, load, loads, parse_host_uri

GOOD = """\
office:
  cidrs: [10.1.3.0/24]
  router: router
  probe_from: office-pc
ssh:
  known_hosts: ./known_hosts
  identity: ~/.ssh/id_ed25519
hosts:
  router: ssh://root@192.168.1.1
  a-master: ssh://root@192.168.1.109:2222
  b-master: ssh://ops@192.168.1.243?sudo=1
  office-pc: netns://lab-office
  jump: local
clusters:
  a:
    context: dev-a
    pod_cidrs: [10.200.0.0/16]
    service_cidrs: [10.96.0.0/12]
    dns_ip: 10.96.0.10
    domain: cluster.local
    forwarder: a-master
  b:
    context: dev-b
    forwarder: b-master
dns:
  host: a-master
  listen: 192.168.1.109
"""


def test_a_good_file_loads_with_every_value(tmp_path):
    p = tmp_path / "env.yaml"
    p.write_text(GOOD)
    env = load(p)
    assert env.office.cidrs == ("10.1.3.0/24",)
    assert env.hosts["a-master"].port == 2222 and env.hosts["a-master"].user == "root"
    assert env.hosts["b-master"].sudo is True
    assert env.hosts["office-pc"].netns == "lab-office"
    assert env.hosts["jump"].scheme == "local"
    assert env.clusters["b"].pod_cidrs == () and env.clusters["b"].domain == "cluster.local"
    assert env.ssh.known_hosts == str(tmp_path / "known_hosts")
    assert env.dns is not None and env.dns.conf_dir == "/etc/dnsmasq.d"
    nets = env.known_networks()
    assert nets.owner("10.200.3.4").label == "cluster a pods"
    assert nets.owner("10.1.3.7").label == "office"


def _replace(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


BAD = [
    # (name, text, expected messages)
    (
        "empty",
        "",
        [
            "x.yaml: is empty — an environment with office:, hosts: and clusters: (see docs/environment.md)"
        ],
    ),
    (
        "not yaml",
        "office: [\n",
        [
            "x.yaml:2: is not valid YAML (expected the node content, but found '<stream end>') — fix the YAML syntax (indentation, colons, quotes)"
        ],
    ),
    (
        "top is a list",
        "- a\n- b\n",
        ["x.yaml:1: is a list at the top level — a mapping with office:, hosts: and clusters:"],
    ),
    (
        "unknown top key",
        _replace("ssh:\n", "sssh: {}\nssh:\n"),
        ["x.yaml:5: sssh: unknown key — did you mean 'ssh'?"],
    ),
    (
        "no office",
        GOOD.replace(
            "office:\n  cidrs: [10.1.3.0/24]\n  router: router\n  probe_from: office-pc\n", ""
        ),
        ["x.yaml:1: office: is missing — office: with cidrs: [the office LAN, e.g. 10.1.3.0/24]"],
    ),
    (
        "office cidrs missing",
        _replace("  cidrs: [10.1.3.0/24]\n", ""),
        ["x.yaml:1: office.cidrs: is missing — a list of office CIDRs such as [10.1.3.0/24]"],
    ),
    (
        "office cidrs empty",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: []"),
        ["x.yaml:2: office.cidrs: is empty — at least one CIDR such as 10.1.3.0/24"],
    ),
    (
        "office cidr typo",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: [10.1.300.0/24]"),
        [
            "x.yaml:2: office.cidrs[0]: '10.1.300.0/24' is not a valid IPv4 CIDR — four octets 0-255 and a prefix 0-32, such as 10.1.3.0/24"
        ],
    ),
    (
        "office host bits",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: [10.1.3.7/24]"),
        [
            "x.yaml:2: office.cidrs[0]: 10.1.3.7/24 has host bits set — the network address 10.1.3.0/24"
        ],
    ),
    (
        "office no prefix",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: [10.1.3.0]"),
        ["x.yaml:2: office.cidrs[0]: '10.1.3.0' has no prefix length — a CIDR such as 10.1.3.0/24"],
    ),
    (
        "office ipv6",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: ['fd00::/64']"),
        [
            "x.yaml:2: office.cidrs[0]: 'fd00::/64' is not a valid IPv4 CIDR — four octets 0-255 and a prefix 0-32, such as 10.1.3.0/24"
        ],
    ),
    (
        "office cidr number",
        _replace("cidrs: [10.1.3.0/24]", "cidrs: [10]"),
        ["x.yaml:2: office.cidrs[0]: 10 is a number — a CIDR such as 10.1.3.0/24"],
    ),
    (
        "router unknown",
        _replace("router: router\n", "router: routr\n"),
        [
            "x.yaml:3: office.router: names host 'routr', which is not under hosts: — did you mean 'router'?"
        ],
    ),
    (
        "probe_from unknown",
        _replace("probe_from: office-pc", "probe_from: laptop"),
        [
            "x.yaml:4: office.probe_from: names host 'laptop', which is not under hosts: — a host named under hosts: (a-master, b-master, jump, office-pc, router)"
        ],
    ),
    (
        "hosts missing",
        "office: {cidrs: [10.1.3.0/24], router: r}\nclusters:\n  a: {forwarder: f}\n",
        [
            "x.yaml:1: hosts: is missing — a mapping of host names to addresses (local, netns://NAME, ssh://user@host)"
        ],
    ),
    (
        "hosts a list",
        "office: {cidrs: [10.1.3.0/24]}\nhosts: [a, b]\nclusters:\n  a: {}\n",
        ["x.yaml:2: hosts: is a list — a mapping of host names to addresses"],
    ),
    (
        "bad scheme",
        _replace("ssh://root@192.168.1.1", "telnet://192.168.1.1"),
        [
            "x.yaml:9: hosts.router: 'telnet://192.168.1.1' uses the scheme 'telnet' — local, netns://NAME or ssh://[user@]host[:port][?sudo=1]"
        ],
    ),
    (
        "not a uri",
        _replace("ssh://root@192.168.1.1", "192.168.1.1"),
        [
            "x.yaml:9: hosts.router: '192.168.1.1' is not a host address — local, netns://NAME or ssh://[user@]host[:port][?sudo=1]"
        ],
    ),
    (
        "bad port",
        _replace("192.168.1.109:2222", "192.168.1.109:99999"),
        [
            "x.yaml:10: hosts.a-master: 'ssh://root@192.168.1.109:99999' has a port that is not a number from 1 to 65535 — ssh://host:22"
        ],
    ),
    (
        # urlsplit's own ValueError (one argument) reached the (what, right) unpacking:
        # found by bench/fuzz.py as an internal error
        "an unclosed bracket",
        _replace("192.168.1.109:2222", "[192.168.1.109:2222"),
        [
            "x.yaml:10: hosts.a-master: 'ssh://root@[192.168.1.109:2222' is not a host address (Invalid IPv6 URL) — local, netns://NAME or ssh://[user@]host[:port][?sudo=1]"
        ],
    ),
    (
        "unknown ssh option",
        _replace("?sudo=1", "?sudo=1&agent=yes"),
        [
            "x.yaml:11: hosts.b-master: 'ssh://ops@192.168.1.243?sudo=1&agent=yes' has an unknown option 'agent' — the only option is ?sudo=1"
        ],
    ),
    (
        "bad sudo value",
        _replace("?sudo=1", "?sudo=maybe"),
        [
            "x.yaml:11: hosts.b-master: 'ssh://ops@192.168.1.243?sudo=maybe' has sudo='maybe' — sudo=1 or sudo=0"
        ],
    ),
    (
        "bad netns",
        _replace("netns://lab-office", "netns://lab office"),
        [
            "x.yaml:12: hosts.office-pc: 'netns://lab office' does not name a network namespace — netns://NAME with letters, digits, '.', '_' or '-'"
        ],
    ),
    (
        "shell in host name",
        _replace("  jump: local\n", "  'jump;rm -rf /': local\n"),
        [
            "x.yaml:13: hosts.jump;rm -rf /: 'jump;rm -rf /' is not a usable host name — letters, digits, '.', '_' and '-', starting with a letter or digit"
        ],
    ),
    (
        "duplicate host",
        _replace("  jump: local\n", "  jump: local\n  jump: netns://x\n"),
        ["x.yaml:14: hosts.jump: appears twice — keep one (the first is on line 13)"],
    ),
    (
        "ssh user with shell",
        _replace("ssh://root@192.168.1.1", "ssh://$(id)@192.168.1.1"),
        [
            "x.yaml:9: hosts.router: 'ssh://$(id)@192.168.1.1' has an invalid user name '$(id)' — a Unix user name such as root or ops"
        ],
    ),
    (
        "no clusters",
        GOOD.split("clusters:")[0] + "clusters: {}\n" + "dns:" + GOOD.split("dns:")[1],
        [
            "x.yaml:14: clusters: is missing or empty — at least one cluster, e.g. clusters: {a: {context: dev-a, forwarder: a-master}}"
        ],
    ),
    (
        "pod cidr host bits",
        _replace("pod_cidrs: [10.200.0.0/16]", "pod_cidrs: [10.200.1.0/16]"),
        [
            "x.yaml:17: clusters.a.pod_cidrs[0]: 10.200.1.0/16 has host bits set — the network address 10.200.0.0/16"
        ],
    ),
    (
        "service cidr as a string",
        _replace("service_cidrs: [10.96.0.0/12]", "service_cidrs: 10.96.0.0/33"),
        [
            "x.yaml:18: clusters.a.service_cidrs: '10.96.0.0/33' is not a valid IPv4 CIDR — four octets 0-255 and a prefix 0-32, such as 10.1.3.0/24"
        ],
    ),
    (
        "dns ip not an ip",
        _replace("dns_ip: 10.96.0.10", "dns_ip: 10.96.0.300"),
        [
            "x.yaml:19: clusters.a.dns_ip: '10.96.0.300' is not an IPv4 address — an address such as 10.96.0.10"
        ],
    ),
    (
        "dns ip outside services",
        _replace("dns_ip: 10.96.0.10", "dns_ip: 10.200.0.10"),
        [
            "x.yaml:19: clusters.a.dns_ip: 10.200.0.10 is outside the service CIDRs 10.96.0.0/12 — the kube-dns Service IP, usually the 10th address of the service CIDR"
        ],
    ),
    (
        "bad domain",
        _replace("domain: cluster.local", "domain: 'cluster local'"),
        [
            "x.yaml:20: clusters.a.domain: 'cluster local' is not a DNS domain — a domain such as cluster.local"
        ],
    ),
    (
        "forwarder unknown",
        _replace("forwarder: a-master", "forwarder: a-mastr"),
        [
            "x.yaml:21: clusters.a.forwarder: names host 'a-mastr', which is not under hosts: — did you mean 'a-master'?"
        ],
    ),
    (
        "cluster unknown key",
        _replace("    context: dev-b\n", "    contxt: dev-b\n"),
        ["x.yaml:23: clusters.b.contxt: unknown key — did you mean 'context'?"],
    ),
    (
        "context a mapping",
        _replace("    context: dev-b\n", "    context: {name: dev-b}\n"),
        ["x.yaml:23: clusters.b.context: is a mapping — a string"],
    ),
    (
        "dns host unknown",
        _replace("  host: a-master\n", "  host: a-mastr\n"),
        [
            "x.yaml:26: dns.host: names host 'a-mastr', which is not under hosts: — did you mean 'a-master'?"
        ],
    ),
    (
        "dns listen bad",
        _replace("listen: 192.168.1.109", "listen: 192.168.1"),
        [
            "x.yaml:27: dns.listen: '192.168.1' is not an IPv4 address — an address such as 10.96.0.10"
        ],
    ),
    (
        "dns conf_dir relative",
        GOOD + "  conf_dir: dnsmasq.d\n",
        ["x.yaml:28: dns.conf_dir: 'dnsmasq.d' is not an absolute path — /etc/dnsmasq.d"],
    ),
    (
        "ssh timeout bad",
        _replace("ssh:\n", "ssh:\n  connect_timeout: forever\n"),
        [
            "x.yaml:6: ssh.connect_timeout: 'forever' is not a number of seconds — a number from 0.1 to 300, such as 5"
        ],
    ),
    (
        "a mapping where a CIDR goes is quoted as written",
        _replace("pod_cidrs: [10.200.0.0/16]", "pod_cidrs: [{x: 1}]"),
        ["x.yaml:17: clusters.a.pod_cidrs[0]: {'x': 1} is a mapping — a CIDR such as 10.1.3.0/24"],
    ),
]


@pytest.mark.parametrize("name, text, expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_environment_file_gets_exactly_these_messages(name, text, expected):
    with pytest.raises(EnvironmentProblem) as e:
        loads(text, "x.yaml")
    assert [str(p) for p in e.value.problems] == expected
    assert e.value.exit_code == 2


def test_every_problem_is_reported_at_once_in_line_order():
    text = textwrap.dedent(
        """\
        office:
          cidrs: [10.1.3.5/24]
        hosts:
          r: ftp://x
        clusters:
          a:
            dns_ip: nope
            forwarder: q
        """
    )
    with pytest.raises(EnvironmentProblem) as e:
        loads(text, "x.yaml")
    assert [p.line for p in e.value.problems] == [2, 4, 7, 8]


def test_a_missing_file_names_the_path_and_the_way_out(tmp_path):
    with pytest.raises(EnvironmentProblem) as e:
        load(tmp_path / "nope.yaml")
    assert (
        str(e.value)
        == f"{tmp_path / 'nope.yaml'}: does not exist — give an environment file with --env FILE (see docs/environment.md), or run `netui lab up`"
    )


def test_host_uris_parse_user_port_and_sudo():
    h = parse_host_uri("x", "ssh://ops@example.net:2200?sudo=1")
    assert (h.user, h.hostname, h.port, h.sudo) == ("ops", "example.net", 2200, True)
    h = parse_host_uri("x", "ssh://alias-from-ssh-config")
    assert (h.user, h.hostname, h.port) == (None, "alias-from-ssh-config", None)


def test_bad_host_and_cluster_names_are_said_in_the_files_order_among_their_values():
    text = (
        "office: {cidrs: [10.1.3.0/24]}\n"
        "hosts: {a: 'bogus://x', Bad!: local, c: 7}\n"
        "clusters: {x: {}, 'B@d': {}, y: 3}\n"
    )
    with pytest.raises(EnvironmentProblem) as e:
        loads(text)
    assert [str(p).split(": ", 2)[1] for p in e.value.problems] == [
        "hosts.a",
        "hosts.Bad!",
        "hosts.c",
        "clusters.B@d",
        "clusters.y",
    ]
    assert "'Bad!' is not a usable host name — letters" in str(e.value.problems[1])
    assert "'B@d' is not a usable cluster name — letters" in str(e.value.problems[3])

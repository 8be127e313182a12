"""A corpus of bad input — environment files with every string field spoiled in every way, the
shapes YAML allows and an environment never needs, and command lines with values out of range.
Each must exit 2 within two seconds with one line per problem naming the file (and line and key
where there is one), no traceback, and nothing written."""

from __future__ import annotations

import os
import time

import pytest
import yaml

from netui.cli import main

BASE = {
    "office": {"cidrs": ["10.1.3.0/24"], "router": "router", "probe_from": "pc"},
    "ssh": {"config": "/etc/ssh/ssh_config", "known_hosts": "/kh", "identity": "/id"},
    "hosts": {
        "router": "local",
        "pc": "netns://nu-pc",
        "a-master": "ssh://ops@192.168.1.109?sudo=1",
    },
    "clusters": {
        "a": {
            "context": "dev-a",
            "pod_cidrs": ["10.200.0.0/16"],
            "service_cidrs": ["10.96.0.0/12"],
            "dns_ip": "10.96.0.10",
            "domain": "cluster.local",
            "forwarder": "a-master",
            "registry": "http://10.200.1.2:8761/eureka/apps",
            "nodes": ["a-master"],
            "node_cidrs": ["192.168.1.0/24"],
        },
        "b": {"forwarder": "a-master", "reach_from": ["a"]},
    },
    "dns": {
        "host": "a-master",
        "listen": "192.168.1.109",
        "conf_dir": "/etc/dnsmasq.d",
        "reload": "systemctl restart dnsmasq",
    },
    "kubeconfig": "/root/.kube/config",
}

# every string-valued field, as a path into BASE
STRING_FIELDS = [
    ("office", "router"),
    ("office", "probe_from"),
    ("ssh", "config"),
    ("ssh", "known_hosts"),
    ("ssh", "identity"),
    ("hosts", "router"),
    ("hosts", "pc"),
    ("hosts", "a-master"),
    ("clusters", "a", "context"),
    ("clusters", "a", "dns_ip"),
    ("clusters", "a", "domain"),
    ("clusters", "a", "forwarder"),
    ("clusters", "a", "registry"),
    ("dns", "host"),
    ("dns", "listen"),
    ("dns", "conf_dir"),
    ("dns", "reload"),
    ("kubeconfig",),
]
LIST_FIELDS = [
    ("office", "cidrs"),
    ("clusters", "a", "pod_cidrs"),
    ("clusters", "a", "service_cidrs"),
    ("clusters", "a", "nodes"),
    ("clusters", "a", "node_cidrs"),
    ("clusters", "b", "reach_from"),
]


def spoiled(path: tuple[str, ...], value: object) -> str:
    import copy

    doc = copy.deepcopy(BASE)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return yaml.safe_dump(doc, sort_keys=False)


def _string_cases() -> list[tuple[str, str, str]]:
    out = []
    for path in STRING_FIELDS:
        key = ".".join(path)
        good = BASE
        for k in path:
            good = good[k]  # type: ignore[index]
        out += [
            (f"{key} ends in a newline", spoiled(path, f"{good}\n"), key),
            (f"{key} holds a newline", spoiled(path, f"{good}\nid"), key),
            (f"{key} holds a tab", spoiled(path, f"x\t{good}"), key),
            (f"{key} is a list", spoiled(path, [good]), key),
            (f"{key} is a mapping", spoiled(path, {"x": good}), key),
            (f"{key} is a boolean", spoiled(path, True), key),
        ]
    for path in LIST_FIELDS:
        key = ".".join(path)
        out += [
            (f"{key} is a mapping", spoiled(path, {"x": 1}), key),
            (f"{key} holds a newline", spoiled(path, ["10.1.3.0/24\n"]), key),
            (f"{key} holds a list", spoiled(path, [["a"]]), key),
        ]
    return out


SHAPES = [
    ("aliases", "a: &a [x, x]\nb: [*a, *a]\n", "anchor or alias"),
    ("python tag", "office: !!python/name:os.system ''\n", "YAML tag"),
    ("object tag", "office: !!python/object/apply:os.system ['true']\n", "YAML tag"),
    ("deep nesting", "a: " + "[" * 40 + "]" * 40 + "\n", "nests deeper"),
    ("not yaml", "office: [unclosed\n", "not valid YAML"),
    ("a list", "- a\n- b\n", "at the top level"),
    ("empty", "", "is empty"),
    ("domain with newline", spoiled(("clusters", "a", "domain"), "cluster.local\n"), "control"),
    ("netns rewritten", spoiled(("hosts", "pc"), "netns://nu-jump\nid"), "control"),
    ("empty reload", spoiled(("dns", "reload"), ""), "is empty"),
    ("reach itself", spoiled(("clusters", "b", "reach_from"), ["b"]), "names the cluster itself"),
    ("reach unknown", spoiled(("clusters", "b", "reach_from"), ["c"]), "not under clusters"),
    ("node unknown", spoiled(("clusters", "a", "nodes"), ["nobody"]), "not under hosts"),
    (
        "readonly text",
        spoiled(("office",), BASE["office"]).replace(
            "kubeconfig:", "readonly: yes please\nkubeconfig:"
        ),
        "not true or false",
    ),
]


def run(tmp_path, argv: list[str], capsys) -> tuple[int, str, float]:
    start = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    took = time.monotonic() - start
    err = capsys.readouterr().err
    return code, err, took


@pytest.fixture(autouse=True)
def _nothing_written(tmp_path, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    yield
    assert not (state / "netui" / "plans").exists() or not list(
        (state / "netui" / "plans").iterdir()
    )


CASES = [(n, t, k) for n, t, k in _string_cases()] + [(n, t, w) for n, t, w in SHAPES]


def test_the_corpus_is_large():
    assert len(CASES) >= 100, len(CASES)


@pytest.mark.parametrize("name, text, expect", CASES, ids=[c[0] for c in CASES])
def test_a_bad_environment_file_is_one_line_per_problem_exit_2(
    tmp_path, capsys, name, text, expect
):
    f = tmp_path / "env.yaml"
    f.write_text(text)
    os.chmod(f, 0o644)
    for argv in (["doctor"], ["apply", "--yes"]):
        code, err, took = run(tmp_path, [*argv, "--env", str(f)], capsys)
        assert code == 2, (name, err)
        assert took < 2, took
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if line.strip()]
        problems = [line for line in lines if not line.startswith("netui: environment ")]
        assert problems and all(line.startswith(f"netui: {f}") for line in problems), err
        assert any(expect in line for line in problems), (expect, err)


BAD_COMMANDS = [
    ["apply", "--confirm-timeout", "nan"],
    ["apply", "--confirm-timeout", "-5"],
    ["apply", "--confirm-timeout", "0"],
    ["apply", "--confirm-timeout", "inf"],
    ["apply", "--position", "0"],
    ["plan", "--position", "x"],
    ["trace", "pc", "10.200.1.3", "--max-hops", "0"],
    ["trace", "pc", "10.200.1.3", "--max-hops", "100000"],
    ["trace", "pc", "10.200.1.3", "--wait", "-1"],
    ["trace", "pc", "10.0.0.0/8"],
    ["trace", "pc", "999.1.1.1"],
    ["walk", "a-master", "10.1.3.0/24", "10.200.1.3"],
    ["walk", "a-master", "10.1.3.10", "10.200.1.3", "--dport", "70000"],
    ["probe", "--timeout", "-1"],
    ["probe", "--target", "10.200.1.3:99999"],
    ["probe", "--target", "example.com"],
    ["undo", "../../../evil", "--yes"],
    ["undo", "p1", "--yes"],
    ["confirm", "../x"],
    ["rule", "delete", "a-master", "POSTROUTING", "2", "--yes"],
    ["rule", "delete", "a-master", "POSTROUTING", "-j RETURN", "--at", "0"],
    ["lab", "up", "--services", "-1"],
    ["lab", "up", "--plan", "nosuch"],
    ["lab", "up", "--extra-hosts", "61"],
    ["trace", "pc", "10.200.1.3", "--tcp", "0"],
    ["trace", "pc", "10.200.1.3", "--count", "0"],
    ["export", "ansible"],
    ["export", "terraform", "/tmp/x"],
    ["show", "nat", "nobody"],
    ["nosuchcommand"],
]


@pytest.mark.parametrize("argv", BAD_COMMANDS, ids=[" ".join(a) for a in BAD_COMMANDS])
def test_a_bad_command_line_is_one_line_exit_2(tmp_path, capsys, argv):
    f = tmp_path / "env.yaml"
    f.write_text(yaml.safe_dump(BASE))
    os.chmod(f, 0o644)
    code, err, took = run(tmp_path, [*argv, "--env", str(f)], capsys)
    assert code == 2, (argv, err)
    assert took < 2
    assert "Traceback" not in err
    problems = [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith("netui: environment ")
    ]
    assert len(problems) == 1, err

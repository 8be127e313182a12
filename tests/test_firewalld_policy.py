"""netui's firewalld policies as a kind of change (plan/kinds/firewalld_policy.py): written in
firewalld's permanent configuration, reloaded after everything else of the host (the reload
flushes iptables), netui's chains put back; undo takes exactly netui's files back."""

from __future__ import annotations

from netui.model.firewall import parse_policy
from netui.model.iptables import parse
from netui.plan.kinds.firewalld_policy import FirewalldPolicies, out_policy, policy_path
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.model import Plan
from netui.plan.render import apply_commands, undo_commands
from netui.plan.restore import RESTORE
from netui.plan.step import HostState, Rollback

OUT = policy_path("netui-office-out")
DNS = policy_path("netui-office-dns")
STEP = FirewalldPolicies(("10.1.3.0/24",), ("10.200.0.0/16", "10.96.0.0/12"), dns=True)


def _live(files: dict[str, str | None]) -> HostState:
    nat = parse("*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n").table("nat")
    return HostState({"nat": nat}, {}, 1, files)


def _host(*steps):
    plan = Plan("p1")
    hp = plan.host("fw")
    hp.steps += list(steps)
    return hp


def test_the_policies_are_written_then_firewalld_reloads_after_netuis_restore():
    cmds = apply_commands(_host(Jump("nat", 1), Masquerade("10.1.3.0/24", "10.200.0.0/16"), STEP),
                          "p1", _live({OUT: None, DNS: None}))  # fmt: skip
    argvs = [c.argv for c in cmds]
    assert argvs[0] == RESTORE
    writes = [c.write[0] for c in cmds if c.write]
    assert writes[-2:] == [OUT, DNS]
    reload_at = argvs.index(("firewall-cmd", "--reload"))
    assert reload_at > argvs.index(RESTORE) and all(
        c.write is None for c in cmds[reload_at:]
    )  # nothing of netui's is written after the reload flushed it but its own chains put back
    assert "restore.sh check" in (cmds[reload_at + 1].shown or "")
    verify = cmds[reload_at + 2]  # an older firewalld (no policies) ignores the files: refused
    assert verify.role == "verify" and verify.argv[-2:] == ("netui-office-out", "netui-office-dns")
    assert "firewalld 0.9" in verify.argv[2]
    policy = parse_policy(OUT, dict(c.write for c in cmds if c.write)[OUT])
    assert policy.ingress == ("ANY",) and policy.egress == ("ANY",)
    assert policy.masquerade_to == ("10.200.0.0/16", "10.96.0.0/12")
    assert 'service name="dns"' in dict(c.write for c in cmds if c.write)[DNS]


def test_policies_already_in_place_change_nothing_and_reload_nothing():
    wanted = STEP.wanted()
    cmds = apply_commands(_host(STEP), "p1", _live(dict(wanted)))
    assert cmds == []


def test_undo_removes_exactly_netuis_files_puts_back_what_was_there_and_reloads():
    earlier = out_policy(("10.1.3.0/24",), ("10.200.0.0/16",))
    found = _live({OUT: earlier, DNS: None})
    live = _live(dict(STEP.wanted()))
    cmds = undo_commands(_host(STEP), "p1", live, found)
    assert [(c.write or (c.remove,))[0] for c in cmds if c.write or c.remove] == [OUT, DNS]
    assert next(c for c in cmds if c.write).write == (OUT, earlier)
    assert next(c for c in cmds if c.remove).remove == DNS
    assert ("firewall-cmd", "--reload") in [c.argv for c in cmds]


def test_undo_leaves_a_policy_someone_rewrote_since():
    live = _live({OUT: "<policy>theirs</policy>\n", DNS: None})
    assert undo_commands(_host(STEP), "p1", live, _live({OUT: None, DNS: None})) == []


def test_the_rollback_removes_only_what_still_reads_as_netuis_then_reloads():
    out = Rollback("p1")
    STEP.rollback(_live({OUT: None, DNS: None}), out)
    text = "\n".join(out.lines)
    assert f"&& rm -f {OUT}" in text and f"&& rm -f {DNS}" in text
    assert "firewall-cmd --reload" in text and "restore.sh check" in text


def test_the_rollback_of_policies_that_were_there_already_reloads_nothing():
    out = Rollback("p1")
    STEP.rollback(_live(dict(STEP.wanted())), out)
    assert out.lines == []  # apply wrote nothing: no reload that would flush the tables


def test_two_fixes_of_one_host_merge_into_one_step():
    forward = FirewalldPolicies(("10.1.3.0/24",), ("10.200.0.0/16",))
    dns = FirewalldPolicies(("10.1.3.0/24",), (), dns=True)
    hp = _host()
    hp.merge_in(forward)
    hp.merge_in(dns)
    assert hp.steps == [FirewalldPolicies(("10.1.3.0/24",), ("10.200.0.0/16",), True)]


def test_a_firewalld_without_policies_is_refused_with_the_reason(tmp_path):
    """firewalld older than 0.9 ignores the policy files: the check after the reload fails the
    host (it is rolled back) and says why, against a stand-in firewall-cmd of such a version."""
    import os
    import subprocess

    from netui.plan.kinds.firewalld_policy import VERIFY

    fake = tmp_path / "firewall-cmd"
    fake.write_text('#!/bin/sh\ncase "$1" in --version) echo 0.8.2;; *) exit 2;; esac\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    done = subprocess.run(["sh", "-c", VERIFY, "v", "netui-office-out"], env=env,
                          capture_output=True, text=True, timeout=10)  # fmt: skip
    assert done.returncode == 6
    assert "did not load policy netui-office-out (0.8.2)" in done.stderr
    assert "firewalld 0.9 or later" in done.stderr

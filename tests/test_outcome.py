"""A failed plan's reason reaches the screen in one line (it was only at the end of a raw
`sh -c` dump in history)."""

from __future__ import annotations

from netui.core.outcome import outcome_line

DUMP = (
    "`sh -c '\\nwhile [ $# -ge 3 ]; do\\n ...' netui-dns-verify kube-dns.kube-system.svc."
    "cluster.local 192.168.1.109 10.43.0.10` exited 5:\n"
    "dnsmasq does not answer kube-dns.kube-system.svc.cluster.local with 10.43.0.10 "
    "(got 'nothing') at 192.168.1.109\n"
)


def test_a_failed_plan_says_the_last_words_of_its_first_failed_step():
    data = {
        "hosts": {
            "router": {"steps": [{"summary": "1 route(s)", "status": "done"}]},
            "a-master": {
                "status": "rolled-back",
                "error": DUMP,
                "steps": [
                    {"summary": "write /etc/dnsmasq.d/netui.conf", "status": "done"},
                    {
                        "summary": "check 1 name(s) resolve through dnsmasq",
                        "status": "failed",
                        "error": DUMP,
                    },
                ],
            },
        }
    }
    line = outcome_line("p1", "failed", data)
    assert line == (
        "plan p1: failed — a-master: check 1 name(s) resolve through dnsmasq: dnsmasq does not "
        "answer kube-dns.kube-system.svc.cluster.local with 10.43.0.10 (got 'nothing') at "
        "192.168.1.109"
    )
    assert "\n" not in line


def test_an_applied_plan_is_just_its_status_and_a_host_error_counts_without_steps():
    assert outcome_line("p1", "applied", {"hosts": {}}) == "plan p1: applied"
    data = {"hosts": {"b-master": {"error": "cannot read the host: timed out", "steps": []}}}
    assert outcome_line("p2", "failed", data) == (
        "plan p2: failed — b-master: cannot read the host: timed out"
    )

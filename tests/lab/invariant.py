"""Helpers for the invariant that keeps the doctor honest (issue 25, item 1): on each lab variant, after
`netui apply --fix-all --yes`, the doctor reports no error if and only if every probe passes —
from the office, and from a node and a Pod of each cluster another lists in `reach_from` — and
every probe that fails has an error finding on its path (its target cluster's forwarder, its
source's node, the office router, or the cluster as a whole)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from netui.backends.local import NetnsBackend
from netui.core.session import Session
from netui.core.verify import probe_plan
from netui.lab.topology import PLANS, LabFiles
from netui.model import envfile
from netui.model.findings import ERROR
from netui.verify.probe import Result, run_probes

from .conftest import netui


@dataclass
class Truth:
    errors: list[dict]  # the doctor's error findings after fix-all
    probes: list[tuple[str, Result]]  # (from where, result)

    def failed(self) -> list[tuple[str, Result]]:
        return [(src, r) for src, r in self.probes if r.ok is False]

    def summary(self) -> str:
        return (
            f"{len(self.errors)} doctor errors ({sorted({e['code'] for e in self.errors})}); "
            f"{len(self.failed())} of {len(self.probes)} probes failed: "
            + "; ".join(
                f"{src} -> {r.target.cluster} {r.target.kind} {r.target.label} ({r.detail})"
                for src, r in self.failed()
            )
        )


def _pod_ns(plan: str, cluster: str) -> str:
    c = next(c for c in PLANS[plan].clusters if c.name == cluster)
    return next(p for p in c.pods if p.kind == "app").netns


def truth(env_file: str, plan: str) -> Truth:
    """The doctor's errors and every probe's result, as the invariant compares them: the
    doctor (the core `netui doctor` runs) and each source's probes side by side, in threads."""
    env = envfile.load(env_file)
    with Session(env) as session, ThreadPoolExecutor(8) as pool:
        doctor = pool.submit(session.diagnose)
        inventory = session.discover()
        runs = []
        office = probe_plan(session, inventory=inventory)
        runs.append(("office", session.hosts[office.source], office.targets))
        for source in sorted({s for c in env.clusters.values() for s in c.reach_from}):
            p = probe_plan(session, from_cluster=source, inventory=inventory)
            runs.append(
                (f"a node of cluster {source} ({p.source})", session.hosts[p.source], p.targets)
            )
            ns = _pod_ns(plan, source)
            runs.append((f"a Pod of cluster {source} ({ns})", NetnsBackend(ns, ns), p.targets))
        done = [(src, pool.submit(run_probes, b, targets)) for src, b, targets in runs]
        probes = [(src, r) for src, fut in done for r in fut.result()]
        errors = [
            {"code": f.code, "host": f.host, "cluster": f.cluster, "title": f.title}
            for f in doctor.result().findings
            if f.severity == ERROR
        ]
    return Truth(errors, probes)


def on_path(env: envfile.Environment, source: str, r: Result, error: dict) -> bool:
    """Does the doctor's `error` lie on the path of the probe `r` from `source`: its target
    cluster's forwarder, the office router, the DNS host for a name, the source cluster's hosts,
    or a finding about the target (or source) cluster as a whole?"""
    target = env.clusters[r.target.cluster]
    froms = [c for c in env.clusters.values() if f"cluster {c.name} " in f"{source} "]
    hosts = {target.forwarder, env.office.router}
    if r.target.kind == "dns" and env.dns is not None and source == "office":
        hosts.add(env.dns.host)
    for c in froms:
        hosts |= {c.forwarder, *c.nodes}
    clusters = {target.name, None, *(c.name for c in froms)}
    if error.get("cluster") not in clusters:
        return False
    return error.get("host") is None or error.get("host") in hosts


def check_invariant(files: LabFiles, plan: str) -> Truth:
    """fix-all, then: no doctor error <=> every probe passes; each failed probe has an error
    finding on its path. Returns what was seen (for the test's own extra asserts)."""
    applied = netui("apply", "--fix-all", "--yes", env_file=files.env)
    assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-2000:]
    seen = truth(files.env, plan)
    assert seen.probes, "nothing was probed"
    env = envfile.load(files.env)
    assert (not seen.errors) == (not seen.failed()), seen.summary()
    unexplained = [
        (src, r)
        for src, r in seen.failed()
        if not any(on_path(env, src, r, e) for e in seen.errors)
    ]
    assert not unexplained, seen.summary()
    return seen

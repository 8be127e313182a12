"""Plans journaled by netui before kinds were steps (format 1: nine named fields per host),
read back as steps so that a plan applied before an upgrade can still be confirmed and undone.
Nothing writes this format any more."""

from __future__ import annotations

from typing import Any

from netui.plan.kinds.dns_drop_in import DnsCheck, DnsDropIn
from netui.plan.kinds.file_edit import FileEdit
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.foreign_move import ForeignMove
from netui.plan.kinds.forward_accept import ForwardAccept
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.forwarding_persisted import PERSIST_FILE, ForwardingPersisted
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.step import Step


def steps_of(h: dict[str, Any]) -> list[Step]:
    """A format-1 host plan's fields as steps, in the order its commands ran."""
    steps: list[Step] = []
    position = int(h.get("jump_position", 1))
    if h.get("masquerade"):
        steps.append(Jump("nat", position))
        steps += [Masquerade(p["source"], p["destination"]) for p in h["masquerade"]]
    steps += [
        ForeignDelete(r["table"], r["chain"], r["rule"], r["position"])
        for r in h.get("delete_rules", [])
    ]
    steps += [
        ForeignMove(r["table"], r["chain"], r["rule"], r["position"], r["to"])
        for r in h.get("move_rules", [])
        if r.get("to") is not None
    ]
    if h.get("forward_accept"):
        steps.append(Jump("filter", position))
        steps += [ForwardAccept(p["source"], p["destination"]) for p in h["forward_accept"]]
    if h.get("forwarding_on"):
        steps.append(ForwardingOn())
    if h.get("persist_forwarding"):
        steps.append(ForwardingPersisted())
    steps += [FileEdit(**f) for f in h.get("file_edits", [])]
    dns = h.get("dns")
    if dns:
        checks = tuple(DnsCheck(**c) for c in dns.get("checks", ()))
        steps.append(DnsDropIn(dns["path"], dns["content"], dns["reload"], checks))
    steps += [RouteChange(**r) for r in h.get("routes", [])]
    return steps


def found_files(pre: dict[str, Any], steps: list[Step]) -> dict[str, str | None]:
    """The files a host had before a change, from its journal record: format 2 keeps them by
    path; format 1 kept the forwarding file and the DNS drop-in under their own names."""
    if isinstance(pre.get("files"), dict):
        return dict(pre["files"])
    files: dict[str, str | None] = {PERSIST_FILE: pre.get("persisted")}
    for s in steps:
        if isinstance(s, DnsDropIn):
            files[s.path] = pre.get("dns_conf")
    return files

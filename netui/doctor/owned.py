"""netui's own chains hold each rule once: a second copy of a rule (two plans wrote it, the
older planner did not see an earlier plan's rule) never matches a packet the first did not
take already. It is a warning with the fix that deletes the extra copy."""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import rule_ref
from netui.model.at_boot import OWNED_CHAINS
from netui.model.findings import WARNING, Change, Finding
from netui.model.owners import untagged
from netui.model.snapshot import TABLES


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for host in inp.snapshots:
        snap = inp.snapshot(host, TABLES)
        if snap is None:
            continue
        for table_name, _builtin, chain_name in OWNED_CHAINS:
            table = snap.nat if table_name == "nat" else snap.filter
            chain = table.chain(chain_name) if table else None
            first: dict[str, int] = {}
            for rule in chain.rules if chain else []:
                key = untagged(rule.text)
                if key not in first:
                    first[key] = rule.position
                    continue
                title = f"{chain_name} #{rule.position} repeats #{first[key]} (`{key}`): the copy never matches a packet the first did not take"
                delete = Change(
                    "rule-delete",
                    host,
                    f"delete the copy {chain_name} #{rule.position} `{rule.text}`",
                    {
                        "table": table_name,
                        "chain": chain_name,
                        "rule": rule.text,
                        "position": str(rule.position),
                    },
                )
                out.append(
                    Finding(
                        "netui-rule-duplicate",
                        WARNING,
                        host,
                        title,
                        (rule_ref(rule), f"first: {chain_name} #{first[key]}"),
                        (delete,),
                        rule=(chain_name, rule.text),
                    )
                )
    return out

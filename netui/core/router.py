"""The office router's routes to every cluster, written in another router's own syntax (Cisco,
Juniper, MikroTik, OpenWrt, Linux): for a router netui does not reach, `netui plan
--router-syntax`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netui.errors import UserError

if TYPE_CHECKING:
    from netui.core.session import Diagnosis


def check_router_syntax(syntax: str | None) -> None:
    """Refused before anything is read: a syntax netui cannot write."""
    from netui.plan.planner import ROUTER_SYNTAX

    if syntax and syntax not in ROUTER_SYNTAX:
        raise UserError(f"--router-syntax {syntax}: one of {', '.join(ROUTER_SYNTAX)}")


def router_routes(diagnosis: Diagnosis, syntax: str) -> list[str]:
    """One command per cluster CIDR whose forwarder's address is known."""
    from netui.plan.planner import router_snippets

    check_router_syntax(syntax)
    return router_snippets(diagnosis.inp, syntax)

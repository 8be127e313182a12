"""The refusals and failures the faces expect and say in one line (a host that does not answer,
a bad request, a plan the planner will not make): what the screens catch, from the core."""

from __future__ import annotations

from netui.backends.base import HostError
from netui.errors import UserError
from netui.plan.model import PlanRefused

EXPECTED = (HostError, UserError, PlanRefused)

__all__ = ["EXPECTED", "HostError", "PlanRefused", "UserError"]

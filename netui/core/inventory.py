"""What discovery found about each cluster, and the map of known networks built from it and the
environment file (which network an address belongs to, the nesting note)."""

from __future__ import annotations

from netui.discovery.model import ClusterInventory, Sourced, network_map

__all__ = ["ClusterInventory", "Sourced", "network_map"]

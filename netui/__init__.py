"""netui: connect an office LAN to Kubernetes clusters, visibly and undoably."""

__version__ = "0.1.0"

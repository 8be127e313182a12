"""Every kind of change netui makes, one module each. Importing this package registers them
(the journal reads steps back by kind name): a new kind is one module here and one line below.
foreign_rule.py is no kind: what the two edits of someone else's rule share."""

from netui.plan.kinds import (  # noqa: F401  (each import registers its kind)
    boot_persisted,
    dns_drop_in,
    file_edit,
    firewalld_policy,
    foreign_delete,
    foreign_move,
    forward_accept,
    forwarding_on,
    forwarding_persisted,
    jump,
    jump_move,
    masquerade,
    nft_accept,
    route,
    ufw_allow,
)

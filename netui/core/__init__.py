"""The UI-free core both faces call (docs/architecture.md): a Session owns the environment, one
set of host connections, discovery and every operation — gather/diagnose, plan, preview, apply,
confirm, undo, history, DNS, rule changes. The CLI (netui/commands) and the TUI (netui/screens)
only parse, render and ask; every refusal lives here, so both faces refuse the same things."""

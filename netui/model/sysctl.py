"""What a host's sysctl files set at boot, in the order systemd-sysctl and `sysctl --system` read them.

The trap this models: `sysctl -p` reads only /etc/sysctl.conf, and a file dropped somewhere that
nothing reads at boot (a name not ending in .conf, a directory not in the list) does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Directories in precedence order: a file name in an earlier one hides the same name in a later one.
SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
SYSCTL_CONF = "/etc/sysctl.conf"


@dataclass(frozen=True)
class SysctlFile:
    path: str
    text: str


@dataclass(frozen=True)
class SysctlSetting:
    key: str
    value: str
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def normalise_key(key: str) -> str:
    return key.strip().lstrip("-").replace("/", ".")


def boot_order(files: list[SysctlFile]) -> list[SysctlFile]:
    """The files that are read at boot, in the order they are read."""
    chosen: dict[str, SysctlFile] = {}
    for d in SYSCTL_DIRS:
        for f in files:
            folder, _, name = f.path.rpartition("/")
            if folder == d and name.endswith(".conf") and name not in chosen:
                chosen[name] = f
    ordered = [chosen[n] for n in sorted(chosen)]
    ordered += [f for f in files if f.path == SYSCTL_CONF]
    return ordered


def settings(files: list[SysctlFile]) -> list[SysctlSetting]:
    out = []
    for f in boot_order(files):
        for no, raw in enumerate(f.text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;" or "=" not in line:
                continue
            k, _, v = line.partition("=")
            out.append(SysctlSetting(normalise_key(k), v.strip(), f.path, no))
    return out


def boot_value(files: list[SysctlFile], key: str) -> SysctlSetting | None:
    """The setting that wins at boot for `key` (the last one read), or None if none sets it."""
    key = normalise_key(key)
    winner = None
    for s in settings(files):
        if s.key == key:
            winner = s
    return winner


def ignored_settings(files: list[SysctlFile], key: str) -> list[SysctlSetting]:
    """Settings of `key` in files that nothing reads at boot (e.g. a name without .conf)."""
    read = {f.path for f in boot_order(files)}
    key = normalise_key(key)
    out = []
    for f in files:
        if f.path in read:
            continue
        for no, raw in enumerate(f.text.splitlines(), 1):
            line = raw.strip()
            if (
                "=" in line
                and not line.startswith(("#", ";"))
                and normalise_key(line.partition("=")[0]) == key
            ):
                out.append(SysctlSetting(key, line.partition("=")[2].strip(), f.path, no))
    return out

"""YAML as data, never as a program: what the environment file and the Kubernetes config maps
netui reads (kubeadm-config, kube-proxy) may hold. Anchors and aliases are refused (a few lines
of them expand to gigabytes: the "billion laughs"), so are tags that name objects and deep
nesting; what is left is plain strings, numbers, lists and mappings. Pure: no I/O."""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 16
PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
} | {"!"}


class Refused(ValueError):
    """The text is not plain YAML data: `line` (1-based, when known), `what`, `fix`."""

    def __init__(self, line: int | None, what: str, fix: str) -> None:
        super().__init__(what if line is None else f"line {line}: {what}")
        self.line, self.what, self.fix = line, what, fix


def check(text: str) -> None:
    """Refused for anchors/aliases, object tags or nesting past MAX_DEPTH; yaml.YAMLError for
    text that is not YAML at all. Reads events only: nothing is built."""
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        line = ev.start_mark.line + 1 if ev.start_mark else None
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            raise Refused(
                line,
                "uses a YAML anchor or alias (&name / *name)",
                "write each value out: netui refuses aliases (a few lines of them can expand to gigabytes)",
            )
        tag = getattr(ev, "tag", None)
        if tag and tag not in PLAIN_TAGS:
            raise Refused(
                line, f"uses the YAML tag {tag!r}", "plain strings, numbers, lists and mappings"
            )
        if isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(
                    line,
                    f"nests deeper than {MAX_DEPTH} levels",
                    "an environment file is three or four levels deep (see docs/environment.md)",
                )
        elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def load(text: str, max_bytes: int = 1024 * 1024) -> Any:
    """Plain YAML data from `text`; ValueError (Refused, or yaml.YAMLError's text) otherwise."""
    if len(text) > max_bytes:
        raise Refused(None, f"is {len(text):,} characters long (at most {max_bytes:,})", "")
    try:
        check(text)
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"not valid YAML: {str(e).splitlines()[0][:200]}") from None

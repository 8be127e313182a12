"""Native nftables rule sets as `nft -j list ruleset` / `nft -j list table` print them
(libnftables-json(5)). Pure: parsing and a compact text form of each rule for evidence.

Only what netui reasons about is modelled (tables, chains with their hook and priority, rules
with their handle, counter and comment, named sets with their elements); each rule keeps its raw
expression list, which the packet walk (doctor/nftwalk.py) reads. Output from hosts is hostile:
anything of an unexpected shape is skipped with a note, never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# The tables iptables-nft creates (and reads back through `iptables-save`): same names as
# the legacy xtables, in the ip/ip6 families.
XTABLES = ("filter", "nat", "mangle", "raw", "security")
# Named priorities of nft(8) (ip/ip6/inet families), for display and for parsing "dstnat + 10"
PRIORITY_NAMES = {
    "raw": -300,
    "mangle": -150,
    "dstnat": -100,
    "filter": 0,
    "security": 50,
    "srcnat": 100,
}


class NftParseError(ValueError):
    pass


@dataclass(frozen=True)
class NftRule:
    family: str
    table: str
    chain: str
    handle: int
    expr: tuple[Any, ...]
    comment: str | None = None

    @property
    def counter(self) -> tuple[int, int] | None:
        for e in self.expr:
            if isinstance(e, dict) and isinstance(e.get("counter"), dict):
                c = e["counter"]
                return int(c.get("packets", 0) or 0), int(c.get("bytes", 0) or 0)
        return None

    @property
    def packets(self) -> int:
        c = self.counter
        return c[0] if c else 0

    @property
    def text(self) -> str:
        return rule_text(self.expr) + (f' comment "{self.comment}"' if self.comment else "")

    @property
    def uses_xt(self) -> bool:
        """An iptables-nft extension (`xt`): nft itself cannot say what it matches."""
        return any(isinstance(e, dict) and "xt" in e for e in self.expr)

    def ref(self) -> str:
        """How evidence names the rule: table, chain and handle, as `nft -a` shows them."""
        return f"table {self.family} {self.table} chain {self.chain} handle {self.handle}"


@dataclass
class NftChain:
    family: str
    table: str
    name: str
    handle: int = 0
    type: str | None = None
    hook: str | None = None
    prio: int | None = None
    policy: str | None = None
    rules: list[NftRule] = field(default_factory=list)

    @property
    def base(self) -> bool:
        return self.hook is not None


@dataclass
class NftSet:
    family: str
    table: str
    name: str
    type: str | list[str]
    elements: tuple[Any, ...] = ()
    is_map: bool = False


@dataclass
class NftTable:
    family: str
    name: str
    handle: int = 0
    chains: dict[str, NftChain] = field(default_factory=dict)
    sets: dict[str, NftSet] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.family} {self.name}"

    @property
    def rule_count(self) -> int:
        return sum(len(c.rules) for c in self.chains.values())

    def base_chains(self) -> list[NftChain]:
        return [c for c in self.chains.values() if c.base]

    @property
    def xtables_like(self) -> bool:
        """Named and shaped like a table iptables-nft manages (ip/ip6 family, xtables name)."""
        return self.family in ("ip", "ip6") and self.name in XTABLES


@dataclass
class NftRuleset:
    tables: dict[str, NftTable] = field(default_factory=dict)  # "family name" -> table
    version: str | None = None
    notes: list[str] = field(default_factory=list)

    def table(self, family: str, name: str) -> NftTable | None:
        return self.tables.get(f"{family} {name}")

    def base_chains(self, hook: str | None = None) -> list[NftChain]:
        out = [c for t in self.tables.values() for c in t.base_chains()]
        return [c for c in out if hook is None or c.hook == hook]

    @property
    def rule_count(self) -> int:
        return sum(t.rule_count for t in self.tables.values())


def _priority(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        # "dstnat + 10" in text output; JSON gives numbers, but be lenient
        name, _, rest = value.partition(" ")
        base = PRIORITY_NAMES.get(name)
        if base is None:
            try:
                return int(value)
            except ValueError:
                return None
        rest = rest.replace(" ", "")
        try:
            return base + (int(rest) if rest else 0)
        except ValueError:
            return None
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def parse_documents(texts: Iterable[str]) -> NftRuleset:
    """Several `nft -j list table …` outputs (or one `list ruleset`) as one rule set."""
    rs = NftRuleset()
    for text in texts:
        _merge(rs, text)
    return rs


def parse_ruleset(text: str) -> NftRuleset:
    return parse_documents([text])


def _merge(rs: NftRuleset, text: str) -> None:
    if not text.strip():
        return
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise NftParseError(f"nft -j output is not JSON: {e}") from None
    items = doc.get("nftables") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise NftParseError("nft -j output has no `nftables` list")
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            continue
        ((kind, body),) = item.items()
        if not isinstance(body, dict):
            continue
        try:
            _add(rs, kind, body)
        except (TypeError, ValueError, KeyError) as e:
            rs.notes.append(f"skipped a {kind} nft could not describe plainly: {e}")


def _table_of(rs: NftRuleset, body: dict[str, Any]) -> NftTable:
    family, name = _str(body["family"]), _str(body["table"] if "table" in body else body["name"])
    key = f"{family} {name}"
    if key not in rs.tables:
        rs.tables[key] = NftTable(family, name)
    return rs.tables[key]


def _add(rs: NftRuleset, kind: str, body: dict[str, Any]) -> None:
    if kind == "metainfo":
        rs.version = _str(body.get("version", "")) or None
    elif kind == "table":
        t = _table_of(rs, body)
        t.handle = int(body.get("handle", 0))
    elif kind == "chain":
        t = _table_of(rs, body)
        name = _str(body["name"])
        chain = t.chains.get(name) or NftChain(t.family, t.name, name)
        chain.handle = int(body.get("handle", 0))
        if "hook" in body:
            chain.type = _str(body.get("type", "filter"))
            chain.hook = _str(body["hook"])
            chain.prio = _priority(body.get("prio", 0))
            chain.policy = _str(body.get("policy", "accept"))
        t.chains[name] = chain
    elif kind == "rule":
        t = _table_of(rs, body)
        name = _str(body["chain"])
        chain = t.chains.setdefault(name, NftChain(t.family, t.name, name))
        expr = body.get("expr", [])
        comment = body.get("comment")
        chain.rules.append(
            NftRule(
                t.family,
                t.name,
                name,
                int(body.get("handle", 0)),
                tuple(expr) if isinstance(expr, list) else (),
                _str(comment) if comment is not None else None,
            )
        )
    elif kind in ("set", "map"):
        t = _table_of(rs, body)
        elem = body.get("elem", [])
        t.sets[_str(body["name"])] = NftSet(
            t.family,
            t.name,
            _str(body["name"]),
            body.get("type", ""),
            tuple(elem) if isinstance(elem, list) else (),
            kind == "map",
        )


# --- text form (evidence lines, the firewall view) -------------------------------------------


def value_text(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return ", ".join(value_text(x) for x in v)
    if isinstance(v, dict):
        if "prefix" in v and isinstance(v["prefix"], dict):
            return f"{value_text(v['prefix'].get('addr'))}/{v['prefix'].get('len')}"
        if "range" in v and isinstance(v["range"], list) and len(v["range"]) == 2:
            return f"{value_text(v['range'][0])}-{value_text(v['range'][1])}"
        if "set" in v:
            items = v["set"] if isinstance(v["set"], list) else [v["set"]]
            return "{ " + ", ".join(value_text(x) for x in items) + " }"
        if "payload" in v and isinstance(v["payload"], dict):
            p = v["payload"]
            if "protocol" in p:
                return f"{p.get('protocol')} {p.get('field')}"
            return f"@{p.get('base')},{p.get('offset')},{p.get('len')}"
        if "meta" in v and isinstance(v["meta"], dict):
            return f"meta {v['meta'].get('key')}"
        if "ct" in v and isinstance(v["ct"], dict):
            return f"ct {v['ct'].get('key')}"
        if "concat" in v and isinstance(v["concat"], list):
            return " . ".join(value_text(x) for x in v["concat"])
        if "elem" in v and isinstance(v["elem"], dict):
            return value_text(v["elem"].get("val"))
        if "fib" in v and isinstance(v["fib"], dict):
            return f"fib {value_text(v['fib'].get('flags'))} {v['fib'].get('result')}"
        if "numgen" in v and isinstance(v["numgen"], dict):
            return f"numgen {v['numgen'].get('mode')} mod {v['numgen'].get('mod')}"
        if "map" in v and isinstance(v["map"], dict):
            return f"{value_text(v['map'].get('key'))} map {value_text(v['map'].get('data'))}"
        if len(v) == 1 and next(iter(v)) in ("&", "|", "^", "<<", ">>"):
            ((op, args),) = v.items()
            if isinstance(args, list) and len(args) == 2:
                right = hex(args[1]) if isinstance(args[1], int) else value_text(args[1])
                return f"{value_text(args[0])} {op} {right}"
        if len(v) == 1 and next(iter(v)) in ("jump", "goto") and isinstance(v[next(iter(v))], dict):
            ((k, inner),) = v.items()
            return f"{k} {inner.get('target')}"
        if len(v) == 1:
            ((k, inner),) = v.items()
            return f"{k} {value_text(inner)}" if inner is not None else k
    return json.dumps(v, separators=(",", ":"))[:120]


def _pairs(v: Any) -> str:
    """A vmap's or map's literal as nft prints it: `{ k : v, ... }`."""
    if isinstance(v, dict) and isinstance(v.get("set"), list):
        parts = []
        for item in v["set"]:
            if isinstance(item, list) and len(item) == 2:
                parts.append(f"{value_text(item[0])} : {value_text(item[1])}")
            else:
                parts.append(value_text(item))
        return "{ " + ", ".join(parts) + " }"
    return value_text(v)


def statement_text(s: Any) -> str:
    if not isinstance(s, dict) or len(s) != 1:
        return value_text(s)
    ((k, v),) = s.items()
    if k == "match" and isinstance(v, dict):
        op = v.get("op", "==")
        left, right = value_text(v.get("left")), value_text(v.get("right"))
        return f"{left} {right}" if op in ("==", "in") else f"{left} {op} {right}"
    if k in ("accept", "drop", "return", "continue"):
        return k
    if k in ("jump", "goto") and isinstance(v, dict):
        return f"{k} {v.get('target')}"
    if k == "counter":
        return (
            "counter"
            if not isinstance(v, dict)
            else (f"counter packets {v.get('packets', 0)} bytes {v.get('bytes', 0)}")
        )
    if k == "reject":
        if isinstance(v, dict) and v.get("expr"):
            return f"reject with {v.get('type', 'icmp')} {v['expr']}"
        return "reject"
    if k in ("snat", "dnat", "masquerade", "redirect"):
        if isinstance(v, dict) and "addr" in v:
            port = f":{value_text(v['port'])}" if "port" in v else ""
            return f"{k} to {value_text(v['addr'])}{port}"
        return k
    if k == "vmap" and isinstance(v, dict):
        return f"{value_text(v.get('key'))} vmap {_pairs(v.get('data'))}"
    if k == "xt" and isinstance(v, dict):
        return f"xt {v.get('type')} {v.get('name')}"
    if k == "log":
        return "log" + (
            f' prefix "{v.get("prefix")}"' if isinstance(v, dict) and v.get("prefix") else ""
        )
    if k == "mangle" and isinstance(v, dict):
        return f"{value_text(v.get('key'))} set {value_text(v.get('value'))}"
    return f"{k} {value_text(v)}" if v is not None else k


def rule_text(expr: Iterable[Any]) -> str:
    return " ".join(statement_text(s) for s in expr)


def chain_rules(rs: NftRuleset) -> Iterator[NftRule]:
    for t in rs.tables.values():
        for c in t.chains.values():
            yield from c.rules

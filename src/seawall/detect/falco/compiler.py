"""Compiling loaded rules into Python code, once, for one event source.

Every condition (macros and lists expanded, exceptions added) becomes one generated
Python function over a per-event field cache: `c[slot]` extracts a field the first time a
rule asks for it and is a plain dict hit afterwards, so each field is extracted at most
once per event however many rules read it. Rules are also indexed by the equality
constraints every matching event must meet (e.g. `ka.verb`, `ka.target.resource`,
`evt.type`), so most rules are never evaluated for most events.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import re2  # type: ignore[import-untyped]

from seawall.detect.falco.grammar import ConditionSyntaxError, parse_condition, split_field
from seawall.detect.falco.rules import Exception_, RuleDef, RuleProblem, RuleSet
from seawall.detect.sources.base import MISSING, EventSource, FieldDef

NUMERIC_TYPES = {
    "uint64",
    "int64",
    "uint32",
    "int32",
    "uint16",
    "int16",
    "uint8",
    "int8",
    "port",
    "abstime",
    "reltime",
    "double",
    "errno",
    "fd",
    "pid",
}
LIST_OPS = {"in", "intersects", "pmatch"}
SCALAR_OPS = {
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
}
INDEX_CACHE_LIMIT = 65536
# Hostile rules files: macros that use a macro twice, or lists of lists, grow exponentially
# when expanded. Upstream's largest rule expands to a few thousand terms.
MAX_CONDITION_TERMS = 200_000
MAX_LIST_ITEMS = 1_000_000


class CompileError(ValueError):
    """A condition or output that names something unknown or is ill-typed."""


class FieldCache(dict[int, Any]):
    """Per-event field values by slot; extracts on first access (see compile_rules)."""

    __slots__ = ("event",)
    event: dict[str, Any]
    extracts: tuple[Callable[[dict[str, Any], str | None], Any], ...] = ()
    args: tuple[str | None, ...] = ()
    posts: tuple[Callable[[Any], Any] | None, ...] = ()

    def __missing__(self, slot: int) -> Any:
        try:
            value = self.extracts[slot](self.event, self.args[slot])
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError):
            value = MISSING
        if value is None:
            value = MISSING
        post = self.posts[slot]
        if post is not None:
            value = post(value)
        self[slot] = value
        return value


@dataclass
class CompiledRule:
    """One enabled rule, ready to run: `match(cache)` and `format_output(cache)`."""

    name: str
    priority: str
    source: str
    tags: list[str]
    desc: str
    file: str
    line: int
    order: int
    match: Callable[[FieldCache], bool]
    format_output: Callable[[FieldCache], str]
    constraints: dict[int, frozenset[Any]] = field(default_factory=dict)
    tag_tuple: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.tag_tuple = tuple(self.tags)


@dataclass
class Program:
    """The compiled rules of one source, with the field slots and the rule index."""

    source: EventSource
    rules: list[CompiledRule]
    problems: list[RuleProblem]
    cache_class: type[FieldCache]
    slot_names: list[str]
    index_slots: tuple[int, ...]
    num_slot: int | None = None  # evt.num, filled in by the engine (event number)
    index_key: Callable[[FieldCache], Any] = lambda cache: ()
    trees: list[Any] = field(default_factory=list)
    compiler: Any = None
    namespace: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[Any, ...], tuple[CompiledRule, ...]] = field(default_factory=dict)
    _groups: dict[bool, dict[Any, Callable[[FieldCache], Any]]] = field(
        default_factory=lambda: {True: {}, False: {}}
    )

    def matching(self, cache: FieldCache, first: bool) -> Any:
        """The rules this event matches (at most one when `first`), in load order.

        Rules are grouped by the values of the indexed fields; each group is compiled once
        into straight-line code with every comparison on an indexed field already decided.
        """
        try:
            key: Any = self.index_key(cache)
            hash(key)
        except TypeError:  # an unhashable value in an indexed field: the generic group
            key = None
        return self.group_for(key, first)(cache)

    def _build_group(self, key: Any, first: bool) -> Callable[[FieldCache], Any]:
        comp: _Compiler = self.compiler
        known = dict(zip(self.index_slots, key, strict=True)) if key is not None else {}
        lines = ["def g(c):"]
        if not first:
            lines.append("    out = []")
        namespace = self.namespace
        reduced_trees = [(i, _partial(t, known, comp, namespace)) for i, t in enumerate(self.trees)]
        lines.append("    ev = c.event")
        comp.local = {}
        skip = set(self.index_slots)
        for i, reduced in reduced_trees:
            if reduced[0] == "false":
                continue
            # pre-extract, in straight-line code, the plain JSON fields this rule reads,
            # just before the first rule that needs them
            used: set[int] = set()
            _slots_of(reduced, comp, used)
            for slot in sorted(used - skip):
                skip.add(slot)
                prefetch = _prefetch_lines(comp, slot)
                if prefetch:
                    lines.extend(prefetch)
                    comp.local[slot] = f"f{slot}"
            code = comp.gen(reduced)
            namespace.update(comp.consts)
            if first:
                lines.append(f"    if {code}:\n        return (R[{i}],)")
            else:
                lines.append(f"    if {code}:\n        out.append(R[{i}])")
        lines.append("    return ()" if first else "    return out")
        comp.local = {}
        scope = dict(namespace)
        scope["R"] = self.rules
        scope["_text"] = _plain_text
        exec(compile("\n".join(lines) + "\n", f"<group:{self.source.name}>", "exec"), scope)
        group: Callable[[FieldCache], Any] = scope["g"]
        return group

    def new_cache(self, event: dict[str, Any]) -> FieldCache:
        cache = self.cache_class()
        cache.event = event
        return cache

    def dispatcher(self, first: bool) -> Callable[[FieldCache], Any]:
        """One function per event: index key, group lookup (compiling on a miss), match."""
        groups: dict[Any, Callable[[FieldCache], Any]] = {}

        def build(key: Any) -> Callable[[FieldCache], Any]:
            if len(groups) >= INDEX_CACHE_LIMIT:
                groups.clear()
            group = groups[key] = self.group_for(key, first)
            return group

        return _key_function(self.index_slots, self.compiler, {"groups": groups, "build": build})

    def group_for(self, key: Any, first: bool) -> Callable[[FieldCache], Any]:
        """The compiled group for an index key (built on first use, then cached)."""
        groups = self._groups[first]
        group = groups.get(key)
        if group is None:
            group = self._build_group(key, first)
            if len(groups) >= INDEX_CACHE_LIMIT:
                groups.clear()
            groups[key] = group
        return group

    def candidates(self, cache: FieldCache) -> tuple[CompiledRule, ...]:
        """The rules whose indexed constraints this event meets, in load order."""
        try:
            key = self.index_key(cache)
            found = self._index.get(key)
        except TypeError:  # an unhashable value in an indexed field: no shortcut
            return tuple(self.rules)
        if found is None:
            found = tuple(
                rule
                for rule in self.rules
                if all(
                    slot not in rule.constraints or value in rule.constraints[slot]
                    for slot, value in zip(self.index_slots, key, strict=True)
                )
            )
            if len(self._index) >= INDEX_CACHE_LIMIT:
                self._index.clear()
            self._index[key] = found
        return found


def _partial(node: Any, known: dict[int, Any], comp: _Compiler, namespace: dict[str, Any]) -> Any:
    """`node` with every comparison on a field of known value replaced by its result."""
    kind = node[0]
    if kind in ("and", "or"):
        parts = []
        for child in node[1]:
            reduced = _partial(child, known, comp, namespace)
            if reduced[0] == ("true" if kind == "and" else "false"):
                continue
            if reduced[0] == ("false" if kind == "and" else "true"):
                return reduced
            parts.append(reduced)
        if not parts:
            return ("true",) if kind == "and" else ("false",)
        return parts[0] if len(parts) == 1 else (kind, parts)
    if kind == "not":
        inner = _partial(node[1], known, comp, namespace)
        if inner[0] in ("true", "false"):
            return ("false",) if inner[0] == "true" else ("true",)
        return ("not", inner)
    if kind == "cmp" and known:
        slot, _, _ = comp.slot(node[1], node[2])
        if slot in known:
            code = comp.gen_cmp(node)
            namespace.update(comp.consts)
            value = eval(code, {**namespace, "c": {slot: known[slot]}})
            return ("true",) if value else ("false",)
    return node


def resolve_field(fields: dict[str, FieldDef], name: str) -> tuple[FieldDef, str | None] | None:
    """The FieldDef for `name`, handling `evt.arg.NAME` style dynamic fields."""
    found = fields.get(name)
    if found is not None:
        return found, None
    for prefix in ("evt.arg.", "evt.rawarg.", "jevt.value.", "json.value."):
        if name.startswith(prefix):
            base = fields.get(prefix[:-1])
            if base is not None:
                return base, name[len(prefix) :]
    return None


def _to_text(value: Any) -> str:
    if value is MISSING or value is None:
        return "<NA>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "(" + ",".join(_to_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# helpers referenced by generated code
def _h_pmatch(value: Any, prefixes: tuple[str, ...]) -> bool:
    if not isinstance(value, str):
        return False
    for prefix in prefixes:
        base = prefix.rstrip("/")
        if value == base or value.startswith(base + "/") or (base == "" and value.startswith("/")):
            return True
    return False


def _h_regex(regex: Any, text: str) -> bool:
    try:
        return regex.fullmatch(text) is not None
    except UnicodeEncodeError:  # a lone surrogate: RE2 takes UTF-8 only
        return regex.fullmatch(text.encode("utf-8", "replace").decode("utf-8")) is not None


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would log a syntax error to stderr itself
    return options


_RE2_OPTIONS = _re2_options()


def _re2_reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def _h_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return None


def _h_nets(value: Any, nets: tuple[Any, ...]) -> bool:
    if value is MISSING:
        return False
    try:
        addr = ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return any(addr in net for net in nets)


def _h_subset(value: Any, members: frozenset[Any]) -> bool:
    return value is not MISSING and len(value) > 0 and all(v in members for v in value)


def _h_intersects(value: Any, members: frozenset[Any]) -> bool:
    return value is not MISSING and any(v in members for v in value)


_HELPERS: dict[str, Any] = {
    "M": MISSING,
    "_pmatch": _h_pmatch,
    "_regex": _h_regex,
    "_bytes": _h_bytes,
    "_nets": _h_nets,
    "_subset": _h_subset,
    "_inter": _h_intersects,
}


class _Compiler:
    def __init__(self, ruleset: RuleSet, source: EventSource) -> None:
        self.ruleset = ruleset
        self.source = source
        self.slots: dict[tuple[str, str | None], int] = {}
        self.slot_names: list[str] = []
        self.extracts: list[Callable[[dict[str, Any], str | None], Any]] = []
        self.args: list[str | None] = []
        self.posts: list[Callable[[Any], Any] | None] = []
        self.slot_info: list[tuple[FieldDef, str | None]] = []
        self.consts: dict[str, Any] = {}
        self._const_ids: dict[Any, str] = {}
        self._list_cache: dict[str, tuple[str, ...]] = {}
        self.terms = 0  # nodes expanded for the current rule (reset per rule)
        self._macro_cache: dict[str, Any] = {}
        self.used_macros: set[str] = set()  # macros some compiled rule expanded
        self.local: dict[int, str] = {}  # slots held in local variables by generated code

    # ---- names -------------------------------------------------------------
    def const(self, value: Any) -> str:
        key = (type(value).__name__, value) if _hashable(value) else None
        if key is not None and key in self._const_ids:
            return self._const_ids[key]
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        if key is not None:
            self._const_ids[key] = name
        return name

    def slot(self, name: str, arg: str | None) -> tuple[int, FieldDef, str | None]:
        resolved = resolve_field(self.source.fields, name)
        if resolved is None:
            raise CompileError(f"unknown field {name} for source {self.source.name}")
        fdef, implied = resolved
        if implied is not None:
            if arg is not None:
                raise CompileError(f"field {name} does not take an argument")
            arg = implied
        if arg is None and fdef.arg == "required":
            raise CompileError(f"field {name} needs an argument ({name}[...])")
        if arg is not None and fdef.arg == "none":
            raise CompileError(f"field {name} does not take an argument")
        key = (fdef.name, arg)
        if key not in self.slots:
            self.slots[key] = len(self.slot_names)
            self.slot_names.append(fdef.name if arg is None else f"{fdef.name}[{arg}]")
            self.extracts.append(fdef.extract)
            self.args.append(arg)
            self.posts.append(_to_number if fdef.type in NUMERIC_TYPES else None)
            self.slot_info.append((fdef, arg))
        return self.slots[key], fdef, arg

    # ---- lists and macros ----------------------------------------------------
    def expand_list(self, name: str, stack: tuple[str, ...] = ()) -> tuple[str, ...]:
        if name in self._list_cache:
            return self._list_cache[name]
        if name in stack:
            raise CompileError(f"list {name} refers to itself")
        items: list[str] = []
        for item in self.ruleset.lists[name].items:
            if item in self.ruleset.lists and item != name:
                items.extend(self.expand_list(item, (*stack, name)))
            else:
                items.append(_unquote_item(item))
            if len(items) > MAX_LIST_ITEMS:
                raise CompileError(f"list {name} expands to more than {MAX_LIST_ITEMS} items")
        result = tuple(items)
        self._list_cache[name] = result
        return result

    def expand_items(self, items: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for item in items:
            if item in self.ruleset.lists:
                out.extend(self.expand_list(item))
            else:
                out.append(item)
        return tuple(out)

    def macro_ast(self, name: str, stack: tuple[str, ...]) -> Any:
        if name in stack:
            raise CompileError(f"macro {name} refers to itself")
        macro = self.ruleset.macros.get(name)
        if macro is None:
            raise CompileError(f"undefined macro {name}")
        self.used_macros.add(name)
        if not macro.condition.strip():
            return ("true",)
        try:
            tree = parse_condition(macro.condition)
        except ConditionSyntaxError as exc:
            raise CompileError(f"in macro {name}: {exc}") from None
        return self.expand(tree, (*stack, name))

    def expand(self, node: Any, stack: tuple[str, ...] = ()) -> Any:
        self.terms += 1
        if self.terms > MAX_CONDITION_TERMS:
            raise CompileError(
                f"condition expands to more than {MAX_CONDITION_TERMS} terms (macros/lists)"
            )
        kind = node[0]
        if kind in ("and", "or"):
            return (kind, [self.expand(child, stack) for child in node[1]])
        if kind == "not":
            return ("not", self.expand(node[1], stack))
        if kind == "macro":
            return self.macro_ast(node[1], stack)
        if kind == "cmp" and node[3] in LIST_OPS:
            return ("cmp", node[1], node[2], node[3], self.expand_items(node[4]))
        return node

    # ---- code generation -----------------------------------------------------
    def gen(self, node: Any) -> str:
        kind = node[0]
        if kind == "and":
            return "(" + " and ".join(self.gen(c) for c in node[1]) + ")"
        if kind == "or":
            return "(" + " or ".join(self.gen(c) for c in node[1]) + ")"
        if kind == "not":
            return f"(not {self.gen(node[1])})"
        if kind == "true":
            return "True"
        if kind == "false":
            return "False"
        return self.gen_cmp(node)

    def gen_cmp(self, node: Any) -> str:
        _, name, arg, op, value = node
        slot, fdef, arg = self.slot(name, arg)
        x = self.local.get(slot) or f"c[{slot}]"
        if op == "bare":
            raise CompileError(f"field {name} is used without an operator")
        if op == "exists":
            return f"({x} is not M)"
        is_list = fdef.is_list and arg is None
        ftype = fdef.type
        if op in LIST_OPS:
            values = tuple(self.coerce(ftype, v) for v in value)
            if op == "pmatch":
                k = self.const(tuple(str(v) for v in values))
                if is_list:
                    return f"({x} is not M and any(_pmatch(i, {k}) for i in {x}))"
                return f"_pmatch({x}, {k})"
            if ftype in ("ipnet", "ipaddr") and any("/" in str(v) for v in values):
                nets = self.const(tuple(_network(str(v)) for v in values))
                if is_list:
                    return f"({x} is not M and any(_nets(i, {nets}) for i in {x}))"
                return f"_nets({x}, {nets})"
            k = self.const(frozenset(values))
            if is_list:
                return f"_subset({x}, {k})" if op == "in" else f"_inter({x}, {k})"
            return f"({x} in {k})"
        if op not in SCALAR_OPS:
            raise CompileError(f"unknown operator {op}")
        if is_list:
            inner = self.scalar("i", op, ftype, value)
            return f"({x} is not M and any({inner} for i in {x}))"
        return self.scalar(x, op, ftype, value)

    def coerce(self, ftype: str, value: str) -> Any:
        if ftype in NUMERIC_TYPES:
            try:
                return float(value) if ftype == "double" else int(value, 0)
            except ValueError:
                return value
        if ftype == "bool":
            low = value.lower()
            if low in ("true", "1"):
                return True
            if low in ("false", "0"):
                return False
        return value

    def scalar(self, x: str, op: str, ftype: str, raw: str) -> str:
        value = self.coerce(ftype, raw)
        if op == "=":
            if ftype in ("ipnet",) and "/" in str(value):
                return f"_nets({x}, {self.const((_network(str(value)),))})"
            return f"({x} == {self.const(value)})"
        if op == "!=":
            return f"({x} is not M and {x} != {self.const(value)})"
        if op in ("<", "<=", ">", ">="):
            k = self.const(value)
            if isinstance(value, int | float):
                return f"({x} is not M and {x} {op} {k})"
            return f"({x} is not M and str({x}) {op} {k})"
        text = self.const(str(raw))
        # prefetched locals are already text (or M); anything else may need str()
        sx = x if x.startswith("f") else f"str({x})"
        if op == "contains":
            return f"({x} is not M and {text} in {sx})"
        if op == "icontains":
            return f"({x} is not M and {self.const(str(raw).lower())} in {sx}.lower())"
        if op == "startswith":
            return f"({x} is not M and {sx}.startswith({text}))"
        if op == "endswith":
            return f"({x} is not M and {sx}.endswith({text}))"
        if op in ("bcontains", "bstartswith"):
            try:
                needle = bytes.fromhex(str(raw).replace(" ", ""))
            except ValueError:
                raise CompileError(f"{op} needs a hex string, got {raw!r}") from None
            k = self.const(needle)
            method = "find" if op == "bcontains" else "startswith"
            test = f"({k} in _bytes({x}))" if method == "find" else f"_bytes({x}).startswith({k})"
            return f"({x} is not M and _bytes({x}) is not None and {test})"
        if op in ("glob", "iglob"):
            flags = re.IGNORECASE if op == "iglob" else 0
            pattern = re.compile(fnmatch.translate(str(raw)), flags | re.DOTALL)
            return f"({x} is not M and {self.const(pattern)}.match({sx}) is not None)"
        if op == "regex":
            # RE2, as Falco: matching is linear in the field's length (an event field can
            # be anything; a backtracking engine took minutes on 40 characters)
            try:
                regex = re2.compile(str(raw), _RE2_OPTIONS)
            except (re2.error, UnicodeEncodeError) as exc:
                raise CompileError(f"invalid regex {raw!r}: {_re2_reason(exc)}") from None
            return f"({x} is not M and _regex({self.const(regex)}, {sx}))"
        raise CompileError(f"unknown operator {op}")

    # ---- exceptions, index ---------------------------------------------------
    def exceptions_ast(self, rule: RuleDef) -> Any:
        alternatives: list[Any] = []
        for exc in rule.exceptions:
            alternatives.extend(self.exception_alternatives(exc))
        if not alternatives:
            return None
        return ("or", alternatives)

    def exception_alternatives(self, exc: Exception_) -> list[Any]:
        if isinstance(exc.fields, str):
            fname, farg = split_field(exc.fields)
            comp = str(exc.comps or "in")
            if comp in LIST_OPS:
                items: list[str] = []
                for value in exc.values:
                    items.extend(_flatten(value))
                return [("cmp", fname, farg, comp, tuple(items))] if items else []
            return [("cmp", fname, farg, comp, str(v)) for v in exc.values]
        fields = exc.fields
        comps = exc.comps
        if comps is None:
            comps_list = ["="] * len(fields)
        elif isinstance(comps, str):
            comps_list = [comps] * len(fields)
        else:
            comps_list = [str(c) for c in comps]
        if len(comps_list) != len(fields):
            raise CompileError(f"exception {exc.name}: fields and comps differ in length")
        out: list[Any] = []
        for value in exc.values:
            if not isinstance(value, list) or len(value) != len(fields):
                raise CompileError(
                    f"exception {exc.name}: each value must be a list of {len(fields)} items"
                )
            terms: list[Any] = []
            for fname_raw, comp, item in zip(fields, comps_list, value, strict=True):
                fname, farg = split_field(fname_raw)
                if comp in LIST_OPS:
                    terms.append(("cmp", fname, farg, comp, tuple(_flatten(item))))
                else:
                    terms.append(("cmp", fname, farg, comp, "" if item is None else str(item)))
            out.append(("and", terms))
        return out

    def constraints(self, node: Any) -> dict[int, frozenset[Any]]:
        kind = node[0]
        if kind == "and":
            merged: dict[int, frozenset[Any]] = {}
            for child in node[1]:
                for slot, values in self.constraints(child).items():
                    merged[slot] = merged[slot] & values if slot in merged else values
            return merged
        if kind == "or":
            parts = [self.constraints(child) for child in node[1]]
            if not parts:
                return {}
            common = set(parts[0]).intersection(*parts[1:])
            return {slot: frozenset().union(*(p[slot] for p in parts)) for slot in common}
        if kind == "cmp" and node[3] in ("=", "in"):
            slot, fdef, arg = self.slot(node[1], node[2])
            if (fdef.is_list and arg is None) or fdef.type in ("ipnet", "ipaddr"):
                return {}
            if node[3] == "=":
                return {slot: frozenset([self.coerce(fdef.type, node[4])])}
            return {slot: frozenset(self.coerce(fdef.type, v) for v in node[4])}
        return {}

    def output_formatter(self, text: str) -> Callable[[FieldCache], str]:
        parts: list[str | int] = []
        pos = 0
        for m in _OUTPUT_FIELD.finditer(text):
            parts.append(text[pos : m.start()])
            name, arg = split_field(m.group(1) or m.group(2))
            slot, _, _ = self.slot(name, arg)
            parts.append(slot)
            pos = m.end()
        parts.append(text[pos:])
        frozen = tuple(p for p in parts if p != "")
        terms = []
        for part in frozen:
            if isinstance(part, str):
                terms.append(self.const(part))
            elif (expr := _inline_expression(self, part)) is not None:
                # plain JSON fields are read straight from the event, not via the cache
                terms.append(f"(v if (v := {expr}).__class__ is str else _jtext(v))")
            else:
                terms.append(f"(v if (v := c[{part}]).__class__ is str else _text(v))")
        code = "def fmt(c):\n    ev = c.event\n    return " + (" + ".join(terms) or "''") + "\n"
        namespace: dict[str, Any] = {
            "_text": _to_text,
            "_jtext": _json_text,
            "M": MISSING,
            **self.consts,
        }
        exec(compile(code, "<output>", "exec"), namespace)
        format_output: Callable[[FieldCache], str] = namespace["fmt"]
        return format_output


_OUTPUT_FIELD = re.compile(
    r"%\(([a-zA-Z_][\w.]*(?:\[[^\]]*\])?)\)|%([a-zA-Z_][\w.]*(?:\[[^\]]*\])?)"
)


def _unquote_item(item: str) -> str:
    # list items are pasted into conditions upstream, so quotes inside items are syntax
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'":
        return item[1:-1]
    return item


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return not isinstance(value, re.Pattern)


def _flatten(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return ["" if value is None else str(value)]


def _network(text: str) -> Any:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise CompileError(f"invalid network {text!r}") from None


def _to_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def compile_rules(
    ruleset: RuleSet,
    source: EventSource,
    *,
    index_fields: tuple[str, ...] | None = None,
) -> Program:
    """Compile the enabled rules of `source.falco_source` into one Program.

    A rule that does not parse or names an unknown field/macro is left out and reported in
    `Program.problems` (file, line, rule name); callers decide whether that is fatal.
    """
    comp = _Compiler(ruleset, source)
    problems = list(ruleset.problems)
    bodies: list[tuple[RuleDef, Any, dict[int, frozenset[Any]], Callable[..., str]]] = []
    trees: list[Any] = []
    for rule in ruleset.rules.values():
        if rule.source != source.falco_source:
            continue
        comp.terms = 0
        try:
            tree = comp.expand(parse_condition(rule.condition))
            exceptions = comp.exceptions_ast(rule)
            if exceptions is not None:
                tree = ("and", [tree, ("not", comp.expand(exceptions))])
            code = comp.gen(tree)  # validates fields even for disabled rules
            fmt = comp.output_formatter(rule.output)
            cons = comp.constraints(tree)
        except RecursionError:
            problems.append(RuleProblem(rule.file, rule.line, rule.name, "condition too deep"))
            continue
        except (ConditionSyntaxError, CompileError) as exc:
            if rule.skip_if_unknown_filter and "unknown field" in str(exc):
                continue  # the rule asked to be skipped silently (upstream semantics)
            problems.append(RuleProblem(rule.file, rule.line, rule.name, str(exc)))
            continue
        if rule.enabled:
            bodies.append((rule, code, cons, fmt))
            trees.append(tree)
    problems.extend(_unused_macro_problems(ruleset, comp.used_macros))
    namespace: dict[str, Any] = dict(_HELPERS)
    namespace.update(comp.consts)
    lines = []
    for i, (_, code, _, _) in enumerate(bodies):
        lines.append(f"def r{i}(c):\n    return {code}\n")
    exec(compile("\n".join(lines), f"<rules:{source.name}>", "exec"), namespace)
    compiled = [
        CompiledRule(
            name=rule.name,
            priority=rule.priority,
            source=rule.source,
            tags=list(rule.tags),
            desc=rule.desc,
            file=rule.file,
            line=rule.line,
            order=i,
            match=namespace[f"r{i}"],
            format_output=fmt,
            constraints=cons,
        )
        for i, (rule, _, cons, fmt) in enumerate(bodies)
    ]
    cache_class = type(
        "RuleFieldCache",
        (FieldCache,),
        {
            "__slots__": (),
            "extracts": tuple(comp.extracts),
            "args": tuple(comp.args),
            "posts": tuple(comp.posts),
        },
    )
    index_slots = _choose_index(compiled, comp, index_fields)
    return Program(
        source=source,
        rules=compiled,
        problems=problems,
        cache_class=cache_class,
        slot_names=comp.slot_names,
        index_slots=index_slots,
        num_slot=comp.slots.get(("evt.num", None)),
        index_key=_key_function(index_slots, comp),
        trees=trees,
        compiler=comp,
        namespace=namespace,
    )


def _unused_macro_problems(ruleset: RuleSet, used: set[str]) -> list[RuleProblem]:
    """Macros no rule uses that Falco would still refuse: a syntax error, an undefined macro.

    (Falco compiles every macro; seawall only those its rules use, so report the others.)
    """
    problems = []
    for macro in ruleset.macros.values():
        if macro.name in used or not macro.condition.strip():
            continue
        label = f"macro {macro.name}"
        try:
            tree = parse_condition(macro.condition)
        except ConditionSyntaxError as exc:
            problems.append(RuleProblem(macro.file, macro.line, label, str(exc), kind="macro"))
            continue
        pending, undefined = [tree], []
        while pending:
            node = pending.pop()
            if node[0] in ("and", "or"):
                pending.extend(node[1])
            elif node[0] == "not":
                pending.append(node[1])
            elif node[0] == "macro" and node[1] not in ruleset.macros:
                undefined.append(node[1])
        if undefined:
            message = f"undefined macro {sorted(undefined)[0]}"
            problems.append(RuleProblem(macro.file, macro.line, label, message, kind="macro"))
    return problems


def _json_path(comp: _Compiler, slot: int) -> tuple[str, ...] | None:
    """The plain JSON key path of a slot's field, when its extractor declares one."""
    extract = comp.extracts[slot]
    path = getattr(extract, "json_path", None)
    if path is not None and comp.posts[slot] is None:
        return tuple(path)
    arg = comp.args[slot]
    if getattr(extract, "json_pointer", False) and arg and arg.startswith("/"):
        parts = tuple(arg[1:].split("/"))
        # plain object keys only: list indexes and escapes take the extractor's path
        if "~" in arg or len(parts) > MAX_INLINE_DEPTH or any(p.isdigit() for p in parts):
            return None
        return parts
    return None


MAX_INLINE_DEPTH = 4


def _walk_lines(var: str, path: tuple[str, ...], indent: str = "    ") -> list[str]:
    """Statements setting `var` to the value at `path` under `ev` (None when absent)."""
    lines = [f"{indent}{var} = ev.get({path[0]!r})"]
    for key in path[1:]:
        lines.append(f"{indent}{var} = {var}.get({key!r}) if {var}.__class__ is dict else None")
    return lines


def _walk_expression(path: tuple[str, ...]) -> str:
    """An expression for the value at `path` under `ev` (None when absent)."""
    expr = f"ev.get({path[0]!r})"
    for key in path[1:]:
        expr = f"(w.get({key!r}) if (w := {expr}).__class__ is dict else None)"
    return expr


def _slots_of(node: Any, comp: _Compiler, out: set[int]) -> None:
    kind = node[0]
    if kind in ("and", "or"):
        for child in node[1]:
            _slots_of(child, comp, out)
    elif kind == "not":
        _slots_of(node[1], comp, out)
    elif kind == "cmp":
        out.add(comp.slot(node[1], node[2])[0])


def _inline_expression(comp: _Compiler, slot: int) -> str | None:
    """A Python expression over `ev` giving the raw value of a plain-JSON field, or None."""
    if comp.posts[slot] is not None:
        return None
    inline = getattr(comp.extracts[slot], "inline_expr", None)
    if inline is not None:
        return f"({inline})"
    path = _json_path(comp, slot)
    if path is None or len(path) > MAX_INLINE_DEPTH:
        return None
    return f"(M if (w := {_walk_expression(path)}) is None else w)"


def _prefetch_lines(comp: _Compiler, slot: int) -> list[str]:
    inline = getattr(comp.extracts[slot], "inline_expr", None)
    if inline is not None and comp.posts[slot] is None:
        lines = [f"    v = {inline}"]
    else:
        path = _json_path(comp, slot)
        if path is None or len(path) > MAX_INLINE_DEPTH:
            return []
        lines = _walk_lines("v", path)
    lines.append(f"    f{slot} = M if v is None else (v if v.__class__ is str else _text(v))")
    return lines


def _key_function(
    slots: tuple[int, ...], comp: _Compiler, dispatch: dict[str, Any] | None = None
) -> Callable[[FieldCache], Any]:
    """Straight-line code that pre-extracts the indexed fields of an event into its cache.

    With `dispatch` ({"groups": dict, "build": callable}), the function also looks the key
    up and runs the group: one call per event from key to matched rules.
    """
    lines = ["def key(c):", "    ev = c.event"]
    names = []
    for i, slot in enumerate(slots):
        path = _json_path(comp, slot)
        var = f"v{i}"
        names.append(var)
        if path is None or len(path) > MAX_INLINE_DEPTH:
            lines.append(f"    {var} = c[{slot}]")
            continue
        lines.extend(_walk_lines(var, path))
        lines.append(f"    if {var} is None:")
        lines.append(f"        {var} = M")
        lines.append(f"    elif {var}.__class__ is not str:")
        lines.append(f"        {var} = _text({var})")
        lines.append(f"    c[{slot}] = {var}")
    key_expr = f"({', '.join(names)},)" if names else "()"
    if dispatch is None:
        lines.append(f"    return {key_expr}")
    else:
        lines.append(f"    k = {key_expr}")
        lines.append("    g = groups.get(k)")
        lines.append("    if g is None:")
        lines.append("        g = build(k)")
        lines.append("    return g(c)")
    namespace: dict[str, Any] = {"M": MISSING, "_text": _plain_text, **(dispatch or {})}
    exec(compile("\n".join(lines) + "\n", "<index>", "exec"), namespace)
    key: Callable[[FieldCache], Any] = namespace["key"]
    return key


def _json_text(value: Any) -> str:
    """Output text of a raw JSON value, as the field's extractor would give it."""
    return "<NA>" if value is MISSING else str(_plain_text(value))


def _plain_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _choose_index(
    rules: list[CompiledRule], comp: _Compiler, wanted: tuple[str, ...] | None
) -> tuple[int, ...]:
    counts: dict[int, int] = {}
    for rule in rules:
        for slot in rule.constraints:
            counts[slot] = counts.get(slot, 0) + 1
    ranked = sorted(counts, key=lambda s: (-counts[s], s))
    if wanted is not None:
        ranked = [s for s in ranked if comp.slot_names[s] in wanted] or ranked
    return tuple(ranked[:3])

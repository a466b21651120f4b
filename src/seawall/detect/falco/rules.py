"""Loading Falco rules files: rules, macros, lists, append/override, exceptions.

Semantics follow Falco's rule loader: every file is collected first (in load order),
then lists, macros and rules are compiled, so a later file can redefine a macro or
append to a list that an earlier rule uses. A redefinition replaces the earlier one in
place (load order of rules is kept); `append: true` / `override:` extend or replace fields.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError

# libyaml's safe loader when available (same safe semantics, ~10x faster)
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RulesConstructor:
    construct_object: Any  # of the yaml constructor it is mixed into
    """The safe loader, reading plain scalars as Falco (yaml-cpp) does: as the text written.

    yaml-cpp types no scalar: a value is converted when read, so `yes` in a list is the
    process name "yes", `0644` is "0644" and `=` is "=". PyYAML's YAML 1.1 typing made them
    True, 420, and (for `comps: [=, contains]`, the form of Falco's exceptions docs) a "value"
    tag it cannot construct, refusing the whole file. Only null (`~`, `null`, empty) and merge
    keys (`<<`) keep their meaning; booleans and integers are read where a key needs them.
    A key given twice keeps its first value: yaml-cpp's lookup returns the first match.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value):
            merged: dict[Any, Any] = super().construct_mapping(node, deep=deep)  # type: ignore[misc]
            return merged
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                ) from None
            if key not in mapping:
                mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


class _RulesLoader(_RulesConstructor, _BASE_LOADER):  # type: ignore[misc,valid-type]
    """_RulesConstructor on libyaml (the rules loader)."""


class _PyRulesLoader(_RulesConstructor, yaml.SafeLoader):
    """_RulesConstructor on PyYAML's Python parser: for text that may nest deeply, where
    libyaml recurses on the C stack (SIGSEGV) and Python stops at its recursion limit."""


_KEEP_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}
for _loader in (_RulesLoader, _PyRulesLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEEP_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
_SAFE_LOADER: Any = _RulesLoader

MAX_RULES_FILE = 16 * 1024 * 1024
MAX_YAML_NODES = 2_000_000  # upstream's largest file has ~20,000
ENGINE_VERSION = (0, 57, 0)

PRIORITIES = {
    "emergency": "EMERGENCY",
    "alert": "ALERT",
    "critical": "CRITICAL",
    "error": "ERROR",
    "warning": "WARNING",
    "notice": "NOTICE",
    "info": "INFORMATIONAL",
    "informational": "INFORMATIONAL",
    "debug": "DEBUG",
}
PRIORITY_ORDER = [
    "EMERGENCY",
    "ALERT",
    "CRITICAL",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFORMATIONAL",
    "DEBUG",
]
# What `override:` may append to or replace, per kind (Falco's rule loader).
RULE_APPENDABLE = frozenset({"condition", "output", "desc", "tags", "exceptions"})
RULE_REPLACEABLE = RULE_APPENDABLE | {
    "priority",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
}
LIST_OVERRIDABLE = frozenset({"items"})
MACRO_OVERRIDABLE = frozenset({"condition"})
SINGLE_FIELD_COMPS = ("in", "pmatch", "intersects")
# yaml-cpp's spellings of a boolean scalar (what Falco accepts for enabled, append, ...)
_TRUE = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}
_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}


@dataclass
class RuleProblem:
    """A rule (or macro, list) that could not be loaded or compiled."""

    file: str
    line: int
    name: str
    message: str
    # rule: a rule left out; item: a macro, list, append or override that could not be
    # loaded (ignored); macro: a macro no rule uses that Falco would refuse
    kind: str = "rule"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.name}: {self.message}"


@dataclass
class ListDef:
    name: str
    items: list[str]
    file: str
    line: int


@dataclass
class MacroDef:
    name: str
    condition: str
    file: str
    line: int


@dataclass
class Exception_:
    name: str
    fields: list[str] | str
    comps: list[str] | str | None
    values: list[Any]


@dataclass
class RuleDef:
    name: str
    condition: str
    output: str
    desc: str
    priority: str
    source: str
    tags: list[str]
    enabled: bool
    exceptions: list[Exception_]
    file: str
    line: int
    skip_if_unknown_filter: bool = False


@dataclass
class PluginRequirement:
    """One `required_plugin_versions` entry: a plugin and version, or one of its alternatives."""

    file: str
    line: int
    alternatives: list[tuple[str, str]]  # (plugin name, minimum version); the first is the main


@dataclass
class RuleSet:
    """Everything a set of rules files defines, after append/override, in load order."""

    lists: dict[str, ListDef] = field(default_factory=dict)
    macros: dict[str, MacroDef] = field(default_factory=dict)
    rules: dict[str, RuleDef] = field(default_factory=dict)
    problems: list[RuleProblem] = field(default_factory=list)
    warnings: list[RuleProblem] = field(default_factory=list)  # Falco warns, loading goes on
    required_plugins: dict[str, str] = field(default_factory=dict)
    plugin_requirements: list[PluginRequirement] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _loader_for(text: str) -> Any:
    """libyaml, unless the text may nest deeply: libyaml recurses on the C stack and a
    rules file of 200,000 `[` crashed the process (SIGSEGV); Python's loader stops at its
    recursion limit instead (RecursionError)."""
    from seawall.inputs import may_nest_deeply

    return _PyRulesLoader if may_nest_deeply(text) else _SAFE_LOADER


def semver(text: str) -> tuple[int, int, int] | None:
    """`x.y.z` (anything after the third number ignored, as Falco's sinsp_version), or None."""
    found = _SEMVER.match(text)
    if found is None:
        return None
    return (int(found[1]), int(found[2]), int(found[3]))


def semver_compatible(have: tuple[int, int, int], need: tuple[int, int, int]) -> bool:
    """Falco's rule: the same major version, and at least the needed minor.patch."""
    return have[0] == need[0] and have[1:] >= need[1:]


def _engine_version(value: Any) -> tuple[int, int, int] | None:
    """A required_engine_version: an integer N means 0.N.0, a string must be x.y.z.

    Falco first reads the value as an unsigned integer whether or not it is quoted, so
    `"15"` is 0.15.0 as `15` is.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, 0) if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return (0, int(text), 0)
        return semver(text)
    return None


@dataclass
class _Repeated:
    """A key given twice in one item (PyYAML keeps the last value)."""

    key: str
    lines: tuple[int, int]


@dataclass
class _ItemInfo:
    """Where things are in a rules file (from the composed YAML nodes)."""

    lines: list[int] = field(default_factory=list)  # each top-level item's line
    repeated: dict[int, list[_Repeated]] = field(default_factory=dict)  # by item index
    entry_lines: dict[int, list[int]] = field(default_factory=dict)  # required_plugin_versions


def _item_lines(text: str, name: str) -> _ItemInfo:
    """The line of each top-level item, the keys repeated within an item, and the line of
    each required_plugin_versions entry."""
    info = _ItemInfo()
    try:
        nodes = list(yaml.compose_all(text, Loader=_loader_for(text)))
    except (yaml.YAMLError, RecursionError):
        return info
    # the items of every document (`---`), in order, as load_rules_text reads them
    children = [c for n in nodes if isinstance(n, yaml.SequenceNode) for c in n.value]
    for index, child in enumerate(children):
        info.lines.append(child.start_mark.line + 1)
        if not isinstance(child, yaml.MappingNode):
            continue
        seen: dict[Any, Any] = {}
        for key, value in child.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in seen:
                lines = (seen[key.value].start_mark.line + 1, key.start_mark.line + 1)
                info.repeated.setdefault(index, []).append(_Repeated(key.value, lines))
            else:
                seen[key.value] = key
            if key.value == "required_plugin_versions" and isinstance(value, yaml.SequenceNode):
                info.entry_lines[index] = [entry.start_mark.line + 1 for entry in value.value]
    return info


def _strlist(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        if any(isinstance(v, (list, dict)) for v in value):
            raise ValueError("list items must be strings, not nested lists or mappings")
        return ["" if v is None else str(v) for v in value]
    if isinstance(value, dict):
        raise ValueError("expected a string or a list of strings, not a mapping")
    return [str(value)]


def _bool(item: dict[str, Any], key: str, default: bool) -> bool:
    """A boolean key as Falco reads it: `enabled: "false"` is false, `enabled: 0` an error."""
    value = item.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _TRUE | _FALSE:
        return value in _TRUE
    shown = value if isinstance(value, str) and value.strip() else repr(value)
    raise ValueError(f"{key} must be true or false, not {shown}")


def _exceptions(value: Any, *, update: bool = False) -> list[Exception_]:
    """The `exceptions` of a rule; `update` (append/override) lets an entry omit `fields`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("exceptions must be a list")
    out: list[Exception_] = []
    for entry in value:
        if not isinstance(entry, dict) or entry.get("name") in (None, ""):
            raise ValueError("each exception needs a name")
        name = str(entry["name"])
        if any(e.name == name for e in out):
            raise ValueError(f"exception {name} is defined twice in one rule")
        fields = entry.get("fields")
        values = entry.get("values")
        if values is None:
            values = []
        if not isinstance(values, list):
            raise ValueError(f"exception {name}: values must be a list")
        if fields is None:
            if not update:
                raise ValueError(f"exception {name} has no fields")
            fields = []
        elif isinstance(fields, list):
            if any(isinstance(f, (list, dict)) for f in fields):
                raise ValueError(f"exception {name}: fields must be field names")
            fields = [str(f) for f in fields]
        elif isinstance(fields, dict):
            raise ValueError(f"exception {name}: fields must be a field name or a list of them")
        else:
            fields = str(fields)
        comps = entry.get("comps")
        if comps is not None and not isinstance(comps, str | list):
            raise ValueError(f"exception {name}: comps must be an operator or a list")
        exc = Exception_(name=name, fields=fields, comps=entry.get("comps"), values=values)
        if "fields" in entry:
            _check_comps(exc)
        out.append(exc)
    return out


def _check_comps(exc: Exception_) -> None:
    """Falco's shape rules for fields/comps (validate_exception_info)."""
    if isinstance(exc.fields, str):
        if exc.comps is None:
            return
        if not isinstance(exc.comps, str):
            raise ValueError(f"exception {exc.name}: fields and comps must both be strings")
        if exc.comps not in SINGLE_FIELD_COMPS:
            raise ValueError(
                f"exception {exc.name}: when fields is a single field, comps must be one of "
                f"{', '.join(SINGLE_FIELD_COMPS)}"
            )
    elif exc.comps is not None and (
        not isinstance(exc.comps, list) or len(exc.comps) != len(exc.fields)
    ):
        raise ValueError(f"exception {exc.name}: fields and comps lists must have equal length")


def _merge_exceptions(
    old: list[Exception_], new: list[Exception_], item: dict[str, Any]
) -> list[Exception_]:
    """Append: values of a known exception are added; a new exception must be complete."""
    entries = {str(e.get("name")): e for e in item.get("exceptions") or [] if isinstance(e, dict)}
    byname = {e.name: e for e in old}
    result = list(old)
    for exc in new:
        entry = entries.get(exc.name, {})
        if exc.name in byname:
            for key in ("fields", "comps"):
                if key in entry:
                    raise ValueError(
                        f"exception {exc.name}: can only append values to an existing "
                        f"exception, not {key}"
                    )
            byname[exc.name].values = list(byname[exc.name].values) + list(exc.values)
        else:
            if "fields" not in entry:
                raise ValueError(f"exception {exc.name} has no fields")
            if not exc.values:
                raise ValueError(f"exception {exc.name} has no values")
            result.append(exc)
            byname[exc.name] = exc
    return result


def _priority(value: Any) -> str:
    key = str(value).strip().lower()
    if key not in PRIORITIES:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ValueError(f"invalid priority {shown}")
    return PRIORITIES[key]


def _check_expanded_size(docs: list[Any], name: str) -> None:
    """Refuse YAML whose aliases expand to a huge tree ("billion laughs")."""
    pending: list[Any] = [docs]
    seen = 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise InputError(
                f"{name}: rules file expands to more than {MAX_YAML_NODES} YAML nodes "
                "(aliases); refusing it"
            )
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


_ITEM_KEYS = ("required_engine_version", "required_plugin_versions", "list", "macro", "rule")
# Every key Falco's rules file schema (rule_json_schema.h) allows; others make Falco's schema
# validation fail and are otherwise ignored, so a typo such as `enabeld: false` is silent.
_SCHEMA_KEYS = frozenset(
    {
        *_ITEM_KEYS,
        *RULE_REPLACEABLE,
        "items",
        "append",
        "source",
        "override",
    }
)
_EXCEPTION_KEYS = frozenset({"name", "fields", "comps", "values"})


def _unknown_keys(item: dict[str, Any]) -> list[str]:
    unknown = [str(k) for k in item if k not in _SCHEMA_KEYS]
    exceptions = item.get("exceptions")
    for entry in exceptions if isinstance(exceptions, list) else []:
        if isinstance(entry, dict):
            name = entry.get("name", "?")
            unknown += [f"{k} (exception {name})" for k in entry if k not in _EXCEPTION_KEYS]
    return unknown


def load_rules_text(ruleset: RuleSet, text: str, name: str) -> None:
    """Add one rules file's content to `ruleset` (InputError if it is not a YAML list)."""
    try:
        # safe_load semantics (CSafeLoader); several documents (`---`) are read in order, as
        # Falco's YAML::LoadAll does
        documents = list(yaml.load_all(text, Loader=_loader_for(text)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{name}{where}: rules file is not valid YAML") from None
    except RecursionError:
        raise InputError(f"{name}: rules file is nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a scalar not built: 2024-13-45, 5,000 digits
        reason = "a number longer than 4300 digits" if "digits" in str(exc) else str(exc)
        raise InputError(f"{name}: rules file has a value that cannot be read ({reason})") from None
    docs: list[Any] = []
    for document in documents:
        if document is None:
            continue  # an empty document
        if not isinstance(document, list):
            raise InputError(f"{name}: rules file must be a YAML list of rule/macro/list items")
        docs.extend(document)
    _check_expanded_size(documents, name)
    info = _item_lines(text, name)
    lines, repeated = info.lines, info.repeated
    ruleset.files.append(name)
    for index, item in enumerate(docs):
        line = lines[index] if index < len(lines) else 0
        if item is None:
            continue  # an empty `-` entry: Falco skips it
        if not isinstance(item, dict):
            problem = RuleProblem(name, line, "?", "item is not a mapping", kind="item")
            ruleset.problems.append(problem)
            continue
        if not any(key in item for key in _ITEM_KEYS):
            # Falco warns about an unknown top-level item and goes on loading
            label = str(next(iter(item), "?"))
            ruleset.warnings.append(RuleProblem(name, line, label, "unknown item, ignored"))
            continue
        label = str(item.get("rule") or item.get("macro") or item.get("list") or "?")
        for entry in repeated.get(index, []):
            # YAML says keys are unique; parsers differ on which value wins (Falco's yaml-cpp
            # and so seawall: the first), so say so
            where = f"lines {entry.lines[0]} and {entry.lines[1]}"
            message = f"key {entry.key} is given twice ({where}); the first one is used"
            ruleset.warnings.append(RuleProblem(name, line, label, message))
        for key in _unknown_keys(item):
            ruleset.warnings.append(RuleProblem(name, line, label, f"unknown key {key} ignored"))
        try:
            _load_item(ruleset, item, name, line, info.entry_lines.get(index))
        except ValueError as exc:
            # a rule that failed to load is not there (disabled); any other item (also an
            # `enabled` toggle of a rule no file defines) is ignored
            defines_rule = (
                "rule" in item
                and not item.get("override")
                and _is_false(item)
                and any(k in item for k in ("condition", "output", "desc", "priority"))
            )
            kind = "rule" if defines_rule else "item"
            ruleset.problems.append(RuleProblem(name, line, label, str(exc), kind=kind))


def _is_false(item: dict[str, Any], key: str = "append") -> bool:
    """`key` is absent or a false spelling (`append: "false"`); an unreadable value is not."""
    try:
        return not _bool(item, key, False)
    except ValueError:
        return False


def _override_modes(
    item: dict[str, Any], appendable: frozenset[str], replaceable: frozenset[str]
) -> dict[str, str]:
    override = item.get("override")
    if not override:
        return {}  # Falco: an empty `override:` overrides nothing; the item is a definition
    if not isinstance(override, dict):
        raise ValueError("override must be a mapping of field: append|replace")
    modes = {}
    for key, mode in override.items():
        if mode == "append" and key not in appendable:
            if key in replaceable:
                raise ValueError(f"{key} cannot be appended to, use replace instead")
            raise ValueError(f"override of {key!r} is not supported")
        if mode == "replace" and key not in replaceable:
            raise ValueError(f"override of {key!r} is not supported")
        if mode not in ("append", "replace"):
            raise ValueError(f"override mode for {key!r} must be append or replace")
        if key not in item:
            raise ValueError(f"override names {key!r} but the item does not set it")
        modes[str(key)] = str(mode)
    for key in item:
        if key in replaceable and key not in modes:
            raise ValueError(f"{key} is set but override does not say append or replace for it")
    return modes


def _load_item(
    rs: RuleSet, item: dict[str, Any], file: str, line: int, entry_lines: list[int] | None = None
) -> None:
    if "required_engine_version" in item:
        _check_engine_version(item["required_engine_version"], file, line)
        return
    if "required_plugin_versions" in item:
        _load_plugin_requirements(rs, item["required_plugin_versions"], file, line, entry_lines)
        return
    append = _bool(item, "append", False)
    if "list" in item:
        modes = _override_modes(item, LIST_OVERRIDABLE, LIST_OVERRIDABLE)
    elif "macro" in item:
        modes = _override_modes(item, MACRO_OVERRIDABLE, MACRO_OVERRIDABLE)
    else:
        modes = _override_modes(item, RULE_APPENDABLE, RULE_REPLACEABLE)
    if append and modes:
        raise ValueError("append and override cannot be used together")
    if "list" in item:
        _load_list(rs, item, file, line, append, modes)
    elif "macro" in item:
        _load_macro(rs, item, file, line, append, modes)
    else:
        _load_rule(rs, item, file, line, append, modes)


def _check_engine_version(value: Any, file: str, line: int) -> None:
    """Falco refuses a rules file that needs a newer engine: so does seawall (exit 2)."""
    wanted = _engine_version(value)
    if wanted is None:
        raise InputError(
            f"{file}:{line}: cannot read required_engine_version {value!r} "
            "(an integer, or a version string x.y.z)"
        )
    if not semver_compatible(ENGINE_VERSION, wanted):
        raise InputError(
            f"{file}:{line}: rules require engine version {'.'.join(map(str, wanted))}, "
            f"but seawall implements engine version {'.'.join(map(str, ENGINE_VERSION))}"
        )


def _load_plugin_requirements(
    rs: RuleSet, value: Any, file: str, line: int, entry_lines: list[int] | None
) -> None:
    """Record `required_plugin_versions` (checked against the event source by the engine)."""
    if not isinstance(value, list):
        raise InputError(
            f"{file}:{line}: required_plugin_versions must be a list of {{name, version}} mappings"
        )
    for index, entry in enumerate(value):
        if entry_lines is not None and index < len(entry_lines):
            line = entry_lines[index]
        where = f"{file}:{line}: required_plugin_versions"
        alternatives = [_plugin_version(entry, where)]
        extra = entry.get("alternatives")
        if extra is not None:
            if not isinstance(extra, list):
                raise InputError(f"{where}: alternatives of {alternatives[0][0]} must be a list")
            alternatives += [_plugin_version(alt, where) for alt in extra]
        names = [name for name, _ in alternatives]
        for name in names:
            if names.count(name) > 1:
                raise InputError(f"{where}: plugin {name} is named twice in one requirement")
        rs.plugin_requirements.append(PluginRequirement(file, line, alternatives))
        rs.required_plugins[alternatives[0][0]] = alternatives[0][1]


def _plugin_version(entry: Any, where: str) -> tuple[str, str]:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: each entry must be a mapping with name and version")
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: an entry has no plugin name")
    if not isinstance(version, str) or semver(version.strip()) is None:
        raise InputError(
            f"{where}: invalid required version {version!r} for plugin {name} "
            "(a version string x.y.z)"
        )
    return name, version.strip()


def _load_list(
    rs: RuleSet, item: dict[str, Any], file: str, line: int, append: bool, modes: dict[str, str]
) -> None:
    name = str(item["list"])
    items = _strlist(item.get("items"))
    if "items" not in item:
        raise ValueError("list has no items")
    old = rs.lists.get(name)
    mode = "append" if append else modes.get("items")
    if mode == "append" and old is None:
        # `override: {items: replace}` is a plain definition in Falco: no earlier list needed
        raise ValueError("list has append/override but no list by that name exists")
    if mode == "append" and old is not None:
        old.items = old.items + items
    elif mode == "replace" and old is not None:
        old.items = items
    else:
        rs.lists[name] = ListDef(name, items, file, line)


def _load_macro(
    rs: RuleSet, item: dict[str, Any], file: str, line: int, append: bool, modes: dict[str, str]
) -> None:
    name = str(item["macro"])
    if "condition" not in item:
        raise ValueError("macro has no condition")
    condition = "" if item["condition"] is None else str(item["condition"])
    if not condition.strip():
        # Falco refuses it; treating it as true would silently turn `and not m` into false
        raise ValueError("macro condition is empty")
    old = rs.macros.get(name)
    mode = "append" if append else modes.get("condition")
    if mode == "append" and old is None:
        # `override: {condition: replace}` is a plain definition in Falco (as for lists)
        raise ValueError("macro has append/override but no macro by that name exists")
    if mode == "append" and old is not None:
        old.condition = f"{old.condition} {condition}"
    elif mode == "replace" and old is not None:
        old.condition = condition
    else:
        rs.macros[name] = MacroDef(name, condition, file, line)


def _load_rule(
    rs: RuleSet, item: dict[str, Any], file: str, line: int, append: bool, modes: dict[str, str]
) -> None:
    name = str(item["rule"])
    old = rs.rules.get(name)
    if append or modes:
        if old is None:
            raise ValueError("rule has append/override but no rule by that name exists")
        if append:
            # legacy `append: true` extends only the condition and the exceptions (Falco)
            modes = {k: "append" for k in ("condition", "exceptions") if k in item}
            if not modes:
                raise ValueError("appended rule must have a condition or exceptions")
        _apply_rule_override(old, item, modes)
        return
    if not any(k in item for k in ("condition", "output", "desc", "priority")):
        # legacy: only `enabled` (and nothing to define a rule) switches an existing rule
        if "enabled" not in item:
            raise ValueError("rule is missing condition, output, desc, priority")
        enabled = _bool(item, "enabled", True)
        if old is None:
            raise ValueError("rule has enabled but no rule by that name exists")
        old.enabled = enabled
        return
    missing = [k for k in ("condition", "output", "desc", "priority") if k not in item]
    if missing:
        raise ValueError(f"rule is missing {', '.join(missing)}")
    source = str(item.get("source", "syscall"))
    if old is not None and old.source != source:
        raise ValueError(
            f"rule is redefined with source {source}, but {old.file}:{old.line} defines it "
            f"for source {old.source}"
        )
    definition = RuleDef(
        name=name,
        condition=str(item["condition"] or ""),
        output=str(item["output"] or "").strip(),
        desc=str(item["desc"] or "").strip(),
        priority=_priority(item["priority"]),
        source=source,
        tags=_strlist(item.get("tags")),
        enabled=_bool(item, "enabled", True),
        exceptions=_exceptions(item.get("exceptions")),
        file=file,
        line=line,
        skip_if_unknown_filter=_bool(item, "skip-if-unknown-filter", False),
    )
    _bool(item, "warn_evttypes", True)  # validated; the warning it controls is Falco's own
    rs.rules[name] = definition  # a redefinition keeps the original load-order slot


def _apply_rule_override(old: RuleDef, item: dict[str, Any], modes: dict[str, str]) -> None:
    for key, mode in modes.items():
        value = item[key]
        if key == "condition":
            old.condition = f"{old.condition} {value}" if mode == "append" else str(value)
        elif key == "output":
            old.output = f"{old.output} {value}".strip() if mode == "append" else str(value)
        elif key == "desc":
            old.desc = f"{old.desc} {value}" if mode == "append" else str(value)
        elif key == "tags":
            new_tags = _strlist(value)
            if mode == "append":  # Falco's tags are a set: appending a tag twice adds it once
                new_tags = old.tags + [t for t in new_tags if t not in old.tags]
            old.tags = new_tags
        elif key == "priority":
            old.priority = _priority(value)
        elif key == "enabled":
            old.enabled = _bool(item, key, True)
        elif key == "skip-if-unknown-filter":
            old.skip_if_unknown_filter = _bool(item, key, False)
        elif key == "warn_evttypes":
            _bool(item, key, True)
        elif key == "exceptions":
            new = _exceptions(value, update=True)
            if mode == "append":
                old.exceptions = _merge_exceptions(old.exceptions, new, item)
            else:
                old.exceptions = _exceptions(value)


MAX_RULES_FILES = 1000  # files one run loads, directories expanded


def expand_rules_paths(paths: list[Path]) -> list[Path]:
    """The rules files to load, in order: a directory stands for the files directly in it,
    sorted by name, as Falco reads `-r DIR` and `rules_files` entries (links are followed:
    Falco's rules.d holds links into rules.available; subdirectories are not read)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            try:
                entries = sorted(os.scandir(path), key=lambda entry: entry.name)
            except OSError as exc:
                raise InputError(f"{path}: cannot list rules directory ({exc.strerror})") from None
            found = [Path(e.path) for e in entries if e.is_file()]
            if not found:
                raise InputError(f"{path}: rules directory holds no files")
            out.extend(found)
        else:
            out.append(path)
        if len(out) > MAX_RULES_FILES:
            raise InputError(f"{path}: more than {MAX_RULES_FILES} rules files in one run")
    return out


def load_rules_files(paths: list[Path]) -> RuleSet:
    """Load rules files in order, a directory as its files sorted by name (InputError if one
    is unreadable or not YAML)."""
    ruleset = RuleSet()
    for path in expand_rules_paths(paths):
        try:
            from seawall.inputs import read_limited

            data = read_limited(path, MAX_RULES_FILE)
            if data is None:
                raise InputError(f"{path}: rules file larger than {MAX_RULES_FILE} bytes")
            text = data.decode("utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot read rules file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: rules file is not UTF-8 text") from None
        load_rules_text(ruleset, text, str(path))
    return ruleset

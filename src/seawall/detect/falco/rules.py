"""Loading Falco rules files: rules, macros, lists, append/override, exceptions.

Semantics follow Falco's rule loader: every file is collected first (in load order),
then lists, macros and rules are compiled, so a later file can redefine a macro or
append to a list that an earlier rule uses. A redefinition replaces the earlier one in
place (load order of rules is kept); `append: true` / `override:` extend or replace fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError

# libyaml's safe loader when available (same safe semantics, ~10x faster)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
OVERRIDABLE = {
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "enabled",
    "exceptions",
    "items",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
}
APPEND_ONLY_NOT = {"priority", "enabled"}  # these can only be replaced


@dataclass
class RuleProblem:
    """A rule (or macro, list) that could not be loaded or compiled."""

    file: str
    line: int
    name: str
    message: str

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
class RuleSet:
    """Everything a set of rules files defines, after append/override, in load order."""

    lists: dict[str, ListDef] = field(default_factory=dict)
    macros: dict[str, MacroDef] = field(default_factory=dict)
    rules: dict[str, RuleDef] = field(default_factory=dict)
    problems: list[RuleProblem] = field(default_factory=list)
    required_plugins: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _parse_version(value: Any) -> tuple[int, ...]:
    text = str(value).strip()
    if text.isdigit():
        return (0, int(text), 0)
    parts = text.split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"invalid version {text!r}") from None


def _loader_for(text: str) -> Any:
    """libyaml, unless the text may nest deeply: libyaml recurses on the C stack and a
    rules file of 200,000 `[` crashed the process (SIGSEGV); Python's loader stops at its
    recursion limit instead (RecursionError)."""
    from seawall.inventory.sources._files import may_nest_deeply

    return yaml.SafeLoader if may_nest_deeply(text) else _SAFE_LOADER


def _item_lines(text: str, name: str) -> list[int]:
    try:
        node = yaml.compose(text, Loader=_loader_for(text))
    except (yaml.YAMLError, RecursionError):
        return []
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [child.start_mark.line + 1 for child in node.value]


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


def _exceptions(value: Any) -> list[Exception_]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("exceptions must be a list")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError("each exception needs a name")
        fields = entry.get("fields")
        if fields is None:
            fields = []
        values = entry.get("values") or []
        if not isinstance(values, list):
            raise ValueError(f"exception {entry['name']}: values must be a list")
        if not isinstance(fields, str | list):
            raise ValueError(f"exception {entry['name']}: fields must be a name or a list")
        comps = entry.get("comps")
        if comps is not None and not isinstance(comps, str | list):
            raise ValueError(f"exception {entry['name']}: comps must be an operator or a list")
        out.append(
            Exception_(
                name=str(entry["name"]),
                fields=fields if isinstance(fields, str) else [str(f) for f in fields],
                comps=entry.get("comps"),
                values=values,
            )
        )
    return out


def _merge_exceptions(old: list[Exception_], new: list[Exception_]) -> list[Exception_]:
    byname = {e.name: e for e in old}
    result = list(old)
    for exc in new:
        if exc.name in byname:
            byname[exc.name].values = list(byname[exc.name].values) + list(exc.values)
        else:
            result.append(exc)
            byname[exc.name] = exc
    return result


def _priority(value: Any) -> str:
    key = str(value).strip().lower()
    if key not in PRIORITIES:
        raise ValueError(f"invalid priority {value!r}")
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


def load_rules_text(ruleset: RuleSet, text: str, name: str) -> None:
    """Add one rules file's content to `ruleset` (InputError if it is not a YAML list)."""
    try:
        docs = yaml.load(text, Loader=_loader_for(text))  # safe_load semantics
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{name}{where}: rules file is not valid YAML") from None
    except RecursionError:
        raise InputError(f"{name}: rules file is nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a scalar not built: 2024-13-45, 5,000 digits
        reason = "a number longer than 4300 digits" if "digits" in str(exc) else str(exc)
        raise InputError(f"{name}: rules file has a value that cannot be read ({reason})") from None
    if docs is None:
        docs = []
    if not isinstance(docs, list):
        raise InputError(f"{name}: rules file must be a YAML list of rule/macro/list items")
    _check_expanded_size(docs, name)
    lines = _item_lines(text, name)
    ruleset.files.append(name)
    for index, item in enumerate(docs):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(item, dict):
            ruleset.problems.append(RuleProblem(name, line, "?", "item is not a mapping"))
            continue
        try:
            _load_item(ruleset, item, name, line)
        except ValueError as exc:
            label = str(item.get("rule") or item.get("macro") or item.get("list") or "?")
            ruleset.problems.append(RuleProblem(name, line, label, str(exc)))


def _override_modes(item: dict[str, Any]) -> dict[str, str]:
    override = item.get("override")
    if override is None:
        return {}
    if not isinstance(override, dict):
        raise ValueError("override must be a mapping of field: append|replace")
    modes = {}
    for key, mode in override.items():
        if key not in OVERRIDABLE:
            raise ValueError(f"override of {key!r} is not supported")
        if mode not in ("append", "replace"):
            raise ValueError(f"override mode for {key!r} must be append or replace")
        if mode == "append" and key in APPEND_ONLY_NOT:
            raise ValueError(f"{key} can only be replaced, not appended")
        if key not in item:
            raise ValueError(f"override names {key!r} but the item does not set it")
        modes[str(key)] = str(mode)
    return modes


def _load_item(rs: RuleSet, item: dict[str, Any], file: str, line: int) -> None:
    if "required_engine_version" in item:
        wanted = _parse_version(item["required_engine_version"])
        if wanted > ENGINE_VERSION:
            raise ValueError(
                f"requires engine version {item['required_engine_version']}, "
                f"seawall implements {'.'.join(map(str, ENGINE_VERSION))}"
            )
        return
    if "required_plugin_versions" in item:
        plugins = item["required_plugin_versions"] or []
        if not isinstance(plugins, list):
            raise ValueError("required_plugin_versions must be a list")
        for plugin in plugins:
            if isinstance(plugin, dict) and "name" in plugin:
                rs.required_plugins[str(plugin["name"])] = str(plugin.get("version", ""))
        return
    append = bool(item.get("append", False))
    modes = _override_modes(item)
    if append and modes:
        raise ValueError("append and override cannot be used together")
    if "list" in item:
        _load_list(rs, item, file, line, append, modes)
    elif "macro" in item:
        _load_macro(rs, item, file, line, append, modes)
    elif "rule" in item:
        _load_rule(rs, item, file, line, append, modes)
    else:
        raise ValueError("unknown item (expected rule, macro, list, required_*_version)")


def _load_list(
    rs: RuleSet, item: dict[str, Any], file: str, line: int, append: bool, modes: dict[str, str]
) -> None:
    name = str(item["list"])
    items = _strlist(item.get("items"))
    if "items" not in item:
        raise ValueError("list has no items")
    old = rs.lists.get(name)
    mode = "append" if append else modes.get("items")
    if mode is not None and old is None:
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
    condition = str(item["condition"] or "")
    old = rs.macros.get(name)
    mode = "append" if append else modes.get("condition")
    if mode is not None and old is None:
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
            modes = {k: "append" for k in ("condition", "output", "desc", "tags", "exceptions")}
            modes.update({k: "replace" for k in ("priority", "enabled")})
            modes = {k: v for k, v in modes.items() if k in item}
        _apply_rule_override(old, item, modes)
        return
    keys = set(item) - {"rule"}
    if keys == {"enabled"} and old is not None:
        old.enabled = bool(item["enabled"])  # legacy: re-enable / disable an existing rule
        return
    missing = [k for k in ("condition", "output", "desc", "priority") if k not in item]
    if missing:
        raise ValueError(f"rule is missing {', '.join(missing)}")
    definition = RuleDef(
        name=name,
        condition=str(item["condition"] or ""),
        output=str(item["output"] or "").strip(),
        desc=str(item["desc"] or "").strip(),
        priority=_priority(item["priority"]),
        source=str(item.get("source", "syscall")),
        tags=_strlist(item.get("tags")),
        enabled=bool(item.get("enabled", True)),
        exceptions=_exceptions(item.get("exceptions")),
        file=file,
        line=line,
        skip_if_unknown_filter=bool(item.get("skip-if-unknown-filter", False)),
    )
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
            old.tags = old.tags + _strlist(value) if mode == "append" else _strlist(value)
        elif key == "priority":
            old.priority = _priority(value)
        elif key == "enabled":
            old.enabled = bool(value)
        elif key == "exceptions":
            new = _exceptions(value)
            old.exceptions = _merge_exceptions(old.exceptions, new) if mode == "append" else new


def load_rules_files(paths: list[Path]) -> RuleSet:
    """Load rules files in order (InputError if one is unreadable or not YAML)."""
    ruleset = RuleSet()
    for path in paths:
        try:
            from seawall.detect.sources.base import read_limited

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

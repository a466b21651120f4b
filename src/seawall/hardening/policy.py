"""The organisation's hardening policy: a YAML file validated against a JSON schema.

It enables/disables rules, overrides severities, sets parameters (trusted registries,
allowed public workloads), adds custom rules written in CEL (the expression language of
Kubernetes ValidatingAdmissionPolicy; `true` means compliant) and declares exceptions with
a scope, justification, owner and expiry. Expired exceptions stop applying and are
reported. Errors name the file and line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError
from seawall.hardening.engine import (
    DOCKERFILE,
    K8S_OBJECT,
    POD,
    RBAC_BINDING,
    RBAC_ROLE,
    Context,
    Rule,
    Target,
    Violation,
)
from seawall.model import Finding, Layer, Severity, Suppression

MAX_POLICY_BYTES = 1024 * 1024
_SEVERITIES = ["info", "low", "medium", "high", "critical"]
_STR_LIST = {"type": "array", "items": {"type": "string"}}
_STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "seawall.dev/v1"},
        "kind": {"const": "HardeningPolicy"},
        "rules": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "disable": _STR_LIST,
                "enable": _STR_LIST,
                "severity": {
                    "type": "object",
                    "additionalProperties": {"enum": _SEVERITIES},
                },
            },
        },
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "trusted_registries": _STR_LIST,
                "allowed_public_workloads": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"type": "string"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"tags": _STR_MAP},
                                "required": ["tags"],
                            },
                        ]
                    },
                },
            },
        },
        "custom_rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "title", "severity", "match", "expression"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                    "title": {"type": "string", "minLength": 1},
                    "severity": {"enum": _SEVERITIES},
                    "layer": {"enum": [layer.value for layer in Layer]},
                    "remediation": {"type": "string"},
                    "message": {"type": "string"},
                    "references": _STR_LIST,
                    "match": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "kinds": {**_STR_LIST, "minItems": 1},
                            "namespaces": _STR_LIST,
                            "labels": _STR_MAP,
                            "tags": _STR_MAP,
                        },
                        "required": ["kinds"],
                    },
                    "expression": {"type": "string", "minLength": 1},
                },
            },
        },
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rules", "scope", "justification", "owner", "expires"],
                "properties": {
                    "rules": {**_STR_LIST, "minItems": 1},
                    "scope": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "assets": _STR_LIST,
                            "namespaces": _STR_LIST,
                            "labels": _STR_MAP,
                        },
                    },
                    "justification": {"type": "string", "minLength": 1},
                    "owner": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "format": "date"},
                },
            },
        },
    },
}


@dataclass(slots=True)
class PolicyException:
    rules: list[str]
    assets: list[str]
    namespaces: list[str]
    labels: dict[str, str]
    justification: str
    owner: str
    expires: dt.date
    line: int

    def matches(self, rule_id: str, target: Target) -> bool:
        if not any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in self.rules):
            return False
        if self.assets and not any(fnmatch.fnmatchcase(target.asset, a) for a in self.assets):
            return False
        if self.namespaces and (target.namespace or "default") not in self.namespaces:
            return False
        return all(target.labels.get(k) == v for k, v in self.labels.items())

    def describe(self, source: str) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "scope": {"assets": self.assets, "namespaces": self.namespaces, "labels": self.labels},
            "justification": self.justification,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "source": f"{source}:{self.line}",
        }


@dataclass(slots=True)
class Policy:
    source: str = ""
    disabled: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)
    severities: dict[str, Severity] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    custom_rules: list[Rule] = field(default_factory=list)
    exceptions: list[PolicyException] = field(default_factory=list)
    expired: list[PolicyException] = field(default_factory=list)

    def apply_to_rules(self, rules: dict[str, Rule]) -> list[Rule]:
        """Built-in plus custom rules with enable/disable and severity overrides applied."""
        out = []
        for r in [*rules.values(), *self.custom_rules]:
            enabled = r.id in self.enabled or r.id not in self.disabled
            severity = self.severities.get(r.id, r.severity)
            if enabled != r.enabled or severity is not r.severity:
                r = Rule(**{**_rule_fields(r), "enabled": enabled, "severity": severity})
            out.append(r)
        return out

    def exception_for(self, rule_id: str, target: Target) -> PolicyException | None:
        return next((e for e in self.exceptions if e.matches(rule_id, target)), None)


def _rule_fields(r: Rule) -> dict[str, Any]:
    return {name: getattr(r, name) for name in Rule.__dataclass_fields__ if name[0] != "_"}


# ------------------------------------------------------------------------ loading


def _line_map(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _line_map(value, (*path, key.value), out)
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), out)


def _line_of(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def load_policy(path: Path, today: dt.date | None = None) -> Policy:
    """Read and validate a policy file; InputError naming file:line on any problem."""
    from jsonschema import Draft202012Validator, FormatChecker

    from seawall.inputs import load_yaml, read_text

    text = read_text(path, MAX_POLICY_BYTES)
    try:
        data = load_yaml(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}:{line}: invalid YAML ({reason})") from None
    if data is None:
        data = {}
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    validator = Draft202012Validator(POLICY_SCHEMA, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: _line_of(lines, tuple(e.path)))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(
            f"{path}:{_line_of(lines, tuple(first.path))}: {where}: {first.message}{more}"
        )
    today = today or dt.date.today()
    policy = Policy(source=str(path))
    rules_section = data.get("rules") or {}
    policy.disabled = set(rules_section.get("disable") or [])
    policy.enabled = set(rules_section.get("enable") or [])
    policy.severities = {
        k: Severity.parse(v) for k, v in (rules_section.get("severity") or {}).items()
    }
    policy.parameters = dict(data.get("parameters") or {})
    for index, entry in enumerate(data.get("custom_rules") or []):
        line = _line_of(lines, ("custom_rules", index, "expression"))
        policy.custom_rules.append(compile_custom_rule(entry, f"{path}:{line}"))
    ids = [r.id for r in policy.custom_rules]
    if len(ids) != len(set(ids)):
        raise InputError(f"{path}: custom rule ids must be unique")
    from seawall.hardening.engine import builtin_rules

    known = set(builtin_rules()) | set(ids)
    for section in ("disable", "enable", "severity"):
        entries = rules_section.get(section) or []
        for index, rule_id in enumerate(entries):
            if rule_id not in known:
                key = rule_id if isinstance(entries, dict) else index
                line = _line_of(lines, ("rules", section, key))
                raise InputError(
                    f"{path}:{line}: rules.{section}: unknown rule {rule_id!r} "
                    "(see seawall harden --list-rules)"
                )
    for index, entry in enumerate(data.get("exceptions") or []):
        line = _line_of(lines, ("exceptions", index))
        scope = entry["scope"]
        exception = PolicyException(
            rules=list(entry["rules"]),
            assets=list(scope.get("assets") or []),
            namespaces=list(scope.get("namespaces") or []),
            labels=dict(scope.get("labels") or {}),
            justification=entry["justification"],
            owner=entry["owner"],
            expires=dt.date.fromisoformat(entry["expires"]),
            line=line,
        )
        if exception.expires < today:
            policy.expired.append(exception)
        else:
            policy.exceptions.append(exception)
    return policy


# ------------------------------------------------------------------------ custom rules (CEL)

# Secondary views of a Kubernetes object: matched only by their own target kind.
_VIEWS = frozenset({POD, RBAC_ROLE, RBAC_BINDING})


def _cel_activation(target: Target) -> dict[str, Any]:
    from celpy.adapter import json_to_cel

    return {
        "object": json_to_cel({k: v for k, v in target.obj.items() if k[:1] != "\x00"}),
        "kind": json_to_cel(target.source_kind or target.kind),
        "name": json_to_cel(target.name),
        "namespace": json_to_cel(target.namespace or ""),
        "labels": json_to_cel(target.labels),
        "tags": json_to_cel(target.tags),
    }


# Steps (AST nodes visited, macro bodies included) one evaluation of a custom rule may take:
# ~2 s of cel-python. A rule over a 1,000-container pod takes ~21,000; nested macros
# (`[..10 items].all(a, [..].all(b, ...))` seven deep) ran for minutes per object.
# Strings, lists and maps built on the way cost one step per 16 items (bytes, characters).
CEL_STEP_BUDGET = 100_000


class _CelTooCostly(BaseException):
    """Raised out of a CEL evaluation over its budget. A BaseException: cel-python's
    function wrappers catch and log every Exception (with the object's values) first."""


@functools.cache
def _cel_environment_class() -> Any:
    """celpy.Environment whose evaluations stop after CEL_STEP_BUDGET steps."""
    import celpy
    from celpy.evaluation import Evaluator

    class BudgetedEvaluator(Evaluator):
        budget: list[int]

        def visit_children(self, tree: Any) -> Any:
            budget = self.budget
            budget[0] -= 1
            if budget[0] < 0:
                raise _CelTooCostly
            values = super().visit_children(tree)
            for value in values:
                # a value's size is paid for too: `reduce(r, i, "a", r + r)` over 32 items
                # builds a 4 GB string in 32 steps
                if isinstance(value, str | bytes | list | dict):
                    budget[0] -= len(value) >> 4
            return values

        def sub_evaluator(self, ast: Any) -> Evaluator:
            sub = BudgetedEvaluator(ast, activation=self.activation)
            sub.budget = self.budget  # one budget for the whole evaluation
            return sub

    class BudgetedRunner(celpy.InterpretedRunner):
        def evaluate(self, context: Any) -> Any:
            evaluator = BudgetedEvaluator(ast=self.ast, activation=self.new_activation())
            evaluator.budget = [CEL_STEP_BUDGET]
            return evaluator.evaluate(context)

    return functools.partial(celpy.Environment, runner_class=BudgetedRunner)


def compile_custom_rule(entry: dict[str, Any], where: str) -> Rule:
    """A Rule whose check evaluates the CEL expression (false -> finding)."""
    from celpy.celparser import CELParseError

    env = _cel_environment_class()()
    try:
        ast = env.compile(entry["expression"])
        program = env.program(ast)
    except CELParseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise InputError(f"{where}: invalid CEL in rule {entry['id']}: {first}") from None
    match = entry["match"]
    kinds = set(match["kinds"])
    namespaces = set(match.get("namespaces") or [])
    labels = dict(match.get("labels") or {})
    tags = dict(match.get("tags") or {})
    message = entry.get("message") or entry["title"]

    def check(target: Target, ctx: Context) -> Iterator[Violation]:
        # Explicit target kinds (k8s.pod, azure.webapp, dockerfile) or source kinds
        # (Deployment, azurerm_linux_web_app); a source kind never matches the pod view
        # of a workload, so a Deployment is checked once.
        by_source = target.kind not in _VIEWS and target.source_kind in kinds
        if target.kind not in kinds and not by_source:
            return
        if namespaces and (target.namespace or "default") not in namespaces:
            return
        if any(target.labels.get(k) != v for k, v in labels.items()):
            return
        if any(target.tags.get(k) != v for k, v in tags.items()):
            return
        try:
            result = program.evaluate(_cel_activation(target))
        except _CelTooCostly:
            ctx.parameters.setdefault("_cel_errors", []).append(
                f"{where}: rule {entry['id']} on {target.asset}: evaluation stopped after "
                f"{CEL_STEP_BUDGET} steps (the cost bound); not checked"
            )
            return
        except Exception as exc:  # CEL runtime errors (missing field, type mismatch)
            ctx.parameters.setdefault("_cel_errors", []).append(
                f"{where}: rule {entry['id']} on {target.asset}: {exc}"
            )
            return
        if isinstance(result, Exception):
            ctx.parameters.setdefault("_cel_errors", []).append(
                f"{where}: rule {entry['id']} on {target.asset}: {result}"
            )
            return
        if not bool(result):
            yield Violation("", message)

    all_targets = tuple(
        sorted(
            {
                K8S_OBJECT,
                POD,
                DOCKERFILE,
                *kinds,
                *_cloud_kinds(),
            }
        )
    )
    return Rule(
        id=entry["id"],
        title=entry["title"],
        severity=Severity.parse(entry["severity"]),
        targets=all_targets,
        check=check,
        layer=Layer(entry.get("layer", "platform")),
        remediation=entry.get("remediation", ""),
        mappings={"custom": list(entry.get("references") or [])},
        custom=True,
    )


def _cloud_kinds() -> list[str]:
    from seawall.hardening.normalize.cloud import AWS, TERRAFORM

    return (
        [kind for kind, _ in TERRAFORM.values()]
        + [kind for kind, _ in AWS.values()]
        + [
            "gcp.gke-autopilot",
            "azure.webapp",
            "azure.functionapp",
        ]
    )


# ------------------------------------------------------------------------ suppression


def suppression_for(
    finding: Finding, target: Target, policy: Policy | None, inline: dict[str, tuple[str, str]]
) -> Suppression | None:
    """Inline annotation first, then a live policy exception."""
    if finding.rule in inline:
        reason, where = inline[finding.rule]
        return Suppression(kind="annotation", reason=reason or "inline ignore", source=where)
    if policy is not None:
        exception = policy.exception_for(finding.rule, target)
        if exception is not None:
            return Suppression(
                kind="policy-exception",
                reason=exception.justification,
                source=f"{policy.source}:{exception.line}",
                expires=exception.expires.isoformat(),
                owner=exception.owner,
            )
    return None

"""The hardening engine: rules register by target kind and check normalised objects.

A *target* is one normalised object (a pod spec, an RBAC role, a Dockerfile, a cloud
service's settings) produced by `seawall.hardening.normalize` from whatever format it came
in. Rules never see the source format, so one rule checks a manifest, a live object, a
Terraform resource and a cloud API record of the same service alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from seawall.model import Finding, Layer, Location, Severity, Task

# Target kinds. Kubernetes: every object with a pod template is checked as "k8s.pod".
POD = "k8s.pod"
RBAC_ROLE = "k8s.rbac-role"
RBAC_BINDING = "k8s.rbac-binding"
K8S_OBJECT = "k8s.object"  # every Kubernetes object (metadata-level rules)
DOCKERFILE = "dockerfile"

LATEST_PSS_VERSION = (1, 37)


@dataclass(slots=True)
class Target:
    """One normalised object a rule checks.

    kind: the target kind (POD, RBAC_ROLE, DOCKERFILE, or a service catalog key such as
          "azure.webapp"); obj: the normalised dict; prefix: the field path of `obj` inside
    the source document, so findings name the offending field as the source spells it.
    """

    kind: str
    asset: str
    obj: dict[str, Any]
    path: str
    line: int | None = None
    prefix: str = ""
    source_kind: str = ""
    source_format: str = ""
    name: str = ""
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # field path (relative to obj) -> line, where the source format records it
    lines: dict[str, int] = field(default_factory=dict)
    # normalised field -> the field's path in the source format (cloud services)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Violation:
    """What a rule found: the offending field (relative to the target) and evidence."""

    field: str
    evidence: str
    line: int | None = None
    # the Checkov ids this violation corresponds to, when narrower than the rule's
    checkov: tuple[str, ...] = ()


@dataclass(slots=True)
class Context:
    """What a rule may consult besides the target: PSS version, policy parameters."""

    pss_version: tuple[int, int] = LATEST_PSS_VERSION
    parameters: dict[str, Any] = field(default_factory=dict)
    # `file:line: ...` for each (rule, target) a malformed field stopped (see evaluate)
    errors: list[str] = field(default_factory=list)


Check = Callable[[Target, Context], Iterable[Violation]]


@dataclass(slots=True)
class Rule:
    """A hardening rule and its equivalents in other tools and benchmarks.

    mappings keys: cis (list of "benchmark:section"), pss ("baseline/<control>"),
    checkov (CKV ids), azure_policy (definition GUIDs), nsa_cisa (section titles).
    """

    id: str
    title: str
    severity: Severity
    targets: tuple[str, ...]
    check: Check
    layer: Layer = Layer.PLATFORM
    remediation: str = ""
    mappings: dict[str, list[str]] = field(default_factory=dict)
    url: str = ""
    enabled: bool = True
    custom: bool = False
    _refs: tuple[str, ...] | None = None
    _mappings_copy: dict[str, list[str]] | None = None

    def mappings_view(self) -> dict[str, list[str]]:
        """The mappings as a sorted dict, built once (shared by every finding of the rule)."""
        if self._mappings_copy is None:
            self._mappings_copy = {k: list(v) for k, v in sorted(self.mappings.items())}
        return self._mappings_copy

    def checkov_ids(self) -> list[str]:
        return self.mappings_view().get("checkov", [])

    def references(self) -> tuple[str, ...]:
        if self._refs is not None:
            return self._refs
        refs: list[str] = []
        for key in ("pss", "cis", "checkov", "azure_policy", "nsa_cisa"):
            for value in self.mappings.get(key, []):
                refs.append(value if key == "checkov" else f"{_REF_PREFIX[key]}:{value}")
        if self.url:
            refs.append(self.url)
        self._refs = tuple(refs)
        return self._refs

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "targets": list(self.targets),
            "layer": self.layer.value,
            "remediation": self.remediation,
            "mappings": {k: list(v) for k, v in sorted(self.mappings.items())},
            "url": self.url,
            "custom": self.custom,
        }


_REF_PREFIX = {
    "pss": "pss",
    "cis": "cis",
    "azure_policy": "azure-policy",
    "nsa_cisa": "nsa-cisa",
}

_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    title: str,
    severity: Severity,
    targets: Iterable[str],
    *,
    layer: Layer = Layer.PLATFORM,
    remediation: str = "",
    url: str = "",
    **mappings: list[str] | str,
) -> Callable[[Check], Check]:
    """Decorator: register a built-in rule whose check is the decorated function."""

    def decorate(check: Check) -> Check:
        normalised = {k: [v] if isinstance(v, str) else list(v) for k, v in mappings.items()}
        if rule_id in _REGISTRY:
            raise ValueError(f"duplicate hardening rule id {rule_id}")
        _REGISTRY[rule_id] = Rule(
            id=rule_id,
            title=title,
            severity=severity,
            targets=tuple(targets),
            check=check,
            layer=layer,
            remediation=remediation,
            mappings=normalised,
            url=url,
        )
        return check

    return decorate


def builtin_rules() -> dict[str, Rule]:
    """Every built-in rule by id, module by module in RULE_MODULES order (imports the rule
    modules on first use; the order does not depend on which were imported first)."""
    from seawall.hardening.rules import RULE_MODULES, load_all

    load_all()
    rank = {name: index for index, name in enumerate(RULE_MODULES)}

    def module_rank(item: tuple[str, Rule]) -> int:
        return rank.get(item[1].check.__module__, len(rank))

    return dict(sorted(_REGISTRY.items(), key=module_rank))


def builtin_rules_for(kinds: Iterable[str]) -> dict[str, Rule]:
    """The built-in rules that check any of these target kinds, by id, in registration
    order (imports only the rule modules those kinds need)."""
    from seawall.hardening.rules import load_for

    wanted = set(kinds)
    load_for(wanted)
    return {rule_id: r for rule_id, r in _REGISTRY.items() if wanted.intersection(r.targets)}


def join_field(prefix: str, rel: str) -> str:
    if not prefix:
        return rel
    if not rel:
        return prefix
    return f"{prefix}{rel}" if rel.startswith("[") else f"{prefix}.{rel}"


def evaluate(
    targets: Iterable[Target],
    rules: Iterable[Rule],
    context: Context,
) -> Iterator[tuple[Rule, Target, Violation]]:
    """Run every enabled rule on every target of its kinds; yield what they report."""
    by_kind: dict[str, list[Rule]] = {}
    for r in rules:
        if not r.enabled:
            continue
        for kind in r.targets:
            by_kind.setdefault(kind, []).append(r)
    for target in targets:
        for r in by_kind.get(target.kind, ()):
            try:
                found = list(r.check(target, context))
            except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
                # a field of the wrong type (`verbs: 5`): name it, check everything else
                where = f"{target.path}:{target.line}" if target.line else target.path
                context.errors.append(
                    f"{where}: {r.id} could not check {target.asset}: malformed object "
                    f"({type(exc).__name__}), rule skipped for it"
                )
                continue
            for violation in found:
                yield r, target, violation


def to_finding(r: Rule, target: Target, violation: Violation, severity: Severity) -> Finding:
    """Turn a violation into the shared Finding record (type misconfiguration)."""
    source_field = target.fields.get(violation.field.split("[", 1)[0]) if target.fields else None
    if source_field is not None:
        violation_field = source_field + violation.field[len(violation.field.split("[", 1)[0]) :]
    else:
        violation_field = violation.field
    field_path = join_field(target.prefix, violation_field)
    line = violation.line or target.lines.get(violation.field) or target.line
    return Finding(
        type="misconfiguration",
        rule=r.id,
        title=r.title,
        severity=severity,
        asset=target.asset,
        layer=r.layer,
        task=Task.HARDENING,
        evidence=violation.evidence,
        remediation=r.remediation,
        references=r.references(),
        location=Location(path=target.path, line=line, field=field_path or None),
        details={
            "target_kind": target.kind,
            "source_kind": target.source_kind,
            "source_format": target.source_format,
            "name": target.name,
            "namespace": target.namespace,
            "mappings": r.mappings_view(),
            "checkov": list(violation.checkov) if violation.checkov else r.checkov_ids(),
        },
    )

"""RBAC: powerful role bindings, wildcard or dangerous permissions, anonymous subjects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawall.hardening.engine import RBAC_BINDING, RBAC_ROLE, Context, Target, Violation, rule
from seawall.model import Severity

NSA_RBAC = "Authentication and authorization: Role-based access control"
POWERFUL_ROLES = ("cluster-admin", "admin", "edit")
ANONYMOUS = ("system:anonymous", "system:unauthenticated")


def _subjects(target: Target) -> Iterator[tuple[int, dict[str, Any]]]:
    subjects = target.obj.get("subjects")
    for i, s in enumerate(subjects if isinstance(subjects, list) else []):
        if isinstance(s, dict):
            yield i, s


def _system_subject(subject: dict[str, Any]) -> bool:
    name = str(subject.get("name", ""))
    if subject.get("kind") == "ServiceAccount":
        return str(subject.get("namespace", "")) == "kube-system"
    return name.startswith("system:") and name not in ANONYMOUS


@rule(
    "rbac-powerful-role-binding",
    "Non-system subject bound to cluster-admin, admin or edit",
    Severity.HIGH,
    [RBAC_BINDING],
    remediation="Bind a narrowly scoped Role instead of cluster-admin/admin/edit.",
    cis=["k8s-1.10:5.1.1", "eks-1.8.0:4.1.1", "aks-1.8:4.1.1", "gke-1.9.0:4.1.1"],
    azure_policy="a3dc4946-dba6-43e6-950d-f96532848c9f",
    nsa_cisa=NSA_RBAC,
)
def powerful_binding(target: Target, ctx: Context) -> Iterator[Violation]:
    role = target.obj.get("roleRef")
    role_name = role.get("name") if isinstance(role, dict) else None
    if role_name not in POWERFUL_ROLES:
        return
    for i, s in _subjects(target):
        if not _system_subject(s):
            yield Violation(
                f"subjects[{i}]", f"{s.get('kind')} {s.get('name')} bound to {role_name}"
            )


@rule(
    "rbac-anonymous-subject",
    "Binding grants access to anonymous or unauthenticated users",
    Severity.CRITICAL,
    [RBAC_BINDING],
    remediation="Remove system:anonymous and system:unauthenticated from bindings.",
    cis=["gke-1.9.0:4.1.8", "gke-1.9.0:4.1.9"],
    nsa_cisa=NSA_RBAC,
)
def anonymous_subject(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, s in _subjects(target):
        if s.get("name") in ANONYMOUS:
            yield Violation(f"subjects[{i}].name", f"{s.get('kind')} {s.get('name')}")


def _rules(target: Target) -> Iterator[tuple[int, list[str], list[str]]]:
    rules = target.obj.get("rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(r, dict):
            continue
        verbs = [str(v) for v in r.get("verbs") or [] if v is not None]
        resources = [str(v) for v in r.get("resources") or [] if v is not None]
        yield i, verbs, resources


@rule(
    "rbac-wildcard",
    "Role grants wildcard verbs or resources",
    Severity.HIGH,
    [RBAC_ROLE],
    remediation="List the verbs and resources the role needs instead of '*'.",
    checkov="CKV_K8S_49",
    cis=["k8s-1.10:5.1.3", "eks-1.8.0:4.1.3", "aks-1.8:4.1.3", "gke-1.9.0:4.1.3"],
    nsa_cisa=NSA_RBAC,
)
def wildcard(target: Target, ctx: Context) -> Iterator[Violation]:
    rules = target.obj.get("rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(r, dict):
            continue
        for key in ("verbs", "resources", "apiGroups"):
            values = r.get(key)
            if isinstance(values, list) and "*" in values:
                yield Violation(f"rules[{i}].{key}", f"{key}: ['*']")


@rule(
    "rbac-secrets-read",
    "Role can read Secrets (get/list/watch)",
    Severity.MEDIUM,
    [RBAC_ROLE],
    remediation="Grant access to named secrets only (resourceNames), or none.",
    cis=["k8s-1.10:5.1.2", "eks-1.8.0:4.1.2", "aks-1.8:4.1.2", "gke-1.9.0:4.1.2"],
    nsa_cisa=NSA_RBAC,
)
def secrets_read(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, verbs, resources in _rules(target):
        if ("secrets" in resources or "*" in resources) and (
            {"get", "list", "watch", "*"} & set(verbs)
        ):
            yield Violation(f"rules[{i}]", f"verbs {verbs} on {resources}")


@rule(
    "rbac-pods-exec",
    "Role can exec or attach into pods, or proxy to nodes",
    Severity.HIGH,
    [RBAC_ROLE],
    remediation="Remove create on pods/exec, pods/attach and nodes/proxy.",
    checkov="CKV2_K8S_2",
    cis="k8s-1.10:5.1.10",
    nsa_cisa=NSA_RBAC,
)
def pods_exec(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, verbs, resources in _rules(target):
        hit = {"pods/exec", "pods/attach", "nodes/proxy", "*"} & set(resources)
        if hit and {"create", "get", "*"} & set(verbs):
            yield Violation(f"rules[{i}]", f"verbs {verbs} on {sorted(hit)}")


@rule(
    "rbac-escalate-bind-impersonate",
    "Role can escalate, bind or impersonate",
    Severity.HIGH,
    [RBAC_ROLE],
    remediation="Remove the escalate, bind and impersonate verbs.",
    checkov=["CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_3"],
    cis=["k8s-1.10:5.1.8", "eks-1.8.0:4.1.8", "aks-1.8:4.1.7", "gke-1.9.0:4.1.7"],
    nsa_cisa=NSA_RBAC,
)
def escalate_bind_impersonate(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, verbs, resources in _rules(target):
        hit = {"escalate", "bind", "impersonate"} & set(verbs)
        if hit:
            yield Violation(f"rules[{i}].verbs", f"verbs {sorted(hit)} on {resources}")

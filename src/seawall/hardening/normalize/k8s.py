"""Kubernetes objects (manifests or live) to pod, RBAC and object targets."""

from __future__ import annotations

from typing import Any

from seawall.hardening.engine import K8S_OBJECT, POD, RBAC_BINDING, RBAC_ROLE, Target
from seawall.model import SourceObject

DEFAULT_CLUSTER = "default"

# kind -> path from the object to its pod template (metadata + spec)
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
    "DeploymentConfig": ("spec", "template"),  # OpenShift
    "Rollout": ("spec", "template"),  # Argo Rollouts
}
RBAC_ROLES = ("Role", "ClusterRole")
RBAC_BINDINGS = ("RoleBinding", "ClusterRoleBinding")
CLUSTER_SCOPED = frozenset(
    {"ClusterRole", "ClusterRoleBinding", "Namespace", "Node", "PersistentVolume"}
)


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def k8s_asset_id(kind: str, name: str, namespace: str | None) -> str:
    """The inventory's id for a Kubernetes object: k8s:<cluster>/<ns>/<kind>/<name>."""
    ns = "" if kind in CLUSTER_SCOPED else (namespace or "default")
    return f"k8s:{DEFAULT_CLUSTER}/{ns}/{kind}/{name}"


def is_known_kind(kind: str) -> bool:
    return kind in POD_TEMPLATE_PATHS or kind in RBAC_ROLES or kind in RBAC_BINDINGS


def k8s_targets(obj: SourceObject, asset_id: str | None = None) -> list[Target]:
    body = obj.body if isinstance(obj.body, dict) else {}
    raw_meta = body.get("metadata")
    metadata: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    asset = asset_id or k8s_asset_id(obj.kind, obj.name, obj.namespace)
    common: dict[str, Any] = {
        "asset": asset,
        "path": obj.location.path,
        "line": obj.location.line,
        "source_kind": obj.kind,
        "source_format": obj.format,
        "name": obj.name,
        "namespace": obj.namespace,
        "labels": _str_map(metadata.get("labels")),
        "annotations": _str_map(metadata.get("annotations")),
    }
    targets = [Target(kind=K8S_OBJECT, obj=body, **common)]
    template_path = POD_TEMPLATE_PATHS.get(obj.kind)
    if template_path is not None:
        template: Any = body
        for key in template_path:
            template = template.get(key) if isinstance(template, dict) else None
        if isinstance(template, dict):
            # A template without a spec still runs a pod with every default (token
            # automount, default service account): check it as an empty spec.
            pod_meta = template.get("metadata")
            spec = template.get("spec")
            pod = {
                **template,
                "metadata": pod_meta if isinstance(pod_meta, dict) else {},
                "spec": spec if isinstance(spec, dict) else {},
            }
            pod_common = dict(common)
            # Inline ignores may sit on the object or on its pod template.
            pod_common["annotations"] = {
                **common["annotations"],
                **_str_map(pod["metadata"].get("annotations")),
            }
            targets.append(Target(kind=POD, obj=pod, prefix=".".join(template_path), **pod_common))
    elif obj.kind in RBAC_ROLES:
        targets.append(Target(kind=RBAC_ROLE, obj=body, **common))
    elif obj.kind in RBAC_BINDINGS:
        targets.append(Target(kind=RBAC_BINDING, obj=body, **common))
    return targets

"""Kubernetes objects declared with the Terraform kubernetes provider
(`kubernetes_deployment_v1`, `kubernetes_pod`, ...) turned into the manifest shape, so the
pod rules check them like YAML.

Blocks (lists of one dict in HCL/plan JSON) become mappings, or lists for the blocks that
repeat (`container` -> `containers`); block attribute names go from snake_case to the
API's camelCase. Map attributes (labels, annotations, node_selector) keep their keys.
"""

from __future__ import annotations

from typing import Any

from seawall.hardening.engine import Target
from seawall.model import Location, SourceObject

# resource type (without _v1) -> Kubernetes kind
KINDS = {
    "kubernetes_pod": "Pod",
    "kubernetes_deployment": "Deployment",
    "kubernetes_stateful_set": "StatefulSet",
    "kubernetes_daemonset": "DaemonSet",
    "kubernetes_daemon_set": "DaemonSet",
    "kubernetes_replication_controller": "ReplicationController",
    "kubernetes_job": "Job",
    "kubernetes_cron_job": "CronJob",
}
# repeated blocks: Terraform singular name -> API list name
LISTS = {
    "container": "containers",
    "init_container": "initContainers",
    "ephemeral_container": "ephemeralContainers",
    "volume": "volumes",
    "port": "ports",
    "env": "env",
    "env_from": "envFrom",
    "volume_mount": "volumeMounts",
    "toleration": "tolerations",
    "sysctl": "sysctls",
    "image_pull_secrets": "imagePullSecrets",
    "host_aliases": "hostAliases",
}
SPECIAL = {"host_pid": "hostPID", "host_ipc": "hostIPC"}
MAPS = frozenset({"labels", "annotations", "node_selector", "selector", "match_labels"})


def kubernetes_kind(resource_type: str) -> str | None:
    return KINDS.get(resource_type.removesuffix("_v1"))


def _camel(name: str) -> str:
    if name in SPECIAL:
        return SPECIAL[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _convert_block(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in block.items():
        if key in LISTS and isinstance(value, list):
            out[LISTS[key]] = [_convert_block(v) if isinstance(v, dict) else v for v in value]
        elif key in MAPS and isinstance(value, dict):
            out[_camel(key)] = value
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[_camel(key)] = _convert_block(value[0])  # a single nested block
        elif isinstance(value, dict) and key not in MAPS:
            out[_camel(key)] = _convert_block(value)
        else:
            out[_camel(key)] = value
    return out


def manifest(obj: SourceObject) -> dict[str, Any] | None:
    """The manifest-shaped body of a kubernetes_* Terraform resource, or None."""
    kind = kubernetes_kind(obj.kind)
    if kind is None or not isinstance(obj.body, dict):
        return None
    body = _convert_block(obj.body)
    body["kind"] = kind
    return body


def terraform_k8s_targets(obj: SourceObject, asset_id: str | None) -> list[Target]:
    from seawall.hardening.normalize.k8s import k8s_targets

    body = manifest(obj)
    if body is None:
        return []
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    converted = SourceObject(
        format="k8s",
        kind=str(body["kind"]),
        name=str(metadata.get("name") or obj.name) if isinstance(metadata, dict) else obj.name,
        body=body,
        location=Location(path=obj.location.path, line=obj.location.line),
        namespace=str(namespace) if namespace else None,
        address=obj.address,
    )
    targets = k8s_targets(converted, asset_id or obj.address)
    for target in targets:
        target.source_format = obj.format
        target.source_kind = obj.kind
    return targets

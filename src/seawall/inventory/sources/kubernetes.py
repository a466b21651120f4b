"""Kubernetes: manifests (multi-document YAML, `List`, Helm output), kubectl JSON dumps, live.

get_* reads files or the API, transform_objects turns SourceObjects into assets (pure),
load_file / collect_live put the two together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError, SeawallError, ServiceError
from seawall.inputs import NUMBER_TOO_LONG, iter_files, load_json, load_yaml, read_text
from seawall.inventory.base import InventoryPart
from seawall.inventory.redact import redacted_raw
from seawall.model import Asset, Location, Relation, SourceObject

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_CLUSTER = "default"

# kind -> path from the object to its pod spec
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "DeploymentConfig": ("spec", "template", "spec"),  # OpenShift apps.openshift.io/v1
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts argoproj.io/v1alpha1
}
_TEMPLATE_RE = re.compile(r"\{\{.*?\}\}", re.S)
_DOC_SEPARATOR = re.compile(r"^---(?:\s.*)?$")


# ---------------------------------------------------------------- get: files


def _split_documents(text: str) -> list[tuple[int, str]]:
    """Split multi-document YAML at `---` lines: (1-based first line, text) per document."""
    docs: list[tuple[int, str]] = []
    start = 1
    current: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.startswith("---") and _DOC_SEPARATOR.match(line.rstrip("\r\n")):
            docs.append((start, "".join(current)))
            current = []
            start = number + 1
            continue
        current.append(line)
    docs.append((start, "".join(current)))
    return docs


def _first_content_line(start: int, text: str) -> int:
    for offset, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return start + offset
    return start


def _objects_from_data(
    data: Any, path: Path, line: int | None, warnings: list[str]
) -> list[SourceObject]:
    if data is None:
        return []
    if not isinstance(data, dict):
        warnings.append(f"{path}:{line or 1}: not a Kubernetes object (a {type(data).__name__})")
        return []
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        warnings.append(f"{path}:{line or 1}: document has no `kind`, skipped")
        return []
    if kind == "List" or (kind.endswith("List") and isinstance(data.get("items"), list)):
        items = data.get("items")
        if not isinstance(items, list):
            warnings.append(f"{path}:{line or 1}: {kind} without an `items` array, skipped")
            return []
        found: list[SourceObject] = []
        for item in items:
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                item = {"kind": kind[: -len("List")], **item}
            found.extend(_objects_from_data(item, path, line, warnings))
        return found
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name = metadata.get("name") or metadata.get("generateName") or ""
    namespace = metadata.get("namespace")
    return [
        SourceObject(
            format="k8s",
            kind=kind,
            name=str(name),
            namespace=str(namespace) if namespace is not None else None,
            body=data,
            location=Location(path=str(path), line=line),
            address=f"{kind}/{namespace or ''}/{name}",
        )
    ]


def read_text_objects(text: str, path: Path) -> tuple[list[SourceObject], list[str]]:
    """Objects in one manifest text (YAML stream or JSON), with a warning per skipped part."""
    warnings: list[str] = []
    objects: list[SourceObject] = []
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = load_json(text)
        except json.JSONDecodeError as exc:
            return [], [f"{path}:{exc.lineno}: not valid JSON: {exc.msg}"]
        except ValueError:  # an integer past Python's 4,300-digit conversion limit
            return [], [f"{path}:1: not valid JSON: {NUMBER_TOO_LONG}, file skipped"]
        except RecursionError:
            return [], [f"{path}:1: JSON nested too deeply, file skipped"]
        for item in data if isinstance(data, list) else [data]:
            objects.extend(_objects_from_data(item, path, 1, warnings))
        return objects, warnings
    for start, doc in _split_documents(text):
        if not doc.strip():
            continue
        line = _first_content_line(start, doc)
        if _TEMPLATE_RE.search(doc):
            warnings.append(
                f"{path}:{line}: Helm/Go template (`{{{{ }}}}`) not rendered, skipped; "
                "run `helm template` and read its output"
            )
            continue
        try:
            data = load_yaml(doc)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            last = start + max(len(doc.splitlines()) - 1, 0)
            where = min(start + mark.line, last) if mark is not None else line
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            warnings.append(f"{path}:{where}: invalid YAML ({reason}), document skipped")
            continue
        objects.extend(_objects_from_data(data, path, line, warnings))
    return objects, warnings


def read_objects(path: Path) -> tuple[list[SourceObject], list[str]]:
    """Read Kubernetes objects from a manifest file or a directory of them.

    Handles multi-document YAML, `List` kinds, `kubectl get -A -o json` dumps and Helm
    output; documents with unrendered `{{ }}` templates, invalid YAML or no `kind` are
    skipped with a warning (file:line). Each object's Location has its document's line.
    Raises InputError only when `path` itself cannot be read.
    """
    if path.is_dir() and not path.is_symlink():
        objects: list[SourceObject] = []
        warnings: list[str] = []
        for file in iter_files(path, MANIFEST_SUFFIXES):
            try:
                found, notes = read_text_objects(read_text(file), file)
            except InputError as exc:
                warnings.append(str(exc))
                continue
            objects.extend(found)
            warnings.extend(notes)
        return objects, warnings
    return read_text_objects(read_text(path), path)


# ---------------------------------------------------------------- transform (pure)


def _dig(data: Any, keys: Iterable[str]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def pod_spec(obj: SourceObject) -> dict[str, Any] | None:
    """The pod spec of a workload object, or None for other kinds."""
    keys = _POD_SPEC_PATHS.get(obj.kind)
    if keys is None:
        return None
    spec = _dig(obj.body, keys)
    return spec if isinstance(spec, dict) else None


def pod_labels(obj: SourceObject) -> dict[str, str]:
    keys = _POD_SPEC_PATHS.get(obj.kind)
    if keys is None:
        return {}
    if obj.kind == "Pod":
        labels = _dig(obj.body, ("metadata", "labels"))
    else:
        labels = _dig(obj.body, (*keys[:-1], "metadata", "labels"))
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def container_images(spec: Mapping[str, Any]) -> list[str]:
    images: list[str] = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        containers = spec.get(field)
        for container in containers if isinstance(containers, list) else []:
            image = container.get("image") if isinstance(container, dict) else None
            if isinstance(image, str) and image not in images:
                images.append(image)
    return images


def _string_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _owned_by_controller(obj: SourceObject) -> bool:
    owners = _dig(obj.body, ("metadata", "ownerReferences"))
    return isinstance(owners, list) and any(
        isinstance(o, dict) and o.get("controller") for o in owners
    )


def workload_id(cluster: str, namespace: str | None, kind: str, name: str) -> str:
    return f"k8s:{cluster}/{namespace or 'default'}/{kind}/{name}"


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(str(k)) == str(v) for k, v in selector.items())


def _is_public_service(body: Mapping[str, Any]) -> bool:
    spec = body.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    annotations = _dig(body, ("metadata", "annotations"))
    annotations = annotations if isinstance(annotations, dict) else {}
    internal = any(
        "internal" in str(key).lower() and str(value).lower() in ("true", "0.0.0.0/0", "yes")
        for key, value in annotations.items()
    ) or any(
        str(key) == "networking.gke.io/load-balancer-type" and str(value).lower() == "internal"
        for key, value in annotations.items()
    )
    return spec.get("type") == "LoadBalancer" and not internal


def transform_objects(
    objects: Iterable[SourceObject], *, cluster: str = DEFAULT_CLUSTER, source: str = ""
) -> InventoryPart:
    """Turn Kubernetes objects into workload, identity and endpoint assets and relations."""
    objs = list(objects)
    part = InventoryPart()
    cluster_id = f"k8s:{cluster}"
    openshift = any(o.kind in ("DeploymentConfig", "Route") for o in objs)
    service_key = "kubernetes.openshift" if openshift else "kubernetes.self-managed"
    # ServiceAccount -> cloud identity annotations (IRSA, Azure WI, GKE WI)
    sa_cloud: dict[tuple[str, str], list[str]] = {}
    for o in objs:
        if o.kind != "ServiceAccount":
            continue
        annotations = _dig(o.body, ("metadata", "annotations")) or {}
        ids: list[str] = []
        if isinstance(annotations, dict):
            if annotations.get("eks.amazonaws.com/role-arn"):
                ids.append(str(annotations["eks.amazonaws.com/role-arn"]))
            if annotations.get("iam.gke.io/gcp-service-account"):
                ids.append(f"gcp-sa:{annotations['iam.gke.io/gcp-service-account']}")
            if annotations.get("azure.workload.identity/client-id"):
                ids.append(f"azure-client:{annotations['azure.workload.identity/client-id']}")
        sa_cloud[(o.namespace or "default", o.name)] = ids
    workloads: list[tuple[SourceObject, str, dict[str, str]]] = []
    for o in objs:
        spec = pod_spec(o)
        if spec is None or _owned_by_controller(o):
            continue
        wid = workload_id(cluster, o.namespace, o.kind, o.name)
        images = container_images(spec)
        namespace = o.namespace or "default"
        sa_name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        part.assets.append(
            Asset(
                id=wid,
                kind="workload",
                name=o.name,
                provider="kubernetes",
                service=service_key,
                account=cluster,
                source=source or o.location.path,
                tags=_string_map(_dig(o.body, ("metadata", "labels"))),
                properties={
                    "container": True,
                    "namespace": namespace,
                    "images": images,
                    "service_account": sa_name,
                    "host_network": bool(spec.get("hostNetwork")),
                    "raw": redacted_raw(o.body),
                    "raw_format": "k8s",
                    "raw_type": o.kind,
                    "location": {"path": o.location.path, "line": o.location.line},
                },
            )
        )
        part.relations.append(Relation(source=wid, kind="member-of", target=cluster_id))
        for image in images:
            part.relations.append(Relation(source=wid, kind="runs-image", target=image))
        sa_id = f"k8s-sa:{cluster}/{namespace}/{sa_name}"
        part.relations.append(Relation(source=wid, kind="uses-identity", target=sa_id))
        for cloud_id in sa_cloud.get((namespace, sa_name), []):
            part.relations.append(Relation(source=wid, kind="uses-identity", target=cloud_id))
        workloads.append((o, wid, pod_labels(o)))
    if workloads and source.startswith("live:"):  # manifests do not prove a cluster exists
        part.assets.append(
            Asset(
                id=cluster_id,
                kind="cluster",
                name=cluster,
                provider="kubernetes",
                service=service_key,
                account=cluster,
                source=source,
                properties={"container": True},
            )
        )
    # Exposure: LoadBalancer/NodePort Services and Ingresses/Routes in front of workloads
    services: dict[tuple[str, str], list[str]] = {}
    by_namespace: dict[str, list[tuple[str, dict[str, str]]]] = {}
    # (namespace, label, value) -> positions in by_namespace[namespace]: a Service looks at
    # the workloads carrying one of its selector's labels, not at every workload of its
    # namespace (5,000 Services x 5,000 Deployments in one namespace took 44 s)
    by_label: dict[tuple[str, str, str], list[int]] = {}
    for w, wid, labels in workloads:
        namespace = w.namespace or "default"
        listed = by_namespace.setdefault(namespace, [])
        for key, value in labels.items() if isinstance(labels, dict) else ():
            if isinstance(key, str) and isinstance(value, str):
                by_label.setdefault((namespace, key, value), []).append(len(listed))
        listed.append((wid, labels))
    for o in objs:
        if o.kind != "Service":
            continue
        namespace = o.namespace or "default"
        selector = _dig(o.body, ("spec", "selector")) or {}
        if not isinstance(selector, dict):
            selector = {}
        listed = by_namespace.get(namespace, [])
        postings = [by_label.get((namespace, str(k), str(v)), []) for k, v in selector.items()]
        candidates = min(postings, key=len) if postings else []
        targets = [listed[i][0] for i in candidates if _selector_matches(selector, listed[i][1])]
        services[(namespace, o.name)] = targets
        svc_type = _dig(o.body, ("spec", "type")) or "ClusterIP"
        if svc_type not in ("LoadBalancer", "NodePort"):
            continue
        endpoint_id = workload_id(cluster, namespace, "Service", o.name)
        public = _is_public_service(o.body)
        part.assets.append(
            _endpoint(endpoint_id, o, cluster, service_key, public, source, str(svc_type))
        )
        for wid in targets:
            part.relations.append(Relation(source=wid, kind="exposed-by", target=endpoint_id))
    for o in objs:
        if o.kind not in ("Ingress", "Route"):
            continue
        namespace = o.namespace or "default"
        backends = _ingress_backends(o)
        endpoint_id = workload_id(cluster, namespace, o.kind, o.name)
        part.assets.append(_endpoint(endpoint_id, o, cluster, service_key, True, source, o.kind))
        for backend in backends:
            for wid in services.get((namespace, backend), []):
                part.relations.append(Relation(source=wid, kind="exposed-by", target=endpoint_id))
    return part


def _endpoint(
    endpoint_id: str,
    o: SourceObject,
    cluster: str,
    service_key: str,
    public: bool,
    source: str,
    endpoint_type: str,
) -> Asset:
    return Asset(
        id=endpoint_id,
        kind="endpoint",
        name=o.name,
        provider="kubernetes",
        service=service_key,
        account=cluster,
        source=source or o.location.path,
        properties={
            "public": public,
            "type": endpoint_type,
            "namespace": o.namespace or "default",
            "raw": redacted_raw(o.body),
            "raw_format": "k8s",
            "raw_type": o.kind,
        },
    )


def _ingress_backends(o: SourceObject) -> list[str]:
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            service = node.get("service")
            if isinstance(service, dict) and isinstance(service.get("name"), str):
                names.append(service["name"])
            if isinstance(node.get("serviceName"), str):
                names.append(node["serviceName"])
            if o.kind == "Route" and node.get("kind") == "Service" and node.get("name"):
                names.append(str(node["name"]))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(o.body.get("spec") if isinstance(o.body, dict) else None)
    return names


# ---------------------------------------------------------------- load


def sniff(path: Path, head: bytes) -> bool:
    """Kubernetes manifests and dumps carry `apiVersion` and `kind` near the top."""
    if not path.name.lower().endswith(MANIFEST_SUFFIXES):
        return False
    text = head.decode("utf-8", "replace")
    return bool(
        # line start, or after `{`/`,` in compact one-line JSON (`kubectl ... | jq -c`)
        re.search(r'(^|\n|[{,])\s*"?apiVersion"?\s*:', text) and re.search(r'"?kind"?\s*:', text)
    ) and not re.search(r'"(format_version|terraform_version)"', text)


def load_file(path: Path, *, cluster: str = DEFAULT_CLUSTER) -> InventoryPart:
    """Read a manifest file or directory and transform it."""
    objects, warnings = read_objects(path)
    part = transform_objects(objects, cluster=cluster, source=str(path))
    part.warnings.extend(warnings)
    part.sources.append(str(path))
    return part


def load_files(files: list[Path], group: str = "") -> InventoryPart:
    """Read several manifest files as one set (Services and Ingresses find their workloads)."""
    objects: list[SourceObject] = []
    warnings: list[str] = []
    part = InventoryPart()
    for file in files:
        try:
            found, notes = read_objects(file)
        except InputError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        objects.extend(found)
        warnings.extend(notes)
        part.sources.append(str(file))
    loaded = transform_objects(objects, cluster=DEFAULT_CLUSTER)
    part.assets, part.relations = loaded.assets, loaded.relations
    part.warnings = warnings
    return part


def get_live_objects(context: str | None) -> tuple[list[SourceObject], str]:
    """List workload, Service, Ingress and ServiceAccount objects from a live cluster."""
    try:
        from kubernetes import client, config  # heavy import, live path only

        config.load_kube_config(context=context)  # type: ignore[no-untyped-call]
        _, active = config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
        cluster_name = context or str((active or {}).get("name") or DEFAULT_CLUSTER)
        api = client.ApiClient()
        core = client.CoreV1Api(api)
        apps = client.AppsV1Api(api)
        batch = client.BatchV1Api(api)
        net = client.NetworkingV1Api(api)
        listings = [
            ("Pod", core.list_pod_for_all_namespaces),
            ("Service", core.list_service_for_all_namespaces),
            ("ServiceAccount", core.list_service_account_for_all_namespaces),
            ("Deployment", apps.list_deployment_for_all_namespaces),
            ("StatefulSet", apps.list_stateful_set_for_all_namespaces),
            ("DaemonSet", apps.list_daemon_set_for_all_namespaces),
            ("ReplicaSet", apps.list_replica_set_for_all_namespaces),
            ("Job", batch.list_job_for_all_namespaces),
            ("CronJob", batch.list_cron_job_for_all_namespaces),
            ("Ingress", net.list_ingress_for_all_namespaces),
        ]
        objects: list[SourceObject] = []
        where = Path(f"live:kubernetes/{cluster_name}")
        for kind, call in listings:
            result = call()
            raw = api.sanitize_for_serialization(result)  # type: ignore[no-untyped-call]
            for item in raw.get("items", []):
                item.setdefault("kind", kind)
                objects.extend(_objects_from_data(item, where, None, []))
        return objects, cluster_name
    except SeawallError:
        raise
    except Exception as exc:  # kubeconfig missing, API unreachable, RBAC denied
        raise ServiceError(f"kubernetes (context {context or 'current'}): {exc}") from exc


def collect_live(**options: Any) -> InventoryPart:
    """Inventory a live cluster through kubeconfig (option `kube_context`)."""
    context = options.get("kube_context")
    objects, cluster = get_live_objects(str(context) if context else None)
    part = transform_objects(objects, cluster=cluster, source=f"live:kubernetes/{cluster}")
    part.sources.append(f"live:kubernetes/{cluster}")
    return part

"""Workload hygiene beyond the Pod Security Standards: runtime sockets, tokens, images,
secrets in the environment, resource limits, read-only root file systems, NET_RAW."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from seawall.hardening.engine import K8S_OBJECT, POD, Context, Target, Violation, rule
from seawall.hardening.rules.podspec import (
    container_sc,
    containers,
    name_of,
    spec_of,
    sub,
)
from seawall.model import Layer, Severity

NSA_POD = "Kubernetes Pod security: Pod security enforcement"
NSA_IMMUTABLE = "Kubernetes Pod security: Immutable container file systems"
NSA_IMAGES = "Kubernetes Pod security: Building secure container images"
NSA_AUTHN = "Authentication and authorization"
NSA_DOS = "Kubernetes Pod security: Pod security enforcement (resource policies)"

RUNTIME_SOCKETS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/k3s/containerd/containerd.sock",
)
# Mounting one of these directories exposes the socket inside it.
RUNTIME_SOCKET_DIRS = (
    "/var/run",
    "/run",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
)


@rule(
    "k8s-runtime-socket",
    "Container runtime socket mounted into the pod",
    Severity.CRITICAL,
    [POD],
    remediation="Do not mount the Docker/containerd/CRI-O socket; it grants root on the node.",
    checkov="CKV_K8S_27",
    azure_policy="098fc59e-46c7-4d99-9b16-64990e543d75",
    nsa_cisa=NSA_POD,
)
def runtime_socket(target: Target, ctx: Context) -> Iterator[Violation]:
    volumes = spec_of(target.obj).get("volumes")
    if not isinstance(volumes, list):
        return
    for i, v in enumerate(volumes):
        path = sub(v, "hostPath", "path")
        if not isinstance(path, str):
            continue
        clean = path.rstrip("/") or "/"
        if clean in RUNTIME_SOCKETS or clean in RUNTIME_SOCKET_DIRS or clean == "/":
            yield Violation(f"spec.volumes[{i}].hostPath.path", f"hostPath {path}")


@rule(
    "k8s-sa-token-automount",
    "Service account token is mounted automatically",
    Severity.LOW,
    [POD],
    remediation="Set automountServiceAccountToken: false unless the pod calls the API.",
    checkov="CKV_K8S_38",
    cis=["k8s-1.10:5.1.6", "eks-1.8.0:4.1.6", "aks-1.8:4.1.6", "gke-1.9.0:4.1.5"],
    azure_policy="423dd1ba-798e-40e4-9c4d-b6902674b423",
    nsa_cisa=NSA_AUTHN,
)
def sa_token_automount(target: Target, ctx: Context) -> Iterator[Violation]:
    if spec_of(target.obj).get("automountServiceAccountToken") is not False:
        yield Violation("spec.automountServiceAccountToken", "token automount not disabled")


@rule(
    "k8s-default-service-account",
    "Pod runs as the namespace's default service account",
    Severity.LOW,
    [POD],
    remediation="Create a dedicated ServiceAccount for the workload.",
    cis=["k8s-1.10:5.1.5", "eks-1.8.0:4.1.5", "aks-1.8:4.1.5", "gke-1.9.0:4.1.4"],
    nsa_cisa=NSA_AUTHN,
)
def default_service_account(target: Target, ctx: Context) -> Iterator[Violation]:
    spec = spec_of(target.obj)
    name = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if not name or name == "default":
        yield Violation("spec.serviceAccountName", f"service account {name or 'default'!r}")


@rule(
    "k8s-default-sa-automount",
    "Default service account mounts its token automatically",
    Severity.LOW,
    [K8S_OBJECT],
    remediation="Set automountServiceAccountToken: false on each namespace's default SA.",
    checkov="CKV_K8S_41",
    cis=["k8s-1.10:5.1.5", "eks-1.8.0:4.1.5", "aks-1.8:4.1.5", "gke-1.9.0:4.1.4"],
    nsa_cisa=NSA_AUTHN,
)
def default_sa_automount(target: Target, ctx: Context) -> Iterator[Violation]:
    if target.source_kind != "ServiceAccount" or target.name != "default":
        return
    if target.obj.get("automountServiceAccountToken") is not False:
        yield Violation("automountServiceAccountToken", "default SA token automount enabled")


SECRET_NAME = re.compile(
    r"(PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I
)


@rule(
    "k8s-secrets-in-env",
    "Secret passed in an environment variable",
    Severity.MEDIUM,
    [POD],
    remediation="Mount secrets as files (a secret volume) instead of environment variables.",
    checkov="CKV_K8S_35",
    cis=["k8s-1.10:5.4.1", "eks-1.8.0:4.4.1", "aks-1.8:4.5.1", "gke-1.9.0:4.4.1"],
    nsa_cisa="Kubernetes Pod security: Secrets",
)
def secrets_in_env(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        env = c.get("env")
        for i, var in enumerate(env if isinstance(env, list) else []):
            if not isinstance(var, dict):
                continue
            name = str(var.get("name", ""))
            if sub(var, "valueFrom", "secretKeyRef") is not None:
                yield Violation(
                    f"{path}.env[{i}].valueFrom.secretKeyRef",
                    f"container {name_of(c)!r} env {name} from a Secret",
                )
            elif isinstance(var.get("value"), str) and var["value"] and SECRET_NAME.search(name):
                yield Violation(
                    f"{path}.env[{i}].value",
                    f"container {name_of(c)!r} env {name} holds a literal secret",
                )
        env_from = c.get("envFrom")
        for i, source in enumerate(env_from if isinstance(env_from, list) else []):
            if isinstance(source, dict) and source.get("secretRef") is not None:
                yield Violation(
                    f"{path}.envFrom[{i}].secretRef",
                    f"container {name_of(c)!r} imports a whole Secret as env",
                )


def split_image(image: str) -> tuple[str, str, str | None, str | None]:
    """(registry, repository, tag, digest) with Docker's defaulting rules."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repo = first, rest
    else:
        registry, repo = "docker.io", image
    return registry, repo, tag, digest


@rule(
    "k8s-image-latest",
    "Image uses the latest tag or no tag",
    Severity.MEDIUM,
    [POD],
    layer=Layer.APPLICATION,
    remediation="Pin images to a version tag and, better, a digest.",
    checkov="CKV_K8S_14",
    azure_policy="021f8078-41a0-40e6-81b6-c6597da9f3ee",
    nsa_cisa=NSA_IMAGES,
)
def image_latest(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        image = c.get("image")
        if not isinstance(image, str) or not image:
            yield Violation(f"{path}.image", f"container {name_of(c)!r} has no image")
            continue
        _reg, _repo, tag, digest = split_image(image)
        if digest is None and (tag is None or tag == "latest"):
            yield Violation(f"{path}.image", f"image {image}")


@rule(
    "k8s-image-no-digest",
    "Image is not pinned by digest",
    Severity.LOW,
    [POD],
    layer=Layer.APPLICATION,
    remediation="Reference images as name@sha256:... so what runs is what was scanned.",
    checkov="CKV_K8S_43",
    nsa_cisa=NSA_IMAGES,
)
def image_no_digest(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        image = c.get("image")
        if not isinstance(image, str) or "@" not in image:
            yield Violation(f"{path}.image", f"image {image or '(none)'}")


def registry_trusted(image: str, trusted: list[str]) -> bool:
    registry, repo, _tag, _digest = split_image(image)
    full = f"{registry}/{repo}"
    for entry in trusted:
        entry = entry.rstrip("/")
        if full == entry or full.startswith(entry + "/") or registry == entry:
            return True
    return False


@rule(
    "k8s-untrusted-registry",
    "Image comes from a registry outside the trusted list",
    Severity.HIGH,
    [POD],
    layer=Layer.APPLICATION,
    remediation="Pull images only from the registries in the policy's trusted_registries.",
    cis=["eks-1.8.0:5.1.4", "aks-1.8:5.1.4", "gke-1.9.0:5.1.4"],
    azure_policy="febd0533-8e55-448f-b837-bd0e06f16469",
    nsa_cisa=NSA_IMAGES,
)
def untrusted_registry(target: Target, ctx: Context) -> Iterator[Violation]:
    trusted = ctx.parameters.get("trusted_registries") or []
    if not trusted:
        return  # no allow-list configured: nothing to compare against
    for path, c in containers(target.obj):
        image = c.get("image")
        if isinstance(image, str) and not registry_trusted(image, trusted):
            yield Violation(f"{path}.image", f"image {image} not from {', '.join(trusted)}")


def _resources(c: dict[str, Any], kind: str) -> dict[str, Any]:
    value = sub(c, "resources", kind)
    return value if isinstance(value, dict) else {}


@rule(
    "k8s-resource-limits",
    "Container has no CPU or memory limit",
    Severity.LOW,
    [POD],
    remediation="Set resources.limits.cpu and resources.limits.memory.",
    checkov=["CKV_K8S_11", "CKV_K8S_13"],
    azure_policy="e345eecc-fa47-480f-9e88-67dcc122b164",
    nsa_cisa=NSA_DOS,
)
def resource_limits(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        if path.startswith("spec.ephemeralContainers"):
            continue  # ephemeral containers may not set resources
        limits = _resources(c, "limits")
        for key, check in (("cpu", "CKV_K8S_11"), ("memory", "CKV_K8S_13")):
            if not limits.get(key):
                yield Violation(
                    f"{path}.resources.limits.{key}",
                    f"container {name_of(c)!r} has no {key} limit",
                    checkov=(check,),
                )


@rule(
    "k8s-resource-requests",
    "Container has no CPU or memory request",
    Severity.LOW,
    [POD],
    remediation="Set resources.requests.cpu and resources.requests.memory.",
    checkov=["CKV_K8S_10", "CKV_K8S_12"],
    nsa_cisa=NSA_DOS,
)
def resource_requests(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        if path.startswith("spec.ephemeralContainers"):
            continue
        requests = _resources(c, "requests")
        for key, check in (("cpu", "CKV_K8S_10"), ("memory", "CKV_K8S_12")):
            if not requests.get(key):
                yield Violation(
                    f"{path}.resources.requests.{key}",
                    f"container {name_of(c)!r} has no {key} request",
                    checkov=(check,),
                )


@rule(
    "k8s-readonly-root-fs",
    "Container root file system is writable",
    Severity.LOW,
    [POD],
    remediation="Set securityContext.readOnlyRootFilesystem: true; mount emptyDir for scratch.",
    checkov="CKV_K8S_22",
    azure_policy="df49d893-a74c-421d-bc95-c663042e5b80",
    nsa_cisa=NSA_IMMUTABLE,
)
def readonly_root_fs(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        if container_sc(c).get("readOnlyRootFilesystem") is not True:
            yield Violation(
                f"{path}.securityContext.readOnlyRootFilesystem",
                f"container {name_of(c)!r} root file system writable",
            )


@rule(
    "k8s-net-raw",
    "Container keeps the NET_RAW capability",
    Severity.MEDIUM,
    [POD],
    remediation="Drop NET_RAW (or ALL) in securityContext.capabilities.drop.",
    checkov="CKV_K8S_28",
    cis="k8s-1.10:5.2.8",
    azure_policy="a27c700f-8a22-44ec-961c-41625264370b",
    nsa_cisa=NSA_POD,
)
def net_raw(target: Target, ctx: Context) -> Iterator[Violation]:
    for path, c in containers(target.obj):
        caps = container_sc(c).get("capabilities")
        caps = caps if isinstance(caps, dict) else {}
        drop_raw = caps.get("drop")
        drop = [str(d) for d in drop_raw] if isinstance(drop_raw, list) else []
        add_raw = caps.get("add")
        add = [str(a) for a in add_raw] if isinstance(add_raw, list) else []
        if "NET_RAW" in add or "ALL" in add:
            yield Violation(
                f"{path}.securityContext.capabilities.add",
                f"container {name_of(c)!r} adds NET_RAW",
            )
        elif "ALL" not in drop and "NET_RAW" not in drop:
            yield Violation(
                f"{path}.securityContext.capabilities.drop",
                f"container {name_of(c)!r} does not drop NET_RAW",
            )

"""Terraform: `terraform show -json` plan and state, raw .tfstate, and HCL source.

read_resources turns any of them into SourceObjects (one per managed resource);
transform_resources maps resource types to service catalog keys and assets (pure).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.inputs import NUMBER_TOO_LONG, iter_files, load_json, read_text
from seawall.inventory.base import ControlState, InventoryPart
from seawall.inventory.fargate import fargate_agent_controls
from seawall.inventory.redact import redact_credentials
from seawall.inventory.sources.terraform_hcl import hcl_error_warning as hcl_error_warning
from seawall.inventory.sources.terraform_hcl import read_hcl_text as read_hcl_text
from seawall.model import Asset, Location, Relation, SourceObject

_UNRESOLVED = re.compile(r"\$\{")

# ---------------------------------------------------------------- get: files


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _module_resources(
    module: dict[str, Any], path: Path, fmt: str, objects: list[SourceObject]
) -> None:
    for resource in _as_list(module.get("resources")):
        if not isinstance(resource, dict) or resource.get("mode", "managed") != "managed":
            continue
        rtype = str(resource.get("type", ""))
        objects.append(
            SourceObject(
                format=fmt,
                kind=rtype,
                name=str(resource.get("name", "")),
                body=_as_dict(resource.get("values")),
                location=Location(path=str(path)),
                address=str(resource.get("address") or f"{rtype}.{resource.get('name')}"),
            )
        )
    for child in _as_list(module.get("child_modules")):
        if isinstance(child, dict):
            _module_resources(child, path, fmt, objects)


def _raw_state_resources(data: dict[str, Any], path: Path) -> list[SourceObject]:
    objects: list[SourceObject] = []
    for resource in _as_list(data.get("resources")):
        if not isinstance(resource, dict) or resource.get("mode", "managed") != "managed":
            continue
        rtype = str(resource.get("type", ""))
        name = str(resource.get("name", ""))
        prefix = f"{resource['module']}." if resource.get("module") else ""
        for instance in _as_list(resource.get("instances")):
            if not isinstance(instance, dict):
                continue
            key = instance.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key)}]"
            objects.append(
                SourceObject(
                    format="terraform-state",
                    kind=rtype,
                    name=name,
                    body=_as_dict(instance.get("attributes")),
                    location=Location(path=str(path)),
                    address=f"{prefix}{rtype}.{name}{suffix}",
                )
            )
    return objects


def read_json_resources(data: Any, path: Path) -> list[SourceObject]:
    """Resources of a `terraform show -json` plan/state document or a raw v4 .tfstate."""
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a Terraform JSON document")
    objects: list[SourceObject] = []
    if "planned_values" in data or "resource_changes" in data:
        root = _as_dict(_as_dict(data.get("planned_values")).get("root_module"))
        _module_resources(root, path, "terraform-plan", objects)
    elif "values" in data and "format_version" in data:
        root = _as_dict(_as_dict(data.get("values")).get("root_module"))
        _module_resources(root, path, "terraform-state", objects)
    elif "resources" in data and "version" in data:
        objects = _raw_state_resources(data, path)
    else:
        raise InputError(f"{path}: JSON is neither a Terraform plan nor a state")
    return objects


def read_resources(path: Path) -> tuple[list[SourceObject], list[str]]:
    """Read Terraform resources from a plan/state JSON file, a .tf file or a directory.

    Plan and state JSON recurse into child_modules; HCL is parsed with python-hcl2 and
    values that need evaluation are kept as unresolved `"${...}"` strings. A directory
    yields every *.tf and Terraform JSON file under it. Files that fail to parse are
    skipped with a warning; InputError only when `path` itself cannot be read.
    """
    if path.is_dir() and not path.is_symlink():
        objects: list[SourceObject] = []
        warnings: list[str] = []
        for file in iter_files(path, (".tf", ".tfstate", ".json")):
            if file.name.endswith(".json") and not _looks_terraform_json(file):
                continue
            try:
                found, notes = _read_file(file)
            except InputError as exc:
                warnings.append(str(exc))
                continue
            objects.extend(found)
            warnings.extend(notes)
        return objects, warnings
    return _read_file(path)


def _looks_terraform_json(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return sniff(path, head)


def _read_file(path: Path) -> tuple[list[SourceObject], list[str]]:
    text = read_text(path)
    if path.name.endswith(".tf"):
        return read_hcl_text(text, path)
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise InputError(f"{path}: not valid JSON: {NUMBER_TOO_LONG}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    return read_json_resources(data, path), []


# ---------------------------------------------------------------- transform (pure)


def _resolved(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not _UNRESOLVED.search(value)


def _first(value: Any) -> dict[str, Any]:
    """Terraform nested blocks are lists of objects; return the first (or {})."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def _redacted_body(o: SourceObject) -> Any:
    try:
        return redact_credentials(o.body)
    except RecursionError:
        raise InputError(f"{o.location.path}: {o.address}: values nested too deeply") from None


def _json_field(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return load_json(value)
        except (ValueError, RecursionError):
            return None
    return value


def _provider(rtype: str) -> str:
    if rtype.startswith("aws_"):
        return "aws"
    if rtype.startswith("azurerm_"):
        return "azure"
    if rtype.startswith("google_"):
        return "gcp"
    return "kubernetes"


def _docker_fx(value: Any) -> str | None:
    """`DOCKER|registry/image:tag` (linux_fx_version) -> the image reference."""
    if isinstance(value, str) and value.upper().startswith("DOCKER|"):
        return value.split("|", 1)[1]
    return None


def _join_image(registry: Any, name: Any, tag: Any = None) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    image = name
    if isinstance(registry, str) and registry:
        host = re.sub(r"^https?://", "", registry).rstrip("/")
        if host and not image.startswith(host):
            image = f"{host}/{image}"
    if isinstance(tag, str) and tag and ":" not in image.rsplit("/", 1)[-1]:
        image = f"{image}:{tag}"
    return image


def _app_service_images(body: dict[str, Any]) -> list[str]:
    site = _first(body.get("site_config"))
    images: list[str] = []
    for key in ("linux_fx_version", "windows_fx_version"):
        image = _docker_fx(site.get(key))
        if image:
            images.append(image)
    stack = _first(site.get("application_stack"))
    # azurerm_linux_web_app (v3/v4): docker_image_name + docker_registry_url
    image = _join_image(
        stack.get("docker_registry_url"),
        stack.get("docker_image_name") or stack.get("docker_image"),
        stack.get("docker_image_tag"),
    )
    if image:
        images.append(image)
    # azurerm_linux_function_app: application_stack.docker { registry_url image_name image_tag }
    for docker in _blocks(stack.get("docker")):
        image = _join_image(
            docker.get("registry_url"), docker.get("image_name"), docker.get("image_tag")
        )
        if image:
            images.append(image)
    return images


def _ecs_images(task_definition: dict[str, Any] | None) -> list[str]:
    if not task_definition:
        return []
    raw = task_definition.get("container_definitions")
    defs = _json_field(raw)
    if not isinstance(defs, list):
        # HCL: `jsonencode([{ image = "..." }])` stays an unevaluated expression
        return re.findall(r'"?image"?\s*[:=]\s*"([^"$]+)"', raw) if isinstance(raw, str) else []
    return [str(d["image"]) for d in defs if isinstance(d, dict) and d.get("image")]


def _is_fargate(service: dict[str, Any], task_definition: dict[str, Any] | None) -> bool:
    if str(service.get("launch_type") or "").upper() == "FARGATE":
        return True
    for strategy in _blocks(service.get("capacity_provider_strategy")):
        if str(strategy.get("capacity_provider", "")).upper().startswith("FARGATE"):
            return True
    if task_definition and not service.get("launch_type"):
        compat = task_definition.get("requires_compatibilities") or []
        return isinstance(compat, list) and compat == ["FARGATE"]
    return False


def _reference_target(value: Any, kind: str) -> str | None:
    """`${aws_ecs_task_definition.app.arn}` -> `app` (HCL references)."""
    if isinstance(value, str):
        match = re.search(rf"\$\{{{re.escape(kind)}\.([A-Za-z0-9_-]+)\.", value)
        if match:
            return match.group(1)
    return None


class _Classified:
    __slots__ = ("container", "images", "kind", "public", "service")

    def __init__(
        self,
        kind: str,
        service: str,
        images: list[str] | None = None,
        container: bool = True,
        public: bool | None = None,
    ) -> None:
        self.kind = kind
        self.service = service
        self.images = images or []
        self.container = container
        self.public = public


# Terraform kubernetes provider resources that run pods (with or without the _v1 suffix)
_TF_K8S_WORKLOADS = frozenset(
    {
        "kubernetes_deployment",
        "kubernetes_stateful_set",
        "kubernetes_daemon_set",
        "kubernetes_daemonset",
        "kubernetes_job",
        "kubernetes_cron_job",
        "kubernetes_pod",
        "kubernetes_replication_controller",
    }
)


def classify(obj: SourceObject, task_definitions: dict[str, dict[str, Any]]) -> _Classified | None:
    """Map one Terraform resource to (asset kind, service key, images, container?)."""
    t, b = obj.kind, obj.body if isinstance(obj.body, dict) else {}
    if t == "aws_eks_cluster":
        return _Classified("cluster", "aws.eks")
    if t in ("aws_eks_node_group", "aws_eks_fargate_profile"):
        return _Classified("node-pool", "aws.eks")
    if t == "aws_ecs_cluster":  # clusters mix launch types: each service is classified
        return _Classified("cluster", "")
    if t == "aws_ecs_service":
        ref = b.get("task_definition")
        td = task_definitions.get(_reference_target(ref, "aws_ecs_task_definition") or "")
        if td is None and isinstance(ref, str):
            td = task_definitions.get(ref) or task_definitions.get(ref.split(":")[0])
        service = "aws.ecs-fargate" if _is_fargate(b, td) else "aws.ecs-ec2"
        network = _first(b.get("network_configuration"))
        public = bool(network.get("assign_public_ip")) or bool(b.get("load_balancer"))
        return _Classified("workload", service, _ecs_images(td), public=public)
    if t == "aws_lambda_function":
        image = b.get("image_uri")
        is_image = str(b.get("package_type") or "Zip") == "Image"
        return _Classified(
            "workload",
            "aws.lambda",
            [image] if is_image and isinstance(image, str) else [],
            container=is_image,
        )
    if t == "aws_lambda_function_url":
        return _Classified(
            "endpoint", "aws.lambda", public=str(b.get("authorization_type")) == "NONE"
        )
    if t == "aws_apprunner_service":
        repo = _first(_first(b.get("source_configuration")).get("image_repository"))
        image = repo.get("image_identifier")
        return _Classified(
            "workload", "aws.apprunner", [image] if isinstance(image, str) else [], public=True
        )
    if t == "aws_batch_job_definition":
        props = _json_field(b.get("container_properties")) or {}
        image = props.get("image") if isinstance(props, dict) else None
        return _Classified("workload", "aws.batch", [image] if isinstance(image, str) else [])
    if t == "aws_elastic_beanstalk_environment":
        stack = str(b.get("solution_stack_name") or b.get("platform_arn") or "")
        return _Classified("workload", "aws.elasticbeanstalk", container="docker" in stack.lower())
    if t == "aws_sagemaker_model":
        images = [
            str(c["image"])
            for c in _blocks(b.get("primary_container")) + _blocks(b.get("container"))
            if c.get("image")
        ]
        return _Classified("workload", "aws.sagemaker", images)
    if t == "aws_ecr_repository":
        return _Classified("registry", "aws.ecr")
    if t == "azurerm_kubernetes_cluster":
        return _Classified("cluster", "azure.aks")
    if t == "azurerm_kubernetes_cluster_node_pool":
        return _Classified("node-pool", "azure.aks")
    if t == "azurerm_redhat_openshift_cluster":
        return _Classified("cluster", "azure.openshift")
    if t == "azurerm_container_registry":
        return _Classified("registry", "azure.acr")
    if t == "azurerm_container_group":
        images = [str(c["image"]) for c in _blocks(b.get("container")) if c.get("image")]
        public = str(b.get("ip_address_type") or "Public").lower() == "public"
        return _Classified("workload", "azure.aci", images, public=public)
    if t == "azurerm_container_app":
        template = _first(b.get("template"))
        images = [str(c["image"]) for c in _blocks(template.get("container")) if c.get("image")]
        ingress = _first(b.get("ingress"))
        return _Classified(
            "workload",
            "azure.containerapps",
            images,
            public=bool(ingress.get("external_enabled")) if ingress else False,
        )
    if t in (
        "azurerm_linux_web_app",
        "azurerm_windows_web_app",
        "azurerm_app_service",
        "azurerm_linux_function_app",
        "azurerm_windows_function_app",
        "azurerm_function_app",
    ):
        service = "azure.functionapp" if "function" in t else "azure.webapp"
        images = _app_service_images(b)
        public = b.get("public_network_access_enabled") is not False
        return _Classified("workload", service, images, container=bool(images), public=public)
    if t == "azurerm_batch_pool":
        container = bool(_first(b.get("container_configuration")))
        return _Classified("workload", "azure.batch", container=container)
    if t in ("azurerm_spring_cloud_service", "azurerm_spring_apps_service"):
        return _Classified("cluster", "azure.springapps")
    if t in ("azurerm_spring_cloud_app", "azurerm_spring_cloud_container_deployment"):
        image = b.get("image")
        return _Classified("workload", "azure.springapps", [image] if image else [])
    if t.startswith("kubernetes_") and t.removesuffix("_v1") in _TF_K8S_WORKLOADS:
        spec = _first(b.get("spec"))
        if t.removesuffix("_v1") == "kubernetes_cron_job":
            spec = _first(_first(spec.get("job_template")).get("spec"))
        pod = (
            spec
            if t.removesuffix("_v1") == "kubernetes_pod"
            else _first(_first(spec.get("template")).get("spec"))
        )
        images = [
            str(c["image"])
            for c in _blocks(pod.get("init_container")) + _blocks(pod.get("container"))
            if c.get("image")
        ]
        return _Classified("workload", "kubernetes.self-managed", images)
    if t == "google_container_cluster":
        autopilot = b.get("enable_autopilot") is True
        return _Classified("cluster", "gcp.gke-autopilot" if autopilot else "gcp.gke-standard")
    if t == "google_container_node_pool":
        return _Classified("node-pool", "gcp.gke-standard")
    if t == "google_cloud_run_v2_service":
        containers = _blocks(_first(b.get("template")).get("containers"))
        run_ingress = str(b.get("ingress") or "INGRESS_TRAFFIC_ALL")
        return _Classified(
            "workload",
            "gcp.cloudrun-service",
            [str(c["image"]) for c in containers if c.get("image")],
            # public only with an allUsers invoker too (see _public_run_services)
            public=False if run_ingress != "INGRESS_TRAFFIC_ALL" else None,
        )
    if t == "google_cloud_run_service":
        spec = _first(_first(b.get("template")).get("spec"))
        containers = _blocks(spec.get("containers"))
        return _Classified(
            "workload",
            "gcp.cloudrun-service",
            [str(c["image"]) for c in containers if c.get("image")],
        )
    if t == "google_cloud_run_v2_job":
        inner = _first(_first(b.get("template")).get("template"))
        containers = _blocks(inner.get("containers"))
        return _Classified(
            "workload", "gcp.cloudrun-job", [str(c["image"]) for c in containers if c.get("image")]
        )
    if t == "google_cloudfunctions2_function":
        return _Classified("workload", "gcp.cloudrun-functions")
    if t == "google_app_engine_flexible_app_version":
        image = _first(_first(b.get("deployment")).get("container")).get("image")
        return _Classified(
            "workload", "gcp.appengine-flex", [image] if isinstance(image, str) else []
        )
    if t == "google_artifact_registry_repository":
        if str(b.get("format") or "DOCKER").upper() != "DOCKER":
            return None
        return _Classified("registry", "gcp.artifactregistry")
    if t == "google_container_registry":
        return _Classified("registry", "gcp.gcr")
    return None


def _account_region(obj: SourceObject, provider: str) -> tuple[str | None, str | None]:
    b = obj.body if isinstance(obj.body, dict) else {}
    arn = b.get("arn")
    if provider == "aws" and _resolved(arn) and str(arn).startswith("arn:"):
        parts = str(arn).split(":")
        return (parts[4] or None, parts[3] or None) if len(parts) > 5 else (None, None)
    if provider == "azure":
        rid = b.get("id")
        match = re.match(r"/subscriptions/([^/]+)/", str(rid or ""), re.I)
        location = b.get("location")
        return (
            match.group(1).lower() if match else None,
            str(location) if _resolved(location) else None,
        )
    if provider == "gcp":
        project = b.get("project")
        location = b.get("location") or b.get("region")
        return (
            str(project) if _resolved(project) else None,
            str(location) if _resolved(location) else None,
        )
    return None, None


_GCP_SERVICE_HOSTS = {
    "google_container_cluster": "container.googleapis.com",
    "google_container_node_pool": "container.googleapis.com",
    "google_cloud_run_v2_service": "run.googleapis.com",
    "google_cloud_run_v2_job": "run.googleapis.com",
    "google_cloudfunctions2_function": "cloudfunctions.googleapis.com",
    "google_artifact_registry_repository": "artifactregistry.googleapis.com",
}


def _public_run_services(objs: Iterable[SourceObject]) -> set[str]:
    """Cloud Run services (by name or reference) that grant run.invoker to allUsers."""
    names: set[str] = set()
    for o in objs:
        if not o.kind.startswith(
            ("google_cloud_run_v2_service_iam", "google_cloud_run_service_iam")
        ):
            continue
        b = o.body if isinstance(o.body, dict) else {}
        members = [b.get("member"), *list(b.get("members") or [])]
        if str(b.get("role")) == "roles/run.invoker" and "allUsers" in members:
            target = b.get("name") or b.get("service")
            ref = _reference_target(target, "google_cloud_run_v2_service") or _reference_target(
                target, "google_cloud_run_service"
            )
            if ref:
                names.add(f"ref:{ref}")
            if isinstance(target, str):
                names.add(target.rsplit("/", 1)[-1])
    return names


def _site_containers(objs: Iterable[SourceObject]) -> dict[str, list[str]]:
    """Images of App Service site containers declared with azapi (`Microsoft.Web/sites/
    sitecontainers`), by the `<type>.<name>` of the web/function app in `parent_id`."""
    found: dict[str, list[str]] = {}
    for o in objs:
        b = o.body if isinstance(o.body, dict) else {}
        rtype = str(b.get("type") or "")
        if o.kind != "azapi_resource" or not rtype.lower().startswith(
            "microsoft.web/sites/sitecontainers"
        ):
            continue
        match = re.search(r"\$\{(azurerm_[a-z_]+)\.([A-Za-z0-9_-]+)\.id\}", str(b.get("parent_id")))
        body = _json_field(b.get("body"))
        props = body.get("properties") if isinstance(body, dict) else None
        image = props.get("image") if isinstance(props, dict) else None
        if match and isinstance(image, str) and image:
            found.setdefault(f"{match.group(1)}.{match.group(2)}", []).append(image)
    return found


def _asset_id(obj: SourceObject, provider: str, root: str) -> str:
    b = obj.body if isinstance(obj.body, dict) else {}
    host = _GCP_SERVICE_HOSTS.get(obj.kind)
    rid = b.get("id")
    if host and _resolved(rid) and str(rid).startswith("projects/"):
        return f"//{host}/{rid}"  # the Cloud Asset Inventory full resource name
    if provider == "aws" and _resolved(b.get("arn")):
        return str(b["arn"])
    if provider == "azure" and _resolved(b.get("id")) and str(b["id"]).startswith("/"):
        return str(b["id"]).lower()
    return f"tf:{root}/{obj.address or obj.kind + '.' + obj.name}"


def _display_name(obj: SourceObject) -> str:
    b = obj.body if isinstance(obj.body, dict) else {}
    for key in ("name", "function_name", "service_name", "cluster_name"):
        value = b.get(key)
        if isinstance(value, str) and value:
            return value
    return obj.name


def _controls(obj: SourceObject, provider: str, account: str | None) -> list[ControlState]:
    b = obj.body if isinstance(obj.body, dict) else {}
    scope = f"{provider}:{account or '*'}"
    source = obj.location.path
    states: list[ControlState] = []
    if obj.kind == "azurerm_security_center_subscription_pricing":
        plan = str(b.get("resource_type") or "VirtualMachines")
        status = "on" if str(b.get("tier") or "").lower() == "standard" else "off"
        key = {
            "Containers": "azure.defender-for-containers",
            "AppServices": "azure.defender-for-app-service",
            "CloudPosture": "azure.defender-cspm",
            "VirtualMachines": "azure.defender-for-servers",
        }.get(plan)
        if key:
            states.append(ControlState(control=key, scope=scope, status=status, source=source))
    elif obj.kind == "aws_guardduty_detector_feature":
        name = str(b.get("name") or "")
        status = "on" if str(b.get("status") or "").upper() == "ENABLED" else "off"
        if name == "EKS_AUDIT_LOGS":
            states.append(
                ControlState(
                    control="aws.guardduty-eks-audit-logs",
                    scope=scope,
                    status=status,
                    source=source,
                )
            )
        elif name in ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"):
            agents = {
                str(c.get("name")): str(c.get("status", "")).upper() == "ENABLED"
                for c in _blocks(b.get("additional_configuration"))
            }
            for control, agent in (
                ("aws.guardduty-eks-runtime", "EKS_ADDON_MANAGEMENT"),
                ("aws.guardduty-ecs-runtime", "ECS_FARGATE_AGENT_MANAGEMENT"),
                ("aws.guardduty-ec2-runtime", "EC2_AGENT_MANAGEMENT"),
            ):
                on = status == "on" and (agents.get(agent, name == "EKS_RUNTIME_MONITORING"))
                if name == "EKS_RUNTIME_MONITORING" and control != "aws.guardduty-eks-runtime":
                    continue
                details: dict[str, str] = {}
                if control == "aws.guardduty-ecs-runtime":  # decided per cluster by fargate.py
                    details = {
                        "runtime_monitoring": status,
                        "agent_management": "on" if agents.get(agent) else "off",
                    }
                states.append(
                    ControlState(
                        control=control,
                        scope=scope,
                        status="on" if on else "off",
                        source=source,
                        details=details,
                    )
                )
    elif obj.kind == "aws_inspector2_enabler":
        types = [str(t).upper() for t in b.get("resource_types") or [] if isinstance(t, str)]
        for control, rtype in (
            ("aws.inspector-ecr", "ECR"),
            ("aws.inspector-lambda", "LAMBDA"),
            ("aws.inspector-ec2", "EC2"),
        ):
            states.append(
                ControlState(
                    control=control,
                    scope=scope,
                    status="on" if rtype in types else "off",
                    source=source,
                )
            )
    elif obj.kind == "aws_securityhub_account":
        states.append(ControlState(control="aws.securityhub", scope=scope, status="on"))
    return states


def transform_resources(objects: Iterable[SourceObject], *, root: str = "") -> InventoryPart:
    """Map Terraform resources to assets (service catalog keys), relations and controls.

    Every resource that maps to a container service becomes an asset keeping its raw
    values in properties["raw"]; non-container variants (a Zip Lambda, a code-only Web
    App) are kept with properties["container"] = False so the inventory still lists them.
    """
    objs = list(objects)
    part = InventoryPart()
    task_definitions: dict[str, dict[str, Any]] = {}
    for o in objs:
        if o.kind == "aws_ecs_task_definition" and isinstance(o.body, dict):
            task_definitions[o.name] = o.body
            for key in ("arn", "family", "arn_without_revision"):
                if _resolved(o.body.get(key)):
                    task_definitions[str(o.body[key])] = o.body
    ids_by_address: dict[str, str] = {}
    public_run = _public_run_services(objs)
    site_containers = _site_containers(objs)
    for o in objs:
        provider = _provider(o.kind)
        account, region = _account_region(o, provider)
        part.controls.extend(_controls(o, provider, account))
        found = classify(o, task_definitions)
        if found is None:
            continue
        extra = site_containers.get(f"{o.kind}.{o.name}", [])
        if extra and found.service in ("azure.webapp", "azure.functionapp"):
            found.images = found.images + [i for i in extra if i not in found.images]
            found.container = True
        asset_id = _asset_id(o, provider, root)
        ids_by_address[f"{o.kind}.{o.name}"] = asset_id
        images = [i for i in found.images if isinstance(i, str) and i]
        properties: dict[str, Any] = {
            "container": found.container,
            "raw": _redacted_body(o),
            "raw_format": o.format,
            "raw_type": o.kind,
            "address": o.address,
            "location": {"path": o.location.path, "line": o.location.line},
        }
        if found.kind == "workload":
            properties["images"] = images
        if o.kind in ("google_cloud_run_v2_service", "google_cloud_run_service"):
            b = o.body if isinstance(o.body, dict) else {}
            run_name = b.get("name")
            invoker = f"ref:{o.name}" in public_run or (
                isinstance(run_name, str) and run_name in public_run
            )
            found.public = found.public is not False and invoker
        if o.kind == "google_container_cluster":
            posture = _first((o.body or {}).get("security_posture_config"))
            mode = str(posture.get("mode") or "").upper()
            if mode:
                part.controls.append(
                    ControlState(
                        control="gcp.gke-security-posture",
                        scope=asset_id,
                        status="off" if mode == "DISABLED" else "on",
                        source=o.location.path,
                        details={
                            "mode": mode,
                            "vulnerability_mode": str(posture.get("vulnerability_mode") or ""),
                        },
                    )
                )
        if found.public is not None:
            properties["public"] = found.public
        tags = o.body.get("tags") if isinstance(o.body, dict) else None
        part.assets.append(
            Asset(
                id=asset_id,
                kind=found.kind,
                name=_display_name(o),
                provider=provider,
                service=found.service,
                account=account,
                region=region,
                source=o.location.path,
                tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
                properties=properties,
            )
        )
        for image in images:
            part.relations.append(Relation(source=asset_id, kind="runs-image", target=image))
        if found.kind == "workload" and found.public:
            endpoint_id = f"{asset_id}#public-endpoint"
            part.assets.append(
                Asset(
                    id=endpoint_id,
                    kind="endpoint",
                    name=f"{_display_name(o)} (public)",
                    provider=provider,
                    service=found.service,
                    account=account,
                    region=region,
                    source=o.location.path,
                    properties={"public": True},
                )
            )
            part.relations.append(Relation(source=asset_id, kind="exposed-by", target=endpoint_id))
    # second pass: membership and identities by reference
    for o in objs:
        b = o.body if isinstance(o.body, dict) else {}
        source_id = ids_by_address.get(f"{o.kind}.{o.name}")
        if source_id is None:
            continue
        for key in ("cluster_name", "cluster", "kubernetes_cluster_id", "cluster_id"):
            for kind in (
                "aws_eks_cluster",
                "google_container_cluster",
                "azurerm_kubernetes_cluster",
                "aws_ecs_cluster",
            ):
                target = _reference_target(b.get(key), kind)
                if target and f"{kind}.{target}" in ids_by_address:
                    part.relations.append(
                        Relation(
                            source=source_id,
                            kind="member-of",
                            target=ids_by_address[f"{kind}.{target}"],
                        )
                    )
        role = b.get("role") or b.get("execution_role_arn") or b.get("task_role_arn")
        if _resolved(role) and str(role).startswith("arn:"):
            part.relations.append(
                Relation(source=source_id, kind="uses-identity", target=str(role))
            )
        service_account = _first(b.get("template")).get("service_account")
        if _resolved(service_account):
            part.relations.append(
                Relation(source=source_id, kind="uses-identity", target=f"gcp-sa:{service_account}")
            )
    part.controls.extend(fargate_agent_controls(part))
    return part


# ---------------------------------------------------------------- load


def sniff(path: Path, head: bytes) -> bool:
    """HCL files by suffix; JSON by Terraform's own top-level keys."""
    name = path.name.lower()
    if name.endswith(".tf") or name.endswith(".tfstate"):
        return True
    if not name.endswith(".json"):
        return False
    text = head.decode("utf-8", "replace")
    return bool(
        re.search(r'"(format_version|terraform_version)"\s*:', text)
        or re.search(r'"lineage"\s*:', text)
    )


def _root_name(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def load_file(path: Path) -> InventoryPart:
    """Read a plan/state JSON, a .tf file or a directory of .tf files, and transform it."""
    objects, warnings = read_resources(path)
    part = transform_resources(objects, root=_root_name(path))
    part.warnings.extend(warnings)
    part.sources.append(str(path))
    return part


def load_files(files: list[Path], group: str = "") -> InventoryPart:
    """Read the .tf files of one directory (a root module) as one set; JSON files alone."""
    part = InventoryPart()
    objects: list[SourceObject] = []
    for file in files:
        try:
            found, notes = _read_file(file)
        except InputError as exc:
            part.warnings.append(f"{exc}; skipped")
            continue
        if file.name.endswith(".tf"):
            objects.extend(found)
        else:
            json_part = transform_resources(found, root=file.stem)
            part.assets.extend(json_part.assets)
            part.relations.extend(json_part.relations)
            part.controls.extend(json_part.controls)
        part.warnings.extend(notes)
        part.sources.append(str(file))
    hcl_part = transform_resources(objects, root=group or "terraform")
    part.assets.extend(hcl_part.assets)
    part.relations.extend(hcl_part.relations)
    part.controls.extend(hcl_part.controls)
    return part


def collect_live(**options: Any) -> InventoryPart:
    """Terraform has no live API: state is read from files."""
    return InventoryPart()


def iter_tf_dirs(root: Path) -> Iterator[Path]:
    """Directories under `root` (inclusive) that hold *.tf files."""
    seen: set[Path] = set()
    for file in iter_files(root, (".tf",)):
        if file.parent not in seen:
            seen.add(file.parent)
            yield file.parent

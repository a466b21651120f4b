"""GCP: container services from Cloud Asset Inventory, and SCC / Container Threat Detection state.

Inputs: `gcloud asset export` output (JSON lines, snake_case outer fields: `asset_type`,
`resource.data`, `iam_policy`), `gcloud asset list --format=json` (a JSON array, camelCase:
`assetType`, `iamPolicy`), and Security Command Center service settings
(`containerThreatDetectionSettings`, or `securityCenterServices/container-threat-detection`
from the SCC management API). The resource `data` is the service's own API shape (camelCase).

get_* call Cloud Asset (google-cloud-asset); `transform_gcp_assets` is pure; `load_file` /
`collect_live` implement the inventory source contract.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.inventory.base import ControlState, InventoryPart
from seawall.inventory.redact import redacted_record
from seawall.inventory.sources._cloud import (
    PartBuilder,
    as_dict,
    as_list,
    gc_paused,
    parse_json,
    parse_json_lines,
    path_get,
    pick,
    read_export,
    text,
    unique,
)
from seawall.model import Asset
from seawall.progress import progress_bar

PROVIDER = "gcp"

ASSET_TYPES: tuple[str, ...] = (
    "container.googleapis.com/Cluster",
    "container.googleapis.com/NodePool",
    "run.googleapis.com/Service",
    "run.googleapis.com/Job",
    "cloudfunctions.googleapis.com/Function",
    "appengine.googleapis.com/Version",
    "batch.googleapis.com/Job",
    "aiplatform.googleapis.com/CustomJob",
    "aiplatform.googleapis.com/Endpoint",
    "artifactregistry.googleapis.com/Repository",
    "storage.googleapis.com/Bucket",
    "iam.googleapis.com/ServiceAccount",
    "serviceusage.googleapis.com/Service",
)
IAM_ASSET_TYPES: tuple[str, ...] = (
    "run.googleapis.com/Service",
    "cloudfunctions.googleapis.com/Function",
)
PUBLIC_MEMBERS = {"allusers", "allauthenticatedusers"}
INVOKER_ROLES = {"roles/run.invoker", "roles/cloudfunctions.invoker"}


# ---------------------------------------------------------------- offline


def _is_scc_settings(record: Any) -> bool:
    name = text(pick(record, "name"))
    return (
        "containerThreatDetectionSettings" in name
        or "/securityCenterServices/" in name
        or name.endswith("/billingMetadata")
    )


def sniff(path: Path, head: bytes) -> bool:
    """A Cloud Asset export/list, or SCC / Container Threat Detection settings."""
    sample = head[:65536]
    if b'"format_version"' in sample or b'"terraform_version"' in sample:
        return False
    asset = (b'"asset_type"' in sample or b'"assetType"' in sample) and b".googleapis.com/" in (
        sample
    )
    scc = (
        b"containerThreatDetectionSettings" in sample
        or b"/securityCenterServices/" in sample
        or (b"/billingMetadata" in sample and b'"billingTier"' in sample)
    )
    return asset or scc


def read_records(content: str, where: str) -> list[dict[str, Any]]:
    """Asset (or settings) records from a JSON array, a single object, or JSON lines."""
    stripped = content.lstrip()
    if stripped.startswith("["):
        document = parse_json(content, where)
        records = document
    elif stripped.startswith("{"):
        # one object (possibly pretty-printed), or JSON lines with one object per line
        first, _, rest = stripped.partition("\n")
        try:
            json.loads(first)
            lines = bool(rest.strip())
        except (ValueError, RecursionError):
            lines = False
        records = parse_json_lines(content, where) if lines else [parse_json(content, where)]
        if len(records) == 1 and isinstance(records[0], dict) and "assets" in records[0]:
            records = as_list(records[0]["assets"])  # a ListAssets REST response
    else:
        raise InputError(f"{where}: not a Cloud Asset export (expected JSON or JSON lines)")
    if not isinstance(records, list):
        raise InputError(f"{where}: not a Cloud Asset export")
    rows = [r for r in records if isinstance(r, dict)]
    if rows and not any(pick(r, "asset_type", "assetType") or _is_scc_settings(r) for r in rows):
        raise InputError(f"{where}: not a Cloud Asset export (no asset_type/assetType)")
    return rows


def load_file(path: Path) -> InventoryPart:
    """Inventory from a Cloud Asset export/list or SCC settings file."""
    with gc_paused():
        records = read_records(read_export(path), str(path))
        return transform_gcp_assets(records, source=str(path))


# ---------------------------------------------------------------- live


def _reason(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message[:160]}" if message else type(exc).__name__


def get_assets(client: Any, project: str) -> list[dict[str, Any]]:
    """Resources and IAM policies of the container-related asset types in `project`."""
    from google.cloud import asset_v1

    records: list[dict[str, Any]] = []
    for content_type, types in (
        (asset_v1.ContentType.RESOURCE, ASSET_TYPES),
        (asset_v1.ContentType.IAM_POLICY, IAM_ASSET_TYPES),
    ):
        request = asset_v1.ListAssetsRequest(
            parent=f"projects/{project}", asset_types=list(types), content_type=content_type
        )
        for item in client.list_assets(request=request):
            records.append(asset_v1.Asset.to_dict(item))
    return records


def collect_live(**options: Any) -> InventoryPart:
    """Collect through Cloud Asset with Application Default Credentials.

    Projects: `gcp_projects` option, else SEAWALL_GCP_PROJECTS (comma-separated).
    """
    projects = list(options.get("gcp_projects") or [])
    if not projects:
        configured = os.environ.get("SEAWALL_GCP_PROJECTS", "")
        projects = [p.strip() for p in configured.split(",") if p.strip()]
    part = InventoryPart(sources=["live:gcp"])
    if not projects:
        part.warnings.append("gcp: no project given (set SEAWALL_GCP_PROJECTS); GCP skipped")
        return part
    try:
        client = options.get("gcp_client") or _default_client()
    except Exception as exc:  # no ADC: GCP is skipped, the other clouds continue
        part.warnings.append(f"gcp: cannot authenticate ({_reason(exc)}); GCP skipped")
        return part
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    with progress_bar() as progress:
        task = progress.add_task("gcp", total=len(projects))
        for project in projects:
            progress.update(task, description=f"gcp {project}")
            try:
                records += get_assets(client, project)
            except Exception as exc:  # one refused project must not stop the others
                warnings.append(f"gcp: {project}: cannot list assets ({_reason(exc)}); skipped")
            progress.advance(task)
    part = transform_gcp_assets(records, source="live:gcp")
    part.warnings[:0] = warnings
    return part


def _default_client() -> Any:
    from google.cloud import asset_v1

    return asset_v1.AssetServiceClient()


# ---------------------------------------------------------------- transform (pure)


def _project(name: str) -> str:
    """`//run.googleapis.com/projects/p/locations/...` -> `p`."""
    parts = name.split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "projects" or (part == "apps" and "appengine.googleapis.com" in parts):
            return parts[index + 1]
    bucket = parts[-1] if "storage.googleapis.com" in parts else ""
    if bucket.endswith(".appspot.com") and "artifacts." in bucket:
        return bucket.removesuffix(".appspot.com").split("artifacts.", 1)[1]  # GCR bucket
    return ""


def _location(name: str, resource: dict[str, Any]) -> str:
    location = text(pick(resource, "location"))
    if location:
        return location
    parts = name.split("/")
    for index, part in enumerate(parts[:-1]):
        if part in {"locations", "zones", "regions"}:
            return parts[index + 1]
    return ""


def _asset_type(record: dict[str, Any]) -> str:
    return text(record.get("asset_type") or record.get("assetType"))


def _sa_project(email: str) -> str:
    """The project a service account e-mail belongs to (id, or number for default accounts)."""
    local, _, domain = email.partition("@")
    if domain.endswith(".iam.gserviceaccount.com"):
        return domain.removesuffix(".iam.gserviceaccount.com")
    if domain == "appspot.gserviceaccount.com":
        return local
    if domain == "developer.gserviceaccount.com":
        return local.removesuffix("-compute")
    return ""


def _sa(email: str) -> str:
    return f"gcp-sa:{email}" if email and email != "default" else ""


class _GcpTransform:
    def __init__(self, records: list[dict[str, Any]], source: str) -> None:
        self.records = records
        self.source = source
        self.out = PartBuilder(source)
        self.iam: dict[str, dict[str, Any]] = {}
        self.function_services: set[str] = set()
        self.run_images: dict[str, list[str]] = {}  # Cloud Run service name -> images
        self.project_ids: dict[str, str] = {}  # project number -> project id

    def project(self, name: str) -> str:
        """The project id of a resource name (numbers mapped to ids seen in the same input)."""
        project = _project(name)
        return self.project_ids.get(project, project)

    def asset(
        self,
        record: dict[str, Any],
        *,
        kind: str,
        service: str,
        asset_id: str = "",
        display: str = "",
        **props: Any,
    ) -> Asset:
        name = text(record.get("name"))
        resource = as_dict(record.get("resource"))
        data = as_dict(resource.get("data"))
        properties: dict[str, Any] = {k: v for k, v in props.items() if v is not None}
        properties["raw"] = redacted_record(record)
        properties["raw_format"] = "gcp-asset"
        properties["raw_type"] = _asset_type(record)
        labels = as_dict(data.get("labels") or as_dict(data.get("metadata")).get("labels"))
        asset = Asset(
            id=asset_id or name,
            kind=kind,
            name=display or name.rsplit("/", 1)[-1],
            provider=PROVIDER,
            service=service,
            account=self.project(name) or None,
            region=_location(name, resource) or None,
            source=self.source,
            tags={str(k): str(v) for k, v in labels.items()},
            properties=properties,
        )
        self.out.add_asset(asset)
        return asset

    def endpoint(self, owner: str, suffix: str, *, name: str, public: bool, **props: Any) -> None:
        endpoint_id = f"{owner}#{suffix}"
        self.out.add_asset(
            Asset(
                id=endpoint_id,
                kind="endpoint",
                name=name,
                provider=PROVIDER,
                account=_project(owner) or None,
                source=self.source,
                properties={"public": public, **{k: v for k, v in props.items() if v is not None}},
            )
        )
        self.out.relate(owner, "exposed-by", endpoint_id)

    def identity(self, workload: str, email: str, via: str = "") -> None:
        target = _sa(email)
        if not target:
            return
        if not self.out.has_asset(target):
            self.out.add_asset(
                Asset(
                    id=target,
                    kind="identity",
                    name=email,
                    provider=PROVIDER,
                    account=self.project_ids.get(_sa_project(email), _sa_project(email)) or None,
                    source=self.source,
                    properties={"type": "service-account"},
                )
            )
        self.out.relate(workload, "uses-identity", target, **({"via": via} if via else {}))

    def invoker_public(self, name: str) -> bool | None:
        """True if allUsers/allAuthenticatedUsers may invoke; None when no IAM policy was read."""
        policy = self.iam.get(name)
        if policy is None:
            return None
        for binding in as_list(policy.get("bindings")):
            binding = as_dict(binding)
            if text(binding.get("role")) in INVOKER_ROLES and any(
                text(m).lower() in PUBLIC_MEMBERS for m in as_list(binding.get("members"))
            ):
                return True
        return False

    def run(self) -> InventoryPart:
        for record in self.records:
            # serviceusage names carry the project number; other names carry the id
            parent = text(path_get(record, "resource", "parent"))
            project = _project(text(record.get("name")))
            if parent and project and not project.isdigit() and _project(parent).isdigit():
                self.project_ids[_project(parent)] = project
        for record in self.records:
            policy = pick(record, "iam_policy", "iamPolicy")
            if isinstance(policy, dict) and record.get("name"):
                self.iam[text(record["name"])] = policy
        for record in self.records:
            if _asset_type(record) == ("cloudfunctions.googleapis.com/Function"):
                service = text(path_get(record, "resource", "data", "serviceConfig", "service"))
                if service:
                    self.function_services.add(f"//run.googleapis.com/{service}")
        handlers = {
            "container.googleapis.com/Cluster": self.gke_cluster,
            "container.googleapis.com/NodePool": self.gke_node_pool_record,
            "run.googleapis.com/Service": self.run_service,
            "run.googleapis.com/Job": self.run_job,
            "cloudfunctions.googleapis.com/Function": self.function,
            "appengine.googleapis.com/Version": self.appengine_version,
            "batch.googleapis.com/Job": self.batch_job,
            "aiplatform.googleapis.com/CustomJob": self.vertex_custom_job,
            "aiplatform.googleapis.com/Endpoint": self.vertex_endpoint,
            "artifactregistry.googleapis.com/Repository": self.artifact_repository,
            "storage.googleapis.com/Bucket": self.gcr_bucket,
            "iam.googleapis.com/ServiceAccount": self.service_account,
            "serviceusage.googleapis.com/Service": self.enabled_service,
        }
        ordered = sorted(
            self.records,
            key=lambda r: _asset_type(r) != "run.googleapis.com/Service",
        )
        for record in ordered:
            if _is_scc_settings(record) and not _asset_type(record):
                self.scc_settings(record)
                continue
            if not isinstance(pick(record, "resource"), dict):
                continue  # an IAM-policy-only line
            handler = handlers.get(_asset_type(record))
            if handler is not None and record.get("name"):
                handler(record, as_dict(path_get(record, "resource", "data")))
        return self.out.part

    # -- GKE
    def gke_cluster(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        autopilot = bool(path_get(data, "autopilot", "enabled"))
        private = as_dict(data.get("privateClusterConfig"))
        authorized = as_dict(data.get("masterAuthorizedNetworksConfig"))
        posture = as_dict(data.get("securityPostureConfig"))
        cluster_service = "gcp.gke-autopilot" if autopilot else "gcp.gke-standard"
        self.asset(
            record,
            kind="cluster",
            service=cluster_service,
            version=data.get("currentMasterVersion"),
            autopilot=autopilot,
            private_nodes=bool(private.get("enablePrivateNodes")),
            workload_pool=path_get(data, "workloadIdentityConfig", "workloadPool"),
            security_posture=posture.get("mode"),
            vulnerability_mode=posture.get("vulnerabilityMode"),
            binary_authorization=path_get(data, "binaryAuthorization", "evaluationMode"),
        )
        self.endpoint(
            name,
            "api",
            name=f"{data.get('name') or name.rsplit('/', 1)[-1]} control plane",
            public=not bool(private.get("enablePrivateEndpoint")),
            ip=private.get("publicEndpoint") or data.get("endpoint"),
            authorized_networks=bool(authorized.get("enabled")),
        )
        for pool in as_list(data.get("nodePools")):
            if isinstance(pool, dict) and pool.get("name"):
                self.gke_node_pool(name, record, pool, cluster_service)
        if posture:
            mode = text(posture.get("mode")).upper()
            vuln = text(posture.get("vulnerabilityMode")).upper()
            on = mode not in {"", "DISABLED", "MODE_UNSPECIFIED"} or (
                vuln.startswith("VULNERABILITY_") and vuln != "VULNERABILITY_DISABLED"
            )
            self.out.part.controls.append(
                ControlState(
                    control="gcp.gke-security-posture",
                    scope=name,
                    status="on" if on else "off",
                    source=self.source,
                    details={"mode": mode, "vulnerability_mode": vuln},
                )
            )

    def gke_node_pool(
        self, cluster: str, record: dict[str, Any], pool: dict[str, Any], service: str
    ) -> None:
        pool_id = f"{cluster}/nodePools/{pool['name']}"
        config = as_dict(pool.get("config"))
        self.out.add_asset(
            Asset(
                id=pool_id,
                kind="node-pool",
                name=text(pool.get("name")),
                provider=PROVIDER,
                service=service,
                account=_project(cluster) or None,
                region=_location(cluster, as_dict(record.get("resource"))) or None,
                source=self.source,
                properties={
                    "image_type": config.get("imageType"),
                    "machine_type": config.get("machineType"),
                    "metadata_mode": path_get(config, "workloadMetadataConfig", "mode"),
                    "secure_boot": path_get(config, "shieldedInstanceConfig", "enableSecureBoot"),
                    "version": pool.get("version"),
                    "raw": pool,
                    "raw_format": "gcp-asset",
                    "raw_type": "container.googleapis.com/NodePool",
                },
            )
        )
        self.out.relate(pool_id, "member-of", cluster)
        self.identity(pool_id, text(config.get("serviceAccount")), "node")

    def gke_node_pool_record(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        cluster = name.split("/nodePools/", 1)[0]
        self.gke_node_pool(
            cluster,
            record,
            dict(data, name=data.get("name") or name.rsplit("/", 1)[-1]),
            "gcp.gke-standard",
        )

    # -- Cloud Run
    def run_service(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        metadata = as_dict(data.get("metadata"))
        if metadata:  # v1 (Knative) shape
            annotations = as_dict(metadata.get("annotations"))
            spec = as_dict(path_get(data, "spec", "template", "spec"))
            containers = as_list(spec.get("containers"))
            account = text(spec.get("serviceAccountName"))
            ingress = text(annotations.get("run.googleapis.com/ingress")) or "all"
            url = text(path_get(data, "status", "url"))
            managed_by = text(as_dict(metadata.get("labels")).get("goog-managed-by"))
        else:  # v2 shape
            template = as_dict(data.get("template"))
            containers = as_list(template.get("containers"))
            account = text(template.get("serviceAccount"))
            ingress = text(data.get("ingress")) or "INGRESS_TRAFFIC_ALL"
            url = text(data.get("uri"))
            managed_by = text(as_dict(data.get("labels")).get("goog-managed-by"))
        images = unique([text(as_dict(c).get("image")) for c in containers])
        self.run_images[name] = images
        if name in self.function_services:
            return  # the Cloud Run service behind a gen2 function: counted as the function
        ingress_all = ingress.lower() in {"all", "ingress_traffic_all"}
        unauthenticated = self.invoker_public(name)
        service = (
            "gcp.cloudrun-functions" if managed_by == "cloudfunctions" else ("gcp.cloudrun-service")
        )
        self.asset(
            record,
            kind="workload",
            service=service,
            images=images,
            ingress=ingress,
            unauthenticated_invoke=unauthenticated,
        )
        self.out.add_images(name, images)
        self.endpoint(
            name,
            "url",
            name=url or "service URL",
            public=ingress_all and bool(unauthenticated),
            url=url or None,
            ingress=ingress,
            unauthenticated=unauthenticated,
        )
        self.identity(name, account)

    def run_job(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        if data.get("metadata"):  # v1: spec.template.spec.template.spec.containers
            spec = as_dict(path_get(data, "spec", "template", "spec", "template", "spec"))
            containers = as_list(spec.get("containers"))
            account = text(spec.get("serviceAccountName"))
        else:  # v2: template.template.containers
            inner = as_dict(path_get(data, "template", "template"))
            containers = as_list(inner.get("containers"))
            account = text(inner.get("serviceAccount"))
        images = unique([text(as_dict(c).get("image")) for c in containers])
        self.asset(record, kind="workload", service="gcp.cloudrun-job", images=images)
        self.out.add_images(name, images)
        self.identity(name, account)

    def function(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        environment = text(data.get("environment")).upper()
        if environment != "GEN_2":
            return  # gen1 functions do not run in a customer-visible container
        config = as_dict(data.get("serviceConfig"))
        ingress = text(config.get("ingressSettings")) or "ALLOW_ALL"
        unauthenticated = self.invoker_public(name)
        run_service = text(config.get("service"))
        if unauthenticated is None and run_service:
            unauthenticated = self.invoker_public(f"//run.googleapis.com/{run_service}")
        # the image Cloud Build made sits on the Cloud Run service behind the function
        images = self.run_images.get(f"//run.googleapis.com/{run_service}", [])
        self.asset(
            record,
            kind="workload",
            service="gcp.cloudrun-functions",
            images=images,
            runtime=data.get("buildConfig", {}).get("runtime")
            if isinstance(data.get("buildConfig"), dict)
            else None,
            docker_repository=path_get(data, "buildConfig", "dockerRepository"),
            run_service=run_service or None,
            ingress=ingress,
        )
        self.out.add_images(name, images)
        url = text(config.get("uri")) or text(data.get("url"))
        self.endpoint(
            name,
            "url",
            name=url or "function URL",
            public=ingress == "ALLOW_ALL" and bool(unauthenticated),
            url=url or None,
            ingress=ingress,
            unauthenticated=unauthenticated,
        )
        self.identity(name, text(config.get("serviceAccountEmail")))

    # -- App Engine flexible
    def appengine_version(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        env = text(data.get("env")).lower()
        if env not in {"flex", "flexible"}:
            return
        name = text(record["name"])
        image = text(path_get(data, "deployment", "container", "image"))
        images = [image] if image else []
        self.asset(
            record,
            kind="workload",
            service="gcp.appengine-flex",
            images=images,
            runtime=data.get("runtime"),
            serving_status=data.get("servingStatus"),
        )
        self.out.add_images(name, images)
        self.identity(name, text(data.get("serviceAccount")))

    # -- Batch
    def batch_job(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        images: list[str] = []
        for group in as_list(data.get("taskGroups")):
            for runnable in as_list(path_get(group, "taskSpec", "runnables")):
                images.append(text(path_get(runnable, "container", "imageUri")))
        images = unique(images)
        if not images:
            return  # script-only jobs run no container
        self.asset(record, kind="workload", service="gcp.batch", images=images)
        self.out.add_images(name, images)
        policy = as_dict(data.get("allocationPolicy"))
        self.identity(name, text(path_get(policy, "serviceAccount", "email")))

    # -- Vertex AI
    def vertex_custom_job(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        spec = as_dict(data.get("jobSpec"))
        images: list[str] = []
        for pool in as_list(spec.get("workerPoolSpecs")):
            images.append(text(path_get(pool, "containerSpec", "imageUri")))
            images.append(text(path_get(pool, "pythonPackageSpec", "executorImageUri")))
        images = unique(images)
        self.asset(
            record,
            kind="workload",
            service="gcp.vertexai",
            display=text(data.get("displayName")),
            images=images,
            state=data.get("state"),
        )
        self.out.add_images(name, images)
        self.identity(name, text(spec.get("serviceAccount")))

    def vertex_endpoint(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        private = bool(data.get("network")) or bool(
            path_get(data, "privateServiceConnectConfig", "enablePrivateServiceConnect")
        )
        self.asset(
            record,
            kind="endpoint",
            service="gcp.vertexai",
            display=text(data.get("displayName")),
            public=not private,
            deployed_models=[
                text(as_dict(m).get("model")) for m in as_list(data.get("deployedModels"))
            ],
        )
        for model in as_list(data.get("deployedModels")):
            self.identity(name, text(as_dict(model).get("serviceAccount")))

    # -- registries
    def artifact_repository(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        if text(data.get("format")).upper() != "DOCKER":
            return
        self.asset(
            record,
            kind="registry",
            service="gcp.artifactregistry",
            mode=data.get("mode"),
            immutable_tags=path_get(data, "dockerConfig", "immutableTags"),
            vulnerability_scanning=path_get(
                data, "vulnerabilityScanningConfig", "effectiveEnablementState"
            ),
            kms_key=data.get("kmsKeyName"),
        )

    def gcr_bucket(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        bucket = text(data.get("name")) or text(record["name"]).rsplit("/", 1)[-1]
        # Container Registry stores images in artifacts.<project>.appspot.com buckets
        if not (bucket.startswith("artifacts.") or ".artifacts." in bucket):
            return
        if not bucket.endswith(".appspot.com"):
            return
        public = any(
            text(m).lower() in PUBLIC_MEMBERS
            for binding in as_list(as_dict(self.iam.get(text(record["name"]))).get("bindings"))
            for m in as_list(as_dict(binding).get("members"))
        )
        self.asset(record, kind="registry", service="gcp.gcr", bucket=bucket, public=public)

    def service_account(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        email = text(data.get("email"))
        if email:
            self.asset(
                record,
                kind="identity",
                service="",
                asset_id=_sa(email),
                display=email,
                disabled=data.get("disabled"),
            )

    # -- controls
    def enabled_service(self, record: dict[str, Any], data: dict[str, Any]) -> None:
        name = text(record["name"])
        api = name.rsplit("/", 1)[-1]
        if api != "containerscanning.googleapis.com":
            return
        state = text(data.get("state")).upper()
        self.out.part.controls.append(
            ControlState(
                control="gcp.artifact-analysis",
                scope=f"gcp:{self.project(name)}",
                status="on" if state == "ENABLED" else "off",
                source=self.source,
                details={"api": api, "state": state},
            )
        )

    def scc_scope(self, name: str) -> str:
        parts = name.split("/")
        for kind, prefix in (
            ("projects", "gcp:"),
            ("organizations", "gcp-org:"),
            ("folders", "gcp-folder:"),
        ):
            if kind in parts[:-1]:
                value = parts[parts.index(kind) + 1]
                return prefix + (
                    self.project_ids.get(value, value) if kind == "projects" else value
                )
        return ""

    def scc_control(self, control: str, scope: str, status: str, **details: str) -> None:
        self.out.part.controls.append(
            ControlState(
                control=control, scope=scope, status=status, source=self.source, details=details
            )
        )

    def scc_settings(self, record: dict[str, Any]) -> None:
        name = text(record.get("name"))
        scope = self.scc_scope(name)
        if name.endswith("/billingMetadata"):  # SCC management API GetBillingMetadata
            tier = text(record.get("billingTier")).upper()
            known = tier in {"STANDARD", "PREMIUM", "ENTERPRISE"}
            premium = tier in {"PREMIUM", "ENTERPRISE"}
            self.scc_control("gcp.scc-standard", scope, "on" if known else "unknown", tier=tier)
            self.scc_control(
                "gcp.scc-premium",
                scope,
                "on" if premium else "off" if known else "unknown",
                tier=tier,
            )
            return
        if "containerThreatDetectionSettings" not in name and (
            "container-threat-detection" not in name
        ):
            return
        state = text(pick(record, "effectiveEnablementState", "serviceEnablementState")).upper()
        status = {"ENABLED": "on", "DISABLED": "off"}.get(state, "unknown")
        self.scc_control("gcp.container-threat-detection", scope, status, state=state)


def transform_gcp_assets(records: list[dict[str, Any]], source: str = "") -> InventoryPart:
    """Assets, relations and control states from Cloud Asset / SCC records (pure)."""
    return _GcpTransform(records, source).run()

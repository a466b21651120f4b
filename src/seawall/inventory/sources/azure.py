"""Azure: container services from Azure Resource Graph results and Defender plan pricings.

Inputs: `az graph query` output (CLI 1.x: a JSON array; 2.x: `{"data": [...], "count": n}`),
ARM list responses (`{"value": [...]}`), and `az security pricing list` output. Types are
compared lower-cased (Resource Graph returns them so; ARM returns `Microsoft.Web/sites`).

get_* call Azure (azure-mgmt-resourcegraph with azure-identity); `transform_azure_resources`
is pure; `load_file` / `collect_live` implement the inventory source contract.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
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
    path_get,
    read_export,
    text,
    unique,
)
from seawall.model import Asset

PROVIDER = "azure"

# Defender for Cloud plan names (Microsoft.Security/pricings/<name>) -> control keys
DEFENDER_PLANS: dict[str, str] = {
    "containers": "azure.defender-for-containers",
    "appservices": "azure.defender-for-app-service",
    "cloudposture": "azure.defender-cspm",
    "virtualmachines": "azure.defender-for-servers",
}

# The resource types a live collection asks Resource Graph for.
RESOURCE_TYPES: tuple[str, ...] = (
    "microsoft.containerservice/managedclusters",
    "microsoft.containerinstance/containergroups",
    "microsoft.app/containerapps",
    "microsoft.app/jobs",
    "microsoft.app/managedenvironments",
    "microsoft.web/sites",
    "microsoft.web/sites/slots",
    "microsoft.web/sites/sitecontainers",
    "microsoft.containerregistry/registries",
    "microsoft.batch/batchaccounts/pools",
    "microsoft.appplatform/spring",
    "microsoft.appplatform/spring/apps/deployments",
    "microsoft.containerservice/managedclusters/agentpools",
    "microsoft.redhatopenshift/openshiftclusters",
    "microsoft.managedidentity/userassignedidentities",
)

RESOURCES_QUERY = (
    "resources | where type in~ ("
    + ", ".join(f"'{t}'" for t in RESOURCE_TYPES)
    + ") | project id, name, type, kind, location, resourceGroup, subscriptionId, tenantId,"
    " sku, identity, tags, properties"
)
PRICINGS_QUERY = (
    "securityresources | where type =~ 'microsoft.security/pricings'"
    " | project id, name, type, subscriptionId, properties"
)


# ---------------------------------------------------------------- offline


def sniff(path: Path, head: bytes) -> bool:
    """Resource Graph / ARM list / Defender pricing JSON (types like `microsoft.web/sites`)."""
    sample = head[:65536].lower()
    if b'"format_version"' in sample or b'"terraform_version"' in sample:
        return False
    if b'"$schema"' in sample and b"deploymenttemplate" in sample:
        return False  # an ARM template, not an inventory of what exists
    stripped = sample.lstrip()
    if not stripped.startswith((b"[", b"{")):
        return False
    return b'"type"' in sample and b'"microsoft.' in sample and b"/subscriptions/" in sample


def rows_of(document: Any, where: str) -> list[dict[str, Any]]:
    """The resource rows of any supported document shape."""
    if isinstance(document, list):
        rows = document
    elif isinstance(document, dict) and isinstance(document.get("data"), list):
        rows = document["data"]  # az graph query (CLI 2.x) / Resource Graph REST
    elif isinstance(document, dict) and isinstance(document.get("value"), list):
        rows = document["value"]  # ARM list response, az security pricing list
    elif isinstance(document, dict) and isinstance(document.get("data"), dict):
        # Resource Graph REST with resultFormat=table: {"columns": [...], "rows": [[...]]}
        table = document["data"]
        names = [text(as_dict(c).get("name")) for c in as_list(table.get("columns"))]
        rows = [dict(zip(names, row, strict=False)) for row in as_list(table.get("rows"))]
    elif isinstance(document, dict) and "id" in document and "type" in document:
        rows = [document]  # a single `az resource show`
    else:
        raise InputError(f"{where}: not an Azure Resource Graph or ARM result")
    return [row for row in rows if isinstance(row, dict)]


def load_file(path: Path) -> InventoryPart:
    """Inventory from a Resource Graph / ARM / Defender pricing export file."""
    with gc_paused():
        document = parse_json(read_export(path), str(path))
        return transform_azure_resources(rows_of(document, str(path)), source=str(path))


# ---------------------------------------------------------------- live


def _reason(exc: BaseException) -> str:
    """A secret-free reason: the exception class and the first line, trimmed."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message[:160]}" if message else type(exc).__name__


def get_resource_graph(
    client: Any, subscriptions: list[str], query: str, page_size: int = 1000
) -> list[dict[str, Any]]:
    """Every row of `query` over `subscriptions`, following skip tokens."""
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    rows: list[dict[str, Any]] = []
    skip_token: str | None = None
    while True:
        options = QueryRequestOptions(result_format="objectArray", top=page_size)
        if skip_token:
            options.skip_token = skip_token
        request = QueryRequest(subscriptions=subscriptions or None, query=query, options=options)
        response = client.resources(request)
        rows.extend(row for row in as_list(response.data) if isinstance(row, dict))
        skip_token = response.skip_token
        if not skip_token:
            return rows


def collect_live(**options: Any) -> InventoryPart:
    """Collect through Resource Graph with DefaultAzureCredential.

    Subscriptions: `azure_subscriptions` option, else SEAWALL_AZURE_SUBSCRIPTIONS
    (comma-separated), else every subscription the credential can read.
    """
    subscriptions = list(options.get("azure_subscriptions") or [])
    if not subscriptions:
        configured = os.environ.get("SEAWALL_AZURE_SUBSCRIPTIONS", "")
        subscriptions = [s.strip() for s in configured.split(",") if s.strip()]
    with _sdk_logging_quiet():
        try:
            client = options.get("azure_client") or _default_client(options)
            rows = get_resource_graph(client, subscriptions, RESOURCES_QUERY)
        except Exception as exc:  # a credential failure ends Azure, not the run
            part = InventoryPart(sources=["live:azure"])
            part.warnings.append(
                f"azure: cannot query Resource Graph ({_reason(exc)}); Azure skipped"
            )
            return part
        warnings: list[str] = []
        try:
            rows += get_resource_graph(client, subscriptions, PRICINGS_QUERY)
        except Exception as exc:  # Defender pricings need Security Reader; keep the resources
            warnings.append(f"azure: cannot read Defender pricings ({_reason(exc)})")
    part = transform_azure_resources(rows, source="live:azure")
    part.warnings[:0] = warnings
    return part


@contextlib.contextmanager
def _sdk_logging_quiet() -> Iterator[None]:
    """Silence the Azure SDK's own log records while collecting.

    DefaultAzureCredential logs every credential it tried as a multi-line WARNING (printed
    on stderr by logging's last-resort handler); seawall reports the failure as one line.
    """
    logger = logging.getLogger("azure")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _default_client(options: dict[str, Any]) -> Any:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resourcegraph import ResourceGraphClient

    credential = options.get("azure_credential") or DefaultAzureCredential()
    base_url = options.get("azure_endpoint") or "https://management.azure.com"
    return ResourceGraphClient(credential, base_url=base_url)


# ---------------------------------------------------------------- transform (pure)


def _lower_id(value: Any) -> str:
    return text(value).lower()


def _subscription(resource_id: str, row: dict[str, Any]) -> str:
    sub = text(row.get("subscriptionId"))
    if sub:
        return sub.lower()
    parts = resource_id.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else ""


def _docker_image(fx_version: str) -> str:
    """`DOCKER|registry/repo:tag` -> `registry/repo:tag` ('' for runtime stacks)."""
    kind, _, image = fx_version.partition("|")
    return image.strip() if kind.strip().upper() == "DOCKER" and image.strip() else ""


def _site_property(row: dict[str, Any], name: str) -> str:
    """A siteConfig value: ARM `siteConfig.<name>` or Resource Graph's name/value list."""
    props = as_dict(row.get("properties"))
    value = as_dict(props.get("siteConfig")).get(name)
    if isinstance(value, str) and value:
        return value
    for item in as_list(path_get(props, "siteProperties", "properties")):
        if isinstance(item, dict) and text(item.get("name")).lower() == name.lower():
            return text(item.get("value"))
    return ""


class _AzureTransform:
    def __init__(self, rows: list[dict[str, Any]], source: str) -> None:
        self.rows = rows
        self.source = source
        self.out = PartBuilder(source)
        self.site_containers: dict[str, list[dict[str, Any]]] = {}

    def asset(
        self, row: dict[str, Any], *, kind: str, service: str, asset_id: str = "", **props: Any
    ) -> Asset:
        resource_id = asset_id or _lower_id(row.get("id"))
        properties: dict[str, Any] = {k: v for k, v in props.items() if v is not None}
        properties["raw"] = redacted_record(row)
        properties["raw_format"] = "azure-graph"
        properties["raw_type"] = text(row.get("type")).lower()
        tags = as_dict(row.get("tags"))
        asset = Asset(
            id=resource_id,
            kind=kind,
            name=text(row.get("name")) or resource_id.rsplit("/", 1)[-1],
            provider=PROVIDER,
            service=service,
            account=_subscription(resource_id, row) or None,
            region=text(row.get("location")) or None,
            source=self.source,
            tags={str(k): str(v) for k, v in tags.items()},
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
                account=_subscription(owner, {}) or None,
                source=self.source,
                properties={"public": public, **{k: v for k, v in props.items() if v is not None}},
            )
        )
        self.out.relate(owner, "exposed-by", endpoint_id)

    def identities(self, resource_id: str, row: dict[str, Any]) -> None:
        identity = as_dict(row.get("identity"))
        kinds = text(identity.get("type")).lower()
        if "systemassigned" in kinds:
            # the ARM id of a system-assigned identity
            target = f"{resource_id}/providers/microsoft.managedidentity/identities/default"
            self.out.add_asset(
                Asset(
                    id=target,
                    kind="identity",
                    name=f"{text(row.get('name'))} (system-assigned)",
                    provider=PROVIDER,
                    account=_subscription(resource_id, row) or None,
                    source=self.source,
                    properties={
                        "type": "system-assigned",
                        "principal_id": text(identity.get("principalId")) or None,
                    },
                )
            )
            self.out.relate(resource_id, "uses-identity", target)
        for user_id, detail in as_dict(identity.get("userAssignedIdentities")).items():
            target = str(user_id).lower()
            if not self.out.has_asset(target):
                self.out.add_asset(
                    Asset(
                        id=target,
                        kind="identity",
                        name=target.rsplit("/", 1)[-1],
                        provider=PROVIDER,
                        account=_subscription(target, {}) or None,
                        source=self.source,
                        properties={
                            "type": "user-assigned",
                            "client_id": text(as_dict(detail).get("clientId")) or None,
                        },
                    )
                )
            self.out.relate(resource_id, "uses-identity", target)

    def run(self) -> InventoryPart:
        for row in self.rows:
            rtype = text(row.get("type")).lower()
            if rtype == "microsoft.web/sites/sitecontainers":
                parent = _lower_id(row.get("id")).split("/sitecontainers/", 1)[0]
                self.site_containers.setdefault(parent, []).append(row)
        handlers = {
            "microsoft.containerservice/managedclusters": self.aks,
            "microsoft.containerservice/managedclusters/agentpools": self.aks_pool_row,
            "microsoft.containerinstance/containergroups": self.aci,
            "microsoft.app/containerapps": self.container_app,
            "microsoft.app/jobs": self.container_app_job,
            "microsoft.app/managedenvironments": self.container_app_environment,
            "microsoft.web/sites": self.site,
            "microsoft.web/sites/slots": self.site,
            "microsoft.containerregistry/registries": self.acr,
            "microsoft.batch/batchaccounts/pools": self.batch_pool,
            "microsoft.appplatform/spring": self.spring,
            "microsoft.appplatform/spring/apps/deployments": self.spring_deployment,
            "microsoft.redhatopenshift/openshiftclusters": self.openshift,
            "microsoft.managedidentity/userassignedidentities": self.user_identity,
            "microsoft.security/pricings": self.pricing,
        }
        for row in self.rows:
            handler = handlers.get(text(row.get("type")).lower())
            if handler is not None and row.get("id"):
                handler(row)
        return self.out.part

    # -- AKS
    def aks(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        cluster_id = _lower_id(row.get("id"))
        api = as_dict(props.get("apiServerAccessProfile"))
        private = bool(api.get("enablePrivateCluster"))
        defender = path_get(props, "securityProfile", "defender", "securityMonitoring", "enabled")
        self.asset(
            row,
            kind="cluster",
            service="azure.aks",
            kubernetes_version=props.get("kubernetesVersion")
            or props.get("currentKubernetesVersion"),
            private_cluster=private,
            authorized_ip_ranges=api.get("authorizedIPRanges"),
            local_accounts_disabled=props.get("disableLocalAccounts"),
            azure_rbac=path_get(props, "aadProfile", "enableAzureRBAC"),
            defender_sensor=defender if isinstance(defender, bool) else None,
            workload_identity=path_get(props, "securityProfile", "workloadIdentity", "enabled"),
            network_policy=path_get(props, "networkProfile", "networkPolicy"),
        )
        fqdn = text(props.get("privateFQDN")) if private else text(props.get("fqdn"))
        self.endpoint(
            cluster_id,
            "api",
            name=f"{row.get('name')} API server",
            public=not private,
            fqdn=fqdn or None,
            authorized_ip_ranges=api.get("authorizedIPRanges"),
        )
        for pool in as_list(props.get("agentPoolProfiles")):
            if isinstance(pool, dict) and pool.get("name"):
                self.aks_pool(cluster_id, row, pool)
        self.identities(cluster_id, row)
        kubelet = as_dict(path_get(props, "identityProfile", "kubeletidentity"))
        kubelet_id = _lower_id(kubelet.get("resourceId"))
        if kubelet_id:
            self.out.add_asset(
                Asset(
                    id=kubelet_id,
                    kind="identity",
                    name=kubelet_id.rsplit("/", 1)[-1],
                    provider=PROVIDER,
                    account=_subscription(kubelet_id, {}) or None,
                    source=self.source,
                    properties={"type": "user-assigned", "role": "kubelet"},
                )
            )
            self.out.relate(cluster_id, "uses-identity", kubelet_id, via="kubelet")

    def aks_pool(self, cluster_id: str, row: dict[str, Any], pool: dict[str, Any]) -> None:
        pool_id = f"{cluster_id}/agentpools/{text(pool.get('name')).lower()}"
        self.out.add_asset(
            Asset(
                id=pool_id,
                kind="node-pool",
                name=text(pool.get("name")),
                provider=PROVIDER,
                service="azure.aks",
                account=_subscription(cluster_id, row) or None,
                region=text(row.get("location")) or None,
                source=self.source,
                properties={
                    "mode": pool.get("mode"),
                    "os_type": pool.get("osType"),
                    "os_sku": pool.get("osSKU"),
                    "vm_size": pool.get("vmSize"),
                    "count": pool.get("count"),
                    "node_image_version": pool.get("nodeImageVersion"),
                    "public_ip": bool(pool.get("enableNodePublicIP")),
                    "raw": pool,
                    "raw_format": "azure-graph",
                    "raw_type": "microsoft.containerservice/managedclusters/agentpools",
                },
            )
        )
        self.out.relate(pool_id, "member-of", cluster_id)

    def aks_pool_row(self, row: dict[str, Any]) -> None:
        pool_id = _lower_id(row.get("id"))
        cluster_id = pool_id.split("/agentpools/", 1)[0]
        pool = dict(as_dict(row.get("properties")), name=row.get("name"))
        self.aks_pool(cluster_id, row, pool)

    # -- ACI
    def aci(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        group_id = _lower_id(row.get("id"))
        containers = [as_dict(c) for c in as_list(props.get("containers"))]
        containers += [as_dict(c) for c in as_list(props.get("initContainers"))]
        images = unique([text(path_get(c, "properties", "image")) for c in containers])
        ip = as_dict(props.get("ipAddress"))
        public = text(ip.get("type")).lower() == "public"
        self.asset(
            row,
            kind="workload",
            service="azure.aci",
            images=images,
            os_type=props.get("osType"),
            sku=props.get("sku"),
            confidential=text(props.get("sku")).lower() == "confidential",
        )
        self.out.add_images(group_id, images)
        if ip:
            self.endpoint(
                group_id,
                "ip",
                name="container group IP",
                public=public,
                ip=ip.get("ip"),
                fqdn=ip.get("fqdn"),
                ports=ip.get("ports"),
            )
        self.identities(group_id, row)

    # -- Container Apps
    def container_app(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        app_id = _lower_id(row.get("id"))
        template = as_dict(props.get("template"))
        containers = as_list(template.get("containers")) + as_list(template.get("initContainers"))
        images = unique([text(as_dict(c).get("image")) for c in containers])
        ingress = as_dict(path_get(props, "configuration", "ingress"))
        self.asset(
            row,
            kind="workload",
            service="azure.containerapps",
            images=images,
            environment=_lower_id(props.get("managedEnvironmentId") or props.get("environmentId"))
            or None,
            registries=path_get(props, "configuration", "registries"),
        )
        self.out.add_images(app_id, images)
        environment = _lower_id(props.get("managedEnvironmentId") or props.get("environmentId"))
        if environment:
            self.out.relate(app_id, "member-of", environment)
        if ingress:
            self.endpoint(
                app_id,
                "ingress",
                name="ingress",
                public=bool(ingress.get("external")),
                fqdn=ingress.get("fqdn"),
                allow_insecure=ingress.get("allowInsecure"),
            )
        self.identities(app_id, row)

    def container_app_job(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        job_id = _lower_id(row.get("id"))
        template = as_dict(props.get("template"))
        containers = as_list(template.get("containers")) + as_list(template.get("initContainers"))
        images = unique([text(as_dict(c).get("image")) for c in containers])
        environment = _lower_id(props.get("environmentId") or props.get("managedEnvironmentId"))
        self.asset(
            row,
            kind="workload",
            service="azure.containerapps",
            images=images,
            environment=environment or None,
            trigger=path_get(props, "configuration", "triggerType"),
        )
        self.out.add_images(job_id, images)
        if environment:
            self.out.relate(job_id, "member-of", environment)
        self.identities(job_id, row)

    def container_app_environment(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        self.asset(
            row,
            kind="cluster",
            service="azure.containerapps",
            internal=path_get(props, "vnetConfiguration", "internal"),
            static_ip=props.get("staticIp"),
        )

    # -- App Service / Functions
    def site(self, row: dict[str, Any]) -> None:
        site_id = _lower_id(row.get("id"))
        kind = text(row.get("kind")).lower()
        linux_fx = _site_property(row, "linuxFxVersion")
        windows_fx = _site_property(row, "windowsFxVersion")
        images = [_docker_image(linux_fx), _docker_image(windows_fx)]
        sidecars = self.site_containers.get(site_id, [])
        images += [text(path_get(c, "properties", "image")) for c in sidecars]
        images = unique(images)
        # kind says "container" only sometimes; the fx version and site containers decide
        if not images and not sidecars and not linux_fx.upper().startswith("SITECONTAINERS"):
            return
        props = as_dict(row.get("properties"))
        service = "azure.functionapp" if "functionapp" in kind else "azure.webapp"
        self.asset(
            row,
            kind="workload",
            service=service,
            images=images,
            app_kind=kind or None,
            linux_fx_version=linux_fx or None,
            https_only=props.get("httpsOnly"),
            public_network_access=props.get("publicNetworkAccess"),
            server_farm=_lower_id(props.get("serverFarmId")) or None,
        )
        self.out.add_images(site_id, images)
        host = text(props.get("defaultHostName"))
        access = text(props.get("publicNetworkAccess")).lower()
        if host:
            self.endpoint(
                site_id,
                "site",
                name=host,
                public=access != "disabled",
                fqdn=host,
                https_only=props.get("httpsOnly"),
            )
        self.identities(site_id, row)

    # -- registries
    def acr(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        registry_id = _lower_id(row.get("id"))
        policies = as_dict(props.get("policies"))
        self.asset(
            row,
            kind="registry",
            service="azure.acr",
            login_server=props.get("loginServer"),
            sku=as_dict(row.get("sku")).get("name"),
            admin_user_enabled=props.get("adminUserEnabled"),
            public_network_access=props.get("publicNetworkAccess"),
            anonymous_pull=props.get("anonymousPullEnabled"),
            quarantine=path_get(policies, "quarantinePolicy", "status"),
            content_trust=path_get(policies, "trustPolicy", "status"),
        )
        server = text(props.get("loginServer"))
        if server:
            self.endpoint(
                registry_id,
                "login",
                name=server,
                public=text(props.get("publicNetworkAccess")).lower() != "disabled",
                fqdn=server,
            )
        self.identities(registry_id, row)

    # -- Batch
    def batch_pool(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        vm = as_dict(path_get(props, "deploymentConfiguration", "virtualMachineConfiguration"))
        containers = as_dict(vm.get("containerConfiguration"))
        if not containers:
            return  # a pool without a container configuration runs no containers
        pool_id = _lower_id(row.get("id"))
        images = unique([text(i) for i in as_list(containers.get("containerImageNames"))])
        self.asset(
            row,
            kind="workload",
            service="azure.batch",
            images=images,
            container_type=containers.get("type"),
            vm_size=props.get("vmSize"),
            node_image=path_get(vm, "imageReference", "offer"),
        )
        self.out.add_images(pool_id, images)
        self.out.relate(pool_id, "member-of", pool_id.split("/pools/", 1)[0])
        self.identities(pool_id, row)

    # -- Spring Apps
    def spring(self, row: dict[str, Any]) -> None:
        spring_id = _lower_id(row.get("id"))
        self.asset(
            row,
            kind="cluster",
            service="azure.springapps",
            sku=as_dict(row.get("sku")).get("tier"),
            vnet_injected=bool(
                path_get(row.get("properties"), "networkProfile", "serviceRuntimeSubnetId")
            ),
        )
        self.identities(spring_id, row)

    def spring_deployment(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        source = as_dict(props.get("source"))
        deployment_id = _lower_id(row.get("id"))
        image = ""
        custom = as_dict(source.get("customContainer"))
        if text(source.get("type")).lower() == "container" and custom:
            server = text(custom.get("server"))
            name = text(custom.get("containerImage"))
            image = f"{server}/{name}" if server and name else name
        images = [image] if image else []
        self.asset(
            row,
            kind="workload",
            service="azure.springapps",
            images=images,
            source_type=source.get("type"),
        )
        self.out.add_images(deployment_id, images)
        self.out.relate(deployment_id, "member-of", deployment_id.split("/apps/", 1)[0])

    # -- OpenShift
    def openshift(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        cluster_id = _lower_id(row.get("id"))
        api = as_dict(props.get("apiserverProfile"))
        self.asset(
            row,
            kind="cluster",
            service="azure.openshift",
            version=path_get(props, "clusterProfile", "version"),
        )
        visibility = text(api.get("visibility")).lower()
        self.endpoint(
            cluster_id,
            "api",
            name=f"{row.get('name')} API server",
            public=visibility == "public",
            url=api.get("url"),
        )
        for profile in as_list(props.get("ingressProfiles")):
            profile = as_dict(profile)
            self.endpoint(
                cluster_id,
                f"ingress-{text(profile.get('name')) or 'default'}",
                name=f"{row.get('name')} ingress",
                public=text(profile.get("visibility")).lower() == "public",
                ip=profile.get("ip"),
            )

    def user_identity(self, row: dict[str, Any]) -> None:
        props = as_dict(row.get("properties"))
        self.asset(
            row,
            kind="identity",
            service="",
            type="user-assigned",
            client_id=props.get("clientId"),
            principal_id=props.get("principalId"),
        )

    # -- Defender plans
    def pricing(self, row: dict[str, Any]) -> None:
        name = text(row.get("name")).lower()
        control = DEFENDER_PLANS.get(name)
        if control is None:
            return
        props = as_dict(row.get("properties"))
        subscription = _subscription(_lower_id(row.get("id")), row)
        tier = text(props.get("pricingTier"))
        details = {"pricing_tier": tier}
        if props.get("subPlan"):
            details["sub_plan"] = text(props.get("subPlan"))
        for extension in as_list(props.get("extensions")):
            extension = as_dict(extension)
            if extension.get("name"):
                details[f"extension:{extension['name']}"] = text(extension.get("isEnabled"))
        status = {"standard": "on", "free": "off"}.get(tier.lower(), "unknown")
        self.out.part.controls.append(
            ControlState(
                control=control,
                scope=f"azure:{subscription}",
                status=status,
                source=self.source,
                details=details,
            )
        )


def transform_azure_resources(rows: list[dict[str, Any]], source: str = "") -> InventoryPart:
    """Assets, relations and Defender control states from Resource Graph / ARM rows (pure)."""
    return _AzureTransform(rows, source).run()

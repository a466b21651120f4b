"""Cloud service settings: Terraform (HCL, plan, state), ARM / Resource Graph, AWS API /
Config and GCP Cloud Asset records of one service become the same normalised dict.

Each normaliser returns only the fields its source can tell; a field that is absent means
"unknown" and rules skip it. Terraform values that need evaluation (`${...}`) count as
unknown too. Where Terraform leaves an attribute out, the provider's default applies.

Normalised fields by target kind (service catalog key):
  azure.webapp / azure.functionapp: https_only, min_tls_version, ftps_state, auth_enabled,
      public_network_access, remote_debugging, cors_origins, managed_identity
  azure.acr: admin_enabled, anonymous_pull, public_network_access
  azure.aks: rbac_enabled, entra_id, local_accounts_disabled, authorized_ip_ranges,
      private_cluster, network_policy, azure_policy_addon, defender_profile
  azure.containerapps: external_ingress, allow_insecure
  azure.aci: public_ip
  aws.eks: endpoint_public, public_cidrs, log_types, secrets_encryption
  aws.ecr: scan_on_push, tag_immutable, kms_encryption
  aws.ecs-task-definition: network_mode, containers [{name, privileged, env: {name: value}}]
  aws.lambda: url_auth_type, env (function environment variables)
  aws.apprunner: public
  gcp.gke-standard / gcp.gke-autopilot: private_nodes, private_endpoint,
      authorized_networks, workload_identity, metadata_server, legacy_abac, basic_auth,
      client_cert, network_policy, binary_authorization, shielded_nodes
  gcp.cloudrun-service: ingress_all, public_invoker
  gcp.artifactregistry: public
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seawall.hardening.engine import Target
from seawall.inputs import load_json
from seawall.model import SourceObject

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
ECS_TASK_DEFINITION = "aws.ecs-task-definition"


# ------------------------------------------------------------------------ helpers


def unresolved(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def first(value: Any) -> dict[str, Any]:
    """A Terraform block (a list of one dict in HCL/plan JSON) or a mapping, as a dict."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def tf_bool(value: Any, default: bool | None) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if unresolved(value):
            return None
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
    return None


def tf_str(value: Any, default: str | None = None) -> str | None:
    if value is None:
        return default
    if unresolved(value):
        return None
    return str(value)


def ci(value: Any, *keys: str) -> Any:
    """Case-insensitive nested lookup (API records: camelCase, PascalCase or lower)."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        if key in value:
            value = value[key]
            continue
        lowered = key.lower()
        value = next((v for k, v in value.items() if str(k).lower() == lowered), None)
    return value


def _drop_unknown(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ------------------------------------------------------------------------ Terraform


def _tf_app(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    legacy = rtype in ("azurerm_app_service", "azurerm_function_app", "azurerm_app_service_slot")
    site = first(body.get("site_config"))
    tls = site.get("minimum_tls_version", site.get("min_tls_version"))
    auth = first(body.get("auth_settings"))
    auth_v2 = first(body.get("auth_settings_v2"))
    auth_enabled = tf_bool(auth.get("enabled"), None)
    if auth_v2:
        auth_enabled = tf_bool(auth_v2.get("auth_enabled"), False)
    remote = site.get("remote_debugging_enabled", body.get("remote_debugging_enabled"))
    cors = first(site.get("cors")).get("allowed_origins")
    identity = first(body.get("identity"))
    return _drop_unknown(
        {
            "https_only": tf_bool(body.get("https_only"), False),
            "min_tls_version": tf_str(tls, "1.2"),
            "ftps_state": tf_str(site.get("ftps_state"), "AllAllowed" if legacy else "Disabled"),
            "auth_enabled": auth_enabled if auth_enabled is not None else False,
            "public_network_access": tf_bool(body.get("public_network_access_enabled"), True),
            "remote_debugging": tf_bool(remote, False),
            "cors_origins": [str(o) for o in cors] if isinstance(cors, list) else [],
            "managed_identity": bool(tf_str(identity.get("type"))) if identity else False,
        }
    )


def _tf_acr(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    return _drop_unknown(
        {
            "admin_enabled": tf_bool(body.get("admin_enabled"), False),
            "anonymous_pull": tf_bool(body.get("anonymous_pull_enabled"), False),
            "public_network_access": tf_bool(body.get("public_network_access_enabled"), True),
        }
    )


def _tf_aks(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    rbac_block = first(body.get("role_based_access_control"))
    if "role_based_access_control_enabled" in body:
        rbac = tf_bool(body.get("role_based_access_control_enabled"), True)
    elif rbac_block:
        rbac = tf_bool(rbac_block.get("enabled"), True)
    else:
        rbac = True
    entra = bool(
        first(body.get("azure_active_directory_role_based_access_control"))
        or first(rbac_block.get("azure_active_directory"))
    )
    ranges = body.get("api_server_authorized_ip_ranges")
    if ranges is None:
        ranges = first(body.get("api_server_access_profile")).get("authorized_ip_ranges")
    addon = first(body.get("addon_profile"))
    policy_addon = tf_bool(body.get("azure_policy_enabled"), None)
    if policy_addon is None:
        policy_addon = tf_bool(first(addon.get("azure_policy")).get("enabled"), False)
    return _drop_unknown(
        {
            "rbac_enabled": rbac,
            "entra_id": entra,
            "local_accounts_disabled": tf_bool(body.get("local_account_disabled"), False),
            "authorized_ip_ranges": [str(r) for r in ranges] if isinstance(ranges, list) else [],
            "private_cluster": tf_bool(body.get("private_cluster_enabled"), False),
            "network_policy": tf_str(first(body.get("network_profile")).get("network_policy"))
            or "",
            "azure_policy_addon": policy_addon,
            "defender_profile": bool(first(body.get("microsoft_defender"))),
        }
    )


def _tf_container_app(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    ingress = first(body.get("ingress"))
    if not ingress:
        return {"external_ingress": False, "allow_insecure": False}
    return _drop_unknown(
        {
            "external_ingress": tf_bool(ingress.get("external_enabled"), False),
            "allow_insecure": tf_bool(ingress.get("allow_insecure_connections"), False),
        }
    )


def _tf_aci(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    ip_type = tf_str(body.get("ip_address_type"), "Public")
    return {} if ip_type is None else {"public_ip": ip_type.lower() == "public"}


def _tf_eks(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    vpc = first(body.get("vpc_config"))
    cidrs = vpc.get("public_access_cidrs")
    logs = body.get("enabled_cluster_log_types")
    encryption = body.get("encryption_config")
    secrets = False
    for block in encryption if isinstance(encryption, list) else [encryption]:
        resources = block.get("resources") if isinstance(block, dict) else None
        if isinstance(resources, list) and "secrets" in resources:
            secrets = True
    return _drop_unknown(
        {
            "endpoint_public": tf_bool(vpc.get("endpoint_public_access"), True),
            "public_cidrs": [str(c) for c in cidrs] if isinstance(cidrs, list) else ["0.0.0.0/0"],
            "log_types": [str(t) for t in logs] if isinstance(logs, list) else [],
            "secrets_encryption": secrets,
        }
    )


def _tf_ecr(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    scanning = first(body.get("image_scanning_configuration"))
    encryption = first(body.get("encryption_configuration"))
    mutability = tf_str(body.get("image_tag_mutability"), "MUTABLE")
    encryption_type = tf_str(encryption.get("encryption_type"), "AES256")
    return _drop_unknown(
        {
            "scan_on_push": tf_bool(scanning.get("scan_on_push"), False),
            "tag_immutable": None if mutability is None else mutability.startswith("IMMUTABLE"),
            "kms_encryption": None if encryption_type is None else encryption_type == "KMS",
        }
    )


def _jsonencode_literal(expression: str) -> Any:
    """The HCL literal inside `${jsonencode(...)}` as data (None when it is not one)."""
    prefix, suffix = "${jsonencode(", ")}"
    if not (expression.startswith(prefix) and expression.endswith(suffix)):
        return None
    from seawall.inventory.sources.hclfast import read_hcl  # python-hcl2 only on fallback

    try:
        parsed = read_hcl("x = " + expression[len(prefix) : -len(suffix)])
    except Exception:  # any parse failure: the value stays unknown
        return None
    return parsed.get("x") if isinstance(parsed, dict) else None


def _ecs_containers(definitions: Any) -> list[dict[str, Any]] | None:
    if isinstance(definitions, str) and definitions.startswith("${jsonencode("):
        definitions = _jsonencode_literal(definitions)
    if isinstance(definitions, str):
        if unresolved(definitions):
            return None
        try:
            definitions = load_json(definitions)
        except ValueError:
            return None
    if not isinstance(definitions, list):
        return None
    containers = []
    for d in definitions:
        if not isinstance(d, dict):
            continue
        env: dict[str, str] = {}
        for item in ci(d, "environment") or []:
            if isinstance(item, dict):
                env[str(ci(item, "name"))] = str(ci(item, "value"))
        containers.append(
            {
                "name": str(ci(d, "name") or "?"),
                "privileged": ci(d, "privileged") is True,
                "env": env,
            }
        )
    return containers


def _tf_ecs_task(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    return _drop_unknown(
        {
            "network_mode": tf_str(body.get("network_mode"), "bridge"),
            "containers": _ecs_containers(body.get("container_definitions")),
        }
    )


def _tf_lambda(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    variables = first(body.get("environment")).get("variables")
    return {"env": dict(variables) if isinstance(variables, dict) else {}}


def _tf_lambda_url(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    return _drop_unknown({"url_auth_type": tf_str(body.get("authorization_type"))})


def _tf_apprunner(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    ingress = first(first(body.get("network_configuration")).get("ingress_configuration"))
    return _drop_unknown({"public": tf_bool(ingress.get("is_publicly_accessible"), True)})


def _tf_gke(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    private = first(body.get("private_cluster_config"))
    node = first(body.get("node_config"))
    metadata = first(node.get("workload_metadata_config"))
    mode = metadata.get("mode", metadata.get("node_metadata"))
    master_auth = first(body.get("master_auth"))
    client_cert = first(master_auth.get("client_certificate_config"))
    binauthz = first(body.get("binary_authorization"))
    binauthz_on: bool | None
    if binauthz:
        binauthz_on = tf_bool(binauthz.get("enabled"), False) or str(
            binauthz.get("evaluation_mode", "")
        ).startswith("PROJECT_SINGLETON")
    else:
        binauthz_on = tf_bool(body.get("enable_binary_authorization"), False)
    identity = first(body.get("workload_identity_config"))
    netpol = tf_bool(first(body.get("network_policy")).get("enabled"), False)
    if body.get("datapath_provider") == "ADVANCED_DATAPATH":
        netpol = True  # Dataplane V2 enforces network policy
    autopilot = tf_bool(body.get("enable_autopilot"), False)
    values: dict[str, Any] = {
        "private_nodes": tf_bool(private.get("enable_private_nodes"), False),
        "private_endpoint": tf_bool(private.get("enable_private_endpoint"), False),
        "authorized_networks": bool(first(body.get("master_authorized_networks_config"))),
        "workload_identity": bool(
            identity.get("workload_pool") or identity.get("identity_namespace")
        )
        or bool(autopilot),
        "legacy_abac": tf_bool(body.get("enable_legacy_abac"), False),
        "basic_auth": bool(tf_str(master_auth.get("username"))),
        "client_cert": tf_bool(client_cert.get("issue_client_certificate"), False),
        "network_policy": netpol or bool(autopilot),
        "binary_authorization": binauthz_on,
        "shielded_nodes": tf_bool(body.get("enable_shielded_nodes"), True),
    }
    if not autopilot:
        values["metadata_server"] = mode in ("GKE_METADATA", "GKE_METADATA_SERVER")
    return _drop_unknown(values)


def _tf_gke_node_pool(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    node = first(body.get("node_config"))
    metadata = first(node.get("workload_metadata_config"))
    mode = metadata.get("mode", metadata.get("node_metadata"))
    return {"metadata_server": mode in ("GKE_METADATA", "GKE_METADATA_SERVER")}


def _tf_cloud_run(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    if rtype == "google_cloud_run_v2_service":
        ingress = tf_str(body.get("ingress"), "INGRESS_TRAFFIC_ALL")
        return _drop_unknown({"ingress_all": None if ingress is None else ingress.endswith("ALL")})
    annotations = first(body.get("metadata")).get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    ingress = tf_str(annotations.get("run.googleapis.com/ingress"), "all")
    return _drop_unknown({"ingress_all": None if ingress is None else ingress == "all"})


def _tf_iam_public(body: dict[str, Any], rtype: str) -> dict[str, Any]:
    members = body.get("members")
    members = list(members) if isinstance(members, list) else [body.get("member")]
    role = str(body.get("role", ""))
    public = any(str(m) in PUBLIC_MEMBERS for m in members)
    if "cloud_run" in rtype:
        return {"public_invoker": public and role in ("roles/run.invoker", "roles/run.admin")}
    return {"public": public}


TfNormaliser = Callable[[dict[str, Any], str], dict[str, Any]]

TERRAFORM: dict[str, tuple[str, TfNormaliser]] = {}
for _t in (
    "azurerm_app_service",
    "azurerm_app_service_slot",
    "azurerm_linux_web_app",
    "azurerm_windows_web_app",
    "azurerm_linux_web_app_slot",
    "azurerm_windows_web_app_slot",
):
    TERRAFORM[_t] = ("azure.webapp", _tf_app)
for _t in (
    "azurerm_function_app",
    "azurerm_function_app_slot",
    "azurerm_linux_function_app",
    "azurerm_windows_function_app",
    "azurerm_linux_function_app_slot",
    "azurerm_windows_function_app_slot",
):
    TERRAFORM[_t] = ("azure.functionapp", _tf_app)
TERRAFORM.update(
    {
        "azurerm_container_registry": ("azure.acr", _tf_acr),
        "azurerm_kubernetes_cluster": ("azure.aks", _tf_aks),
        "azurerm_container_app": ("azure.containerapps", _tf_container_app),
        "azurerm_container_group": ("azure.aci", _tf_aci),
        "aws_eks_cluster": ("aws.eks", _tf_eks),
        "aws_ecr_repository": ("aws.ecr", _tf_ecr),
        "aws_ecs_task_definition": (ECS_TASK_DEFINITION, _tf_ecs_task),
        "aws_lambda_function": ("aws.lambda", _tf_lambda),
        "aws_lambda_function_url": ("aws.lambda", _tf_lambda_url),
        "aws_apprunner_service": ("aws.apprunner", _tf_apprunner),
        "google_container_cluster": ("gcp.gke-standard", _tf_gke),
        "google_container_node_pool": ("gcp.gke-standard", _tf_gke_node_pool),
        "google_cloud_run_service": ("gcp.cloudrun-service", _tf_cloud_run),
        "google_cloud_run_v2_service": ("gcp.cloudrun-service", _tf_cloud_run),
        "google_cloud_run_service_iam_member": ("gcp.cloudrun-service", _tf_iam_public),
        "google_cloud_run_service_iam_binding": ("gcp.cloudrun-service", _tf_iam_public),
        "google_cloud_run_v2_service_iam_member": ("gcp.cloudrun-service", _tf_iam_public),
        "google_cloud_run_v2_service_iam_binding": ("gcp.cloudrun-service", _tf_iam_public),
        "google_artifact_registry_repository_iam_member": ("gcp.artifactregistry", _tf_iam_public),
        "google_artifact_registry_repository_iam_binding": (
            "gcp.artifactregistry",
            _tf_iam_public,
        ),
    }
)


# ------------------------------------------------------------------------ provider records


def _enabled(value: Any) -> bool | None:
    """ARM's "Enabled"/"Disabled" strings and booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "enabled"
    return None


def _arm_site(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    props = ci(record, "properties") or {}
    site = ci(props, "siteConfig") or {}
    kind = str(ci(record, "kind") or "")
    service = "azure.functionapp" if "functionapp" in kind.lower() else "azure.webapp"
    cors = ci(site, "cors", "allowedOrigins")
    identity = ci(record, "identity", "type")
    access = ci(props, "publicNetworkAccess")
    values = {
        "https_only": ci(props, "httpsOnly"),
        "min_tls_version": ci(site, "minTlsVersion"),
        "ftps_state": ci(site, "ftpsState"),
        "remote_debugging": ci(site, "remoteDebuggingEnabled"),
        "cors_origins": [str(o) for o in cors] if isinstance(cors, list) else None,
        "managed_identity": bool(identity) and str(identity).lower() != "none",
        "public_network_access": True if access in (None, "") else _enabled(access),
        "auth_enabled": ci(site, "siteAuthEnabled"),
    }
    return service, _drop_unknown(values)


def _arm_acr(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    props = ci(record, "properties") or {}
    return "azure.acr", _drop_unknown(
        {
            "admin_enabled": ci(props, "adminUserEnabled"),
            "anonymous_pull": ci(props, "anonymousPullEnabled"),
            "public_network_access": _enabled(ci(props, "publicNetworkAccess")),
        }
    )


def _arm_aks(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    props = ci(record, "properties") or {}
    ranges = ci(props, "apiServerAccessProfile", "authorizedIPRanges")
    return "azure.aks", _drop_unknown(
        {
            "rbac_enabled": ci(props, "enableRBAC"),
            "entra_id": bool(ci(props, "aadProfile")),
            "local_accounts_disabled": ci(props, "disableLocalAccounts") is True,
            "authorized_ip_ranges": [str(r) for r in ranges] if isinstance(ranges, list) else [],
            "private_cluster": ci(props, "apiServerAccessProfile", "enablePrivateCluster") is True,
            "network_policy": str(ci(props, "networkProfile", "networkPolicy") or ""),
            "azure_policy_addon": ci(props, "addonProfiles", "azurepolicy", "enabled") is True,
            "defender_profile": ci(
                props, "securityProfile", "defender", "securityMonitoring", "enabled"
            )
            is True,
        }
    )


def _arm_container_app(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ingress = ci(record, "properties", "configuration", "ingress") or {}
    return "azure.containerapps", {
        "external_ingress": ci(ingress, "external") is True,
        "allow_insecure": ci(ingress, "allowInsecure") is True,
    }


def _arm_aci(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ip_type = ci(record, "properties", "ipAddress", "type")
    return "azure.aci", {"public_ip": str(ip_type or "").lower() == "public"}


AZURE: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "microsoft.web/sites": _arm_site,
    "microsoft.web/sites/slots": _arm_site,
    "microsoft.containerregistry/registries": _arm_acr,
    "microsoft.containerservice/managedclusters": _arm_aks,
    "microsoft.app/containerapps": _arm_container_app,
    "microsoft.containerinstance/containergroups": _arm_aci,
}


def _aws_eks(body: dict[str, Any]) -> dict[str, Any]:
    vpc = ci(body, "resourcesVpcConfig") or {}
    log_types: list[str] = []
    for entry in ci(body, "logging", "clusterLogging") or []:
        if isinstance(entry, dict) and ci(entry, "enabled") is True:
            log_types.extend(str(t) for t in ci(entry, "types") or [])
    secrets = any(
        "secrets" in (ci(e, "resources") or []) for e in ci(body, "encryptionConfig") or []
    )
    cidrs = ci(vpc, "publicAccessCidrs")
    return _drop_unknown(
        {
            "endpoint_public": ci(vpc, "endpointPublicAccess"),
            "public_cidrs": [str(c) for c in cidrs] if isinstance(cidrs, list) else None,
            "log_types": log_types,
            "secrets_encryption": secrets,
        }
    )


def _aws_ecr(body: dict[str, Any]) -> dict[str, Any]:
    mutability = ci(body, "imageTagMutability")
    enc = ci(body, "encryptionConfiguration", "encryptionType")
    return _drop_unknown(
        {
            "scan_on_push": ci(body, "imageScanningConfiguration", "scanOnPush"),
            "tag_immutable": None
            if mutability is None
            else str(mutability).startswith("IMMUTABLE"),
            "kms_encryption": None if enc is None else str(enc).startswith("KMS"),
        }
    )


def _aws_ecs_task(body: dict[str, Any]) -> dict[str, Any]:
    return _drop_unknown(
        {
            "network_mode": ci(body, "networkMode"),
            "containers": _ecs_containers(ci(body, "containerDefinitions")),
        }
    )


def _aws_lambda(body: dict[str, Any]) -> dict[str, Any]:
    variables = ci(body, "environment", "variables") or ci(
        body, "configuration", "environment", "variables"
    )
    return {"env": dict(variables) if isinstance(variables, dict) else {}}


def _aws_lambda_url(body: dict[str, Any]) -> dict[str, Any]:
    return _drop_unknown({"url_auth_type": ci(body, "authType")})


def _aws_apprunner(body: dict[str, Any]) -> dict[str, Any]:
    public = ci(body, "networkConfiguration", "ingressConfiguration", "isPubliclyAccessible")
    return _drop_unknown({"public": public})


AWS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "AWS::EKS::Cluster": ("aws.eks", _aws_eks),
    "AWS::ECR::Repository": ("aws.ecr", _aws_ecr),
    "AWS::ECS::TaskDefinition": (ECS_TASK_DEFINITION, _aws_ecs_task),
    "AWS::Lambda::Function": ("aws.lambda", _aws_lambda),
    "AWS::Lambda::Url": ("aws.lambda", _aws_lambda_url),
    "AWS::AppRunner::Service": ("aws.apprunner", _aws_apprunner),
}


def _iam_public(body: dict[str, Any], role_prefix: str = "") -> bool:
    policy = ci(body, "iamPolicy") or ci(body, "iam_policy") or {}
    for binding in ci(policy, "bindings") or []:
        role = str(ci(binding, "role") or "")
        if role_prefix and not role.startswith(role_prefix):
            continue
        if any(str(m) in PUBLIC_MEMBERS for m in ci(binding, "members") or []):
            return True
    return False


def _gcp_data(body: dict[str, Any]) -> dict[str, Any]:
    data = ci(body, "resource", "data")
    return data if isinstance(data, dict) else body


def _gcp_gke(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    data = _gcp_data(body)
    autopilot = ci(data, "autopilot", "enabled") is True
    mode = ci(data, "nodeConfig", "workloadMetadataConfig", "mode")
    pools = ci(data, "nodePools") or []
    modes = [ci(p, "config", "workloadMetadataConfig", "mode") for p in pools]
    values: dict[str, Any] = {
        "private_nodes": ci(data, "privateClusterConfig", "enablePrivateNodes") is True,
        "private_endpoint": ci(data, "privateClusterConfig", "enablePrivateEndpoint") is True,
        "authorized_networks": ci(data, "masterAuthorizedNetworksConfig", "enabled") is True,
        "workload_identity": bool(ci(data, "workloadIdentityConfig", "workloadPool")),
        "legacy_abac": ci(data, "legacyAbac", "enabled") is True,
        "basic_auth": bool(ci(data, "masterAuth", "username")),
        "client_cert": bool(ci(data, "masterAuth", "clientCertificate")),
        "network_policy": ci(data, "networkPolicy", "enabled") is True
        or ci(data, "networkConfig", "datapathProvider") == "ADVANCED_DATAPATH"
        or autopilot,
        "binary_authorization": ci(data, "binaryAuthorization", "enabled") is True
        or str(ci(data, "binaryAuthorization", "evaluationMode") or "").startswith(
            "PROJECT_SINGLETON"
        ),
        "shielded_nodes": ci(data, "shieldedNodes", "enabled") is not False,
    }
    if not autopilot:
        values["metadata_server"] = all(m == "GKE_METADATA" for m in [mode, *modes] if m) and any(
            m == "GKE_METADATA" for m in [mode, *modes]
        )
    return ("gcp.gke-autopilot" if autopilot else "gcp.gke-standard"), values


def _gcp_run(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    data = _gcp_data(body)
    ingress = ci(data, "ingress") or ci(
        data, "metadata", "annotations", "run.googleapis.com/ingress"
    )
    values: dict[str, Any] = {"public_invoker": _iam_public(body, "roles/run.")}
    if ingress is not None:
        values["ingress_all"] = str(ingress).lower() in ("all", "ingress_traffic_all")
    return "gcp.cloudrun-service", values


def _gcp_ar(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "gcp.artifactregistry", {"public": _iam_public(body)}


GCP: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "container.googleapis.com/Cluster": _gcp_gke,
    "run.googleapis.com/Service": _gcp_run,
    "artifactregistry.googleapis.com/Repository": _gcp_ar,
}


# Where each normalised field sits in the source, so findings name the source's field.
_TF_APP = {
    "https_only": "https_only",
    "min_tls_version": "site_config.minimum_tls_version",
    "ftps_state": "site_config.ftps_state",
    "auth_enabled": "auth_settings_v2.auth_enabled",
    "public_network_access": "public_network_access_enabled",
    "remote_debugging": "site_config.remote_debugging_enabled",
    "cors_origins": "site_config.cors.allowed_origins",
    "managed_identity": "identity",
}
_TF_LEGACY_APP = {
    **_TF_APP,
    "min_tls_version": "site_config.min_tls_version",
    "auth_enabled": "auth_settings.enabled",
}
SOURCE_FIELDS: dict[tuple[str, str], dict[str, str]] = {
    ("terraform", "azure.webapp"): _TF_APP,
    ("terraform", "azure.functionapp"): _TF_APP,
    ("terraform", "azure.acr"): {
        "admin_enabled": "admin_enabled",
        "anonymous_pull": "anonymous_pull_enabled",
        "public_network_access": "public_network_access_enabled",
    },
    ("terraform", "azure.aks"): {
        "rbac_enabled": "role_based_access_control_enabled",
        "entra_id": "azure_active_directory_role_based_access_control",
        "local_accounts_disabled": "local_account_disabled",
        "authorized_ip_ranges": "api_server_access_profile.authorized_ip_ranges",
        "private_cluster": "private_cluster_enabled",
        "network_policy": "network_profile.network_policy",
        "azure_policy_addon": "azure_policy_enabled",
        "defender_profile": "microsoft_defender",
    },
    ("terraform", "azure.containerapps"): {
        "external_ingress": "ingress.external_enabled",
        "allow_insecure": "ingress.allow_insecure_connections",
    },
    ("terraform", "azure.aci"): {"public_ip": "ip_address_type"},
    ("terraform", "aws.eks"): {
        "endpoint_public": "vpc_config.endpoint_public_access",
        "public_cidrs": "vpc_config.public_access_cidrs",
        "log_types": "enabled_cluster_log_types",
        "secrets_encryption": "encryption_config",
    },
    ("terraform", "aws.ecr"): {
        "scan_on_push": "image_scanning_configuration.scan_on_push",
        "tag_immutable": "image_tag_mutability",
        "kms_encryption": "encryption_configuration.encryption_type",
    },
    ("terraform", "aws.ecs-task-definition"): {
        "network_mode": "network_mode",
        "containers": "container_definitions",
    },
    ("terraform", "aws.lambda"): {
        "url_auth_type": "authorization_type",
        "env": "environment.variables",
    },
    ("terraform", "aws.apprunner"): {
        "public": "network_configuration.ingress_configuration.is_publicly_accessible"
    },
    ("terraform", "gcp.gke-standard"): {
        "private_nodes": "private_cluster_config.enable_private_nodes",
        "private_endpoint": "private_cluster_config.enable_private_endpoint",
        "authorized_networks": "master_authorized_networks_config",
        "workload_identity": "workload_identity_config.workload_pool",
        "metadata_server": "node_config.workload_metadata_config.mode",
        "legacy_abac": "enable_legacy_abac",
        "basic_auth": "master_auth.username",
        "client_cert": "master_auth.client_certificate_config.issue_client_certificate",
        "network_policy": "network_policy.enabled",
        "binary_authorization": "binary_authorization.evaluation_mode",
        "shielded_nodes": "enable_shielded_nodes",
    },
    ("terraform", "gcp.cloudrun-service"): {
        "ingress_all": "ingress",
        "public_invoker": "member",
    },
    ("terraform", "gcp.artifactregistry"): {"public": "member"},
    ("azure", "azure.webapp"): {
        "https_only": "properties.httpsOnly",
        "min_tls_version": "properties.siteConfig.minTlsVersion",
        "ftps_state": "properties.siteConfig.ftpsState",
        "remote_debugging": "properties.siteConfig.remoteDebuggingEnabled",
        "cors_origins": "properties.siteConfig.cors.allowedOrigins",
        "managed_identity": "identity.type",
        "public_network_access": "properties.publicNetworkAccess",
        "auth_enabled": "properties.siteConfig.siteAuthEnabled",
    },
    ("azure", "azure.acr"): {
        "admin_enabled": "properties.adminUserEnabled",
        "anonymous_pull": "properties.anonymousPullEnabled",
        "public_network_access": "properties.publicNetworkAccess",
    },
    ("azure", "azure.aks"): {
        "rbac_enabled": "properties.enableRBAC",
        "entra_id": "properties.aadProfile",
        "local_accounts_disabled": "properties.disableLocalAccounts",
        "authorized_ip_ranges": "properties.apiServerAccessProfile.authorizedIPRanges",
        "private_cluster": "properties.apiServerAccessProfile.enablePrivateCluster",
        "network_policy": "properties.networkProfile.networkPolicy",
        "azure_policy_addon": "properties.addonProfiles.azurepolicy.enabled",
        "defender_profile": "properties.securityProfile.defender",
    },
    ("azure", "azure.containerapps"): {
        "external_ingress": "properties.configuration.ingress.external",
        "allow_insecure": "properties.configuration.ingress.allowInsecure",
    },
    ("azure", "azure.aci"): {"public_ip": "properties.ipAddress.type"},
    ("aws", "aws.eks"): {
        "endpoint_public": "resourcesVpcConfig.endpointPublicAccess",
        "public_cidrs": "resourcesVpcConfig.publicAccessCidrs",
        "log_types": "logging.clusterLogging",
        "secrets_encryption": "encryptionConfig",
    },
    ("aws", "aws.ecr"): {
        "scan_on_push": "imageScanningConfiguration.scanOnPush",
        "tag_immutable": "imageTagMutability",
        "kms_encryption": "encryptionConfiguration.encryptionType",
    },
    ("aws", "aws.ecs-task-definition"): {
        "network_mode": "networkMode",
        "containers": "containerDefinitions",
    },
    ("aws", "aws.lambda"): {"url_auth_type": "AuthType", "env": "Environment.Variables"},
    ("aws", "aws.apprunner"): {
        "public": "NetworkConfiguration.IngressConfiguration.IsPubliclyAccessible"
    },
    ("gcp", "gcp.gke-standard"): {
        "private_nodes": "privateClusterConfig.enablePrivateNodes",
        "private_endpoint": "privateClusterConfig.enablePrivateEndpoint",
        "authorized_networks": "masterAuthorizedNetworksConfig.enabled",
        "workload_identity": "workloadIdentityConfig.workloadPool",
        "metadata_server": "nodeConfig.workloadMetadataConfig.mode",
        "legacy_abac": "legacyAbac.enabled",
        "basic_auth": "masterAuth.username",
        "client_cert": "masterAuth.clientCertificate",
        "network_policy": "networkPolicy.enabled",
        "binary_authorization": "binaryAuthorization.evaluationMode",
        "shielded_nodes": "shieldedNodes.enabled",
    },
    ("gcp", "gcp.cloudrun-service"): {"ingress_all": "ingress", "public_invoker": "iamPolicy"},
    ("gcp", "gcp.artifactregistry"): {"public": "iamPolicy"},
}
SOURCE_FIELDS[("terraform", "gcp.gke-autopilot")] = SOURCE_FIELDS[("terraform", "gcp.gke-standard")]
SOURCE_FIELDS[("gcp", "gcp.gke-autopilot")] = SOURCE_FIELDS[("gcp", "gcp.gke-standard")]
SOURCE_FIELDS[("azure", "azure.functionapp")] = SOURCE_FIELDS[("azure", "azure.webapp")]
LEGACY_APP_TYPES = frozenset(
    {"azurerm_app_service", "azurerm_function_app", "azurerm_app_service_slot"}
)


def source_fields(obj: SourceObject, kind: str) -> dict[str, str]:
    """Normalised field -> the field path in `obj`'s own format."""
    fmt = obj.format
    if fmt.startswith("terraform"):
        if obj.kind in LEGACY_APP_TYPES:
            return _TF_LEGACY_APP
        family = "terraform"
    elif fmt in ("arm", "azure-graph"):
        family = "azure"
    elif fmt in ("aws-api", "aws-config"):
        family = "aws"
    else:
        family = "gcp"
    fields = SOURCE_FIELDS.get((family, kind), {})
    if fmt == "aws-config" and fields:
        return {k: f"configuration.{v}" for k, v in fields.items()}
    return fields


# ------------------------------------------------------------------------ entry point


def normalise(obj: SourceObject) -> tuple[str, dict[str, Any]] | None:
    """(target kind, normalised dict) for one cloud record, or None if seawall has no rules."""
    body = obj.body if isinstance(obj.body, dict) else {}
    if obj.format.startswith("terraform"):
        entry = TERRAFORM.get(obj.kind)
        if entry is None:
            return None
        return entry[0], entry[1](body, obj.kind)
    if obj.format in ("arm", "azure-graph"):
        azure = AZURE.get(obj.kind.lower())
        return azure(body) if azure else None
    if obj.format in ("aws-api", "aws-config"):
        aws = AWS.get(obj.kind)
        if aws is None:
            return None
        # AWS Config keeps the API shape under "configuration".
        config = ci(body, "configuration")
        return aws[0], aws[1](config if isinstance(config, dict) else body)
    if obj.format == "gcp-asset":
        gcp = GCP.get(obj.kind)
        return gcp(body) if gcp else None
    return None


def cloud_targets(obj: SourceObject, asset_id: str | None = None) -> list[Target]:
    found = normalise(obj)
    if found is None:
        return []
    kind, values = found
    body = obj.body if isinstance(obj.body, dict) else {}
    tags = body.get("tags") or ci(body, "tags")
    return [
        Target(
            kind=kind,
            asset=asset_id or obj.address or f"{obj.kind}.{obj.name}",
            obj=values,
            path=obj.location.path,
            line=obj.location.line,
            source_kind=obj.kind,
            source_format=obj.format,
            name=obj.name,
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            fields=source_fields(obj, kind),
        )
    ]

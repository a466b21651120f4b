"""Container cloud services: one rule per setting, over the normalised service dicts of
`seawall.hardening.normalize.cloud` (Terraform, ARM/Resource Graph, AWS, GCP records).

A field missing from the normalised dict is unknown for that source and is not reported.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from typing import Any

from seawall.hardening.engine import Context, Target, Violation, rule
from seawall.hardening.normalize.cloud import ECS_TASK_DEFINITION
from seawall.hardening.rules.workload import SECRET_NAME
from seawall.model import Layer, Severity

APPS = ("azure.webapp", "azure.functionapp")
GKE = ("gcp.gke-standard", "gcp.gke-autopilot")
INFRA = Layer.INFRASTRUCTURE


def allowed_public(target: Target, ctx: Context) -> bool:
    """Whether the policy's allowed_public_workloads (id/name globs, tags) lists the asset."""
    for entry in ctx.parameters.get("allowed_public_workloads") or []:
        if isinstance(entry, str):
            if fnmatch.fnmatchcase(target.asset, entry) or fnmatch.fnmatchcase(target.name, entry):
                return True
        elif isinstance(entry, dict):
            tags = entry.get("tags") or {}
            if tags and all(target.tags.get(k) == str(v) for k, v in tags.items()):
                return True
    return False


def _field_is(
    field: str, bad: Callable[[Any], bool], evidence: Callable[[Any], str]
) -> Callable[[Target, Context], Iterator[Violation]]:
    def check(target: Target, ctx: Context) -> Iterator[Violation]:
        if field in target.obj and bad(target.obj[field]):
            yield Violation(field, evidence(target.obj[field]))

    return check


def _public_field(field: str, what: str) -> Callable[[Target, Context], Iterator[Violation]]:
    def check(target: Target, ctx: Context) -> Iterator[Violation]:
        if target.obj.get(field) is True and not allowed_public(target, ctx):
            yield Violation(field, f"{what} and not in allowed_public_workloads")

    return check


def _register(
    rule_id: str,
    title: str,
    severity: Severity,
    targets: tuple[str, ...] | list[str],
    check: Callable[[Target, Context], Iterator[Violation]],
    remediation: str,
    layer: Layer = Layer.PLATFORM,
    **mappings: Any,
) -> None:
    rule(rule_id, title, severity, targets, layer=layer, remediation=remediation, **mappings)(check)


def _is_false(value: Any) -> bool:
    return value is False


def _is_true(value: Any) -> bool:
    return value is True


def _tls_below_12(value: Any) -> bool:
    try:
        return float(str(value)) < 1.2
    except ValueError:
        return False


# --- App Service: web apps and function apps ---------------------------------------

_register(
    "azure-app-https-only",
    "Web/Function App accepts plain HTTP",
    Severity.HIGH,
    APPS,
    _field_is("https_only", _is_false, lambda v: "https_only is false"),
    "Set https_only = true (httpsOnly) so HTTP is redirected to HTTPS.",
    checkov=["CKV_AZURE_14", "CKV_AZURE_70"],
    azure_policy=["a4af4a39-4135-47fb-b175-47fbdf85311d", "6d555dd1-86f2-4f1c-8ed7-5abae7c6cbab"],
)
_register(
    "azure-app-min-tls",
    "Web/Function App allows TLS below 1.2",
    Severity.MEDIUM,
    APPS,
    _field_is("min_tls_version", _tls_below_12, lambda v: f"minimum TLS version {v}"),
    "Set site_config.minimum_tls_version (minTlsVersion) to 1.2 or later.",
    checkov=["CKV_AZURE_15", "CKV_AZURE_145"],
    azure_policy=["f0e6e85b-9b9f-4a4b-b67b-f730d42f1b0b", "f9d614c5-c173-4d56-95a7-b4437057d193"],
)
_register(
    "azure-app-ftps",
    "Web/Function App allows unencrypted FTP deployments",
    Severity.MEDIUM,
    APPS,
    _field_is("ftps_state", lambda v: v == "AllAllowed", lambda v: f"ftps_state {v}"),
    "Set site_config.ftps_state to FtpsOnly or Disabled.",
    checkov="CKV_AZURE_78",
    azure_policy=["4d24b6d4-5e53-4a4f-a7f4-618fa573ee4b", "399b2637-a50f-4f95-96f8-3a145476eb15"],
)
_register(
    "azure-app-authentication",
    "Web/Function App has App Service authentication off",
    Severity.MEDIUM,
    APPS,
    _field_is("auth_enabled", _is_false, lambda v: "authentication disabled"),
    "Enable App Service authentication (auth_settings_v2) or document why the app is open.",
    checkov=["CKV_AZURE_13", "CKV_AZURE_56"],
    azure_policy=["95bccee9-a7f8-4bec-9ee9-62c3473701fc", "c75248c1-ea1d-4a9c-8fc9-29a6aabd5da8"],
)


def _app_public(target: Target, ctx: Context) -> Iterator[Violation]:
    if target.obj.get("public_network_access") is True and not allowed_public(target, ctx):
        yield Violation("public_network_access", "public network access enabled")


_register(
    "azure-app-public-network",
    "Web/Function App reachable from the public internet",
    Severity.MEDIUM,
    APPS,
    _app_public,
    "Set public_network_access_enabled = false and use private endpoints, or list the app "
    "in the policy's allowed_public_workloads.",
    checkov=["CKV_AZURE_222", "CKV_AZURE_221"],
    azure_policy=["1b5ef780-c53c-4a64-87f3-bb9c8c8094ba", "969ac98b-88a8-449f-883c-2e9adb123127"],
)
_register(
    "azure-app-remote-debugging",
    "Web/Function App has remote debugging on",
    Severity.HIGH,
    APPS,
    _field_is("remote_debugging", _is_true, lambda v: "remote debugging enabled"),
    "Turn remote debugging off (remote_debugging_enabled = false).",
    checkov="CKV_AZURE_72",
    azure_policy=["cb510bfd-1cba-4d9f-a230-cb0976f4bb71", "0e60b895-3786-45da-8377-9c6b4b6ac5f9"],
)
_register(
    "azure-app-cors-wildcard",
    "Web/Function App CORS allows every origin",
    Severity.MEDIUM,
    APPS,
    _field_is("cors_origins", lambda v: isinstance(v, list) and "*" in v, lambda v: f"origins {v}"),
    "List the allowed origins instead of '*'.",
    checkov="CKV_AZURE_57",
    azure_policy=["5744710e-cc2f-4ee8-8809-3b11e89f4bc9", "0820b7b9-23aa-4725-a1ce-ae4558f718e5"],
)
_register(
    "azure-app-managed-identity",
    "Web/Function App has no managed identity",
    Severity.LOW,
    APPS,
    _field_is("managed_identity", _is_false, lambda v: "no identity block"),
    "Add a system- or user-assigned managed identity instead of stored credentials.",
    checkov="CKV_AZURE_71",
    azure_policy=["2b9ad585-36bc-4615-b300-fd4435808332", "0da106f2-4ca3-48e8-bc85-c638fe6aea8f"],
)

# --- Azure Container Registry --------------------------------------------------------

_register(
    "azure-acr-admin-user",
    "Container registry admin user enabled",
    Severity.HIGH,
    ("azure.acr",),
    _field_is("admin_enabled", _is_true, lambda v: "admin user enabled"),
    "Disable the admin user; use Entra ID identities and tokens.",
    checkov="CKV_AZURE_137",
    azure_policy="dc921057-6b28-4fbe-9b83-f7bec05db6c2",
)
_register(
    "azure-acr-anonymous-pull",
    "Container registry allows anonymous pull",
    Severity.HIGH,
    ("azure.acr",),
    _field_is("anonymous_pull", _is_true, lambda v: "anonymous pull enabled"),
    "Disable anonymous pull.",
    checkov="CKV_AZURE_138",
    azure_policy="9f2dea28-e834-476c-99c5-3507b4728395",
)
_register(
    "azure-acr-public-network",
    "Container registry reachable from the public internet",
    Severity.MEDIUM,
    ("azure.acr",),
    _field_is("public_network_access", _is_true, lambda v: "public network access enabled"),
    "Disable public network access and use private endpoints.",
    checkov="CKV_AZURE_139",
    azure_policy="0fdf0491-d080-4575-b627-ad0e843cba0f",
)

# --- AKS -------------------------------------------------------------------------------

_register(
    "azure-aks-rbac",
    "AKS cluster has Kubernetes RBAC disabled",
    Severity.CRITICAL,
    ("azure.aks",),
    _field_is("rbac_enabled", _is_false, lambda v: "RBAC disabled"),
    "Enable role_based_access_control (it cannot be changed later: recreate the cluster).",
    checkov="CKV_AZURE_5",
    azure_policy="ac4a19c2-fa67-49b4-8ae5-0b2e78c49457",
    cis="aks-1.8:5.5.2",
)
_register(
    "azure-aks-entra-id",
    "AKS cluster is not integrated with Microsoft Entra ID",
    Severity.MEDIUM,
    ("azure.aks",),
    _field_is("entra_id", _is_false, lambda v: "no Entra ID (AAD) profile"),
    "Enable azure_active_directory_role_based_access_control.",
    azure_policy="450d2877-ebea-41e8-b00c-e286317d21bf",
    cis="aks-1.8:5.5.1",
)
_register(
    "azure-aks-local-accounts",
    "AKS cluster keeps local accounts",
    Severity.MEDIUM,
    ("azure.aks",),
    _field_is("local_accounts_disabled", _is_false, lambda v: "local accounts enabled"),
    "Set local_account_disabled = true (requires Entra ID integration).",
    checkov="CKV_AZURE_141",
    azure_policy="993c2fcd-2b29-49d2-9eb0-df2c3a730c32",
)


def _aks_api_exposed(target: Target, ctx: Context) -> Iterator[Violation]:
    obj = target.obj
    if "private_cluster" not in obj or "authorized_ip_ranges" not in obj:
        return
    if obj["private_cluster"] is not True and not obj["authorized_ip_ranges"]:
        yield Violation("authorized_ip_ranges", "public API server, no authorized IP ranges")


_register(
    "azure-aks-api-server-exposed",
    "AKS API server is public without authorized IP ranges",
    Severity.HIGH,
    ("azure.aks",),
    _aks_api_exposed,
    "Make the cluster private or set api_server_access_profile.authorized_ip_ranges.",
    layer=INFRA,
    checkov=["CKV_AZURE_6", "CKV_AZURE_115"],
    azure_policy=["0e246bcf-5f6f-4f87-bc6f-775d4712c7ea", "040732e8-d947-40b8-95d6-854c95024bf8"],
    cis=["aks-1.8:5.4.1", "aks-1.8:5.4.2"],
)
_register(
    "azure-aks-network-policy",
    "AKS cluster has no network policy engine",
    Severity.MEDIUM,
    ("azure.aks",),
    _field_is(
        "network_policy", lambda v: v == "", lambda v: "network_profile.network_policy unset"
    ),
    "Set network_profile.network_policy (azure, calico or cilium).",
    layer=INFRA,
    checkov="CKV_AZURE_7",
    cis="aks-1.8:5.4.4",
)
_register(
    "azure-aks-policy-addon",
    "AKS cluster without the Azure Policy add-on",
    Severity.LOW,
    ("azure.aks",),
    _field_is("azure_policy_addon", _is_false, lambda v: "Azure Policy add-on off"),
    "Enable azure_policy_enabled.",
    checkov="CKV_AZURE_116",
    azure_policy="0a15ec92-a229-4763-bb14-0ea34a568f8d",
)
_register(
    "azure-aks-defender-profile",
    "AKS cluster without the Defender profile",
    Severity.MEDIUM,
    ("azure.aks",),
    _field_is("defender_profile", _is_false, lambda v: "no microsoft_defender block"),
    "Enable the Defender sensor (microsoft_defender block / securityProfile.defender).",
    azure_policy="a1840de2-8088-4ea8-b153-b4c723e9cb01",
)

# --- Container Apps, ACI ---------------------------------------------------------------

_register(
    "azure-containerapp-external-ingress",
    "Container App accepts traffic from the internet",
    Severity.MEDIUM,
    ("azure.containerapps",),
    _public_field("external_ingress", "external ingress enabled"),
    "Set ingress.external_enabled = false, or list the app in allowed_public_workloads.",
    azure_policy="783ea2a8-b8fd-46be-896a-9ae79643a0b1",
)
_register(
    "azure-containerapp-insecure",
    "Container App ingress allows plain HTTP",
    Severity.MEDIUM,
    ("azure.containerapps",),
    _field_is("allow_insecure", _is_true, lambda v: "allow_insecure_connections true"),
    "Set ingress.allow_insecure_connections = false.",
    azure_policy="0e80e269-43a4-4ae9-b5bc-178126b8a5cb",
)
_register(
    "azure-aci-public-ip",
    "Container instance group has a public IP address",
    Severity.MEDIUM,
    ("azure.aci",),
    _public_field("public_ip", "ip_address_type Public"),
    "Deploy the container group into a virtual network (ip_address_type = Private).",
    checkov=["CKV_AZURE_98", "CKV_AZURE_245"],
)

# --- EKS, ECR, ECS, Lambda, App Runner --------------------------------------------------


def _eks_public(target: Target, ctx: Context) -> Iterator[Violation]:
    if target.obj.get("endpoint_public") is True:
        cidrs = target.obj.get("public_cidrs") or ["0.0.0.0/0"]
        checks = ("CKV_AWS_39", "CKV_AWS_38") if "0.0.0.0/0" in cidrs else ("CKV_AWS_39",)
        yield Violation(
            "endpoint_public", f"public endpoint open to {', '.join(cidrs)}", checkov=checks
        )


_register(
    "aws-eks-public-endpoint",
    "EKS API endpoint is public",
    Severity.HIGH,
    ("aws.eks",),
    _eks_public,
    "Set vpc_config.endpoint_public_access = false (or restrict public_access_cidrs).",
    layer=INFRA,
    checkov=["CKV_AWS_39", "CKV_AWS_38"],
    cis=["eks-1.8.0:5.4.1", "eks-1.8.0:5.4.2"],
)
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
_register(
    "aws-eks-control-plane-logging",
    "EKS control-plane logging incomplete",
    Severity.MEDIUM,
    ("aws.eks",),
    _field_is(
        "log_types",
        lambda v: not set(EKS_LOG_TYPES) <= set(v),
        lambda v: "missing " + ", ".join(t for t in EKS_LOG_TYPES if t not in v),
    ),
    "Enable api, audit, authenticator, controllerManager and scheduler logs.",
    checkov="CKV_AWS_37",
    cis=["eks-1.8.0:2.1.1"],
)
_register(
    "aws-eks-secrets-encryption",
    "EKS secrets are not envelope-encrypted with KMS",
    Severity.MEDIUM,
    ("aws.eks",),
    _field_is("secrets_encryption", _is_false, lambda v: "no encryption_config for secrets"),
    'Add encryption_config { resources = ["secrets"] } with a KMS key.',
    checkov="CKV_AWS_58",
    cis="eks-1.8.0:5.3.1",
)
_register(
    "aws-ecr-scan-on-push",
    "ECR repository does not scan images on push",
    Severity.MEDIUM,
    ("aws.ecr",),
    _field_is("scan_on_push", _is_false, lambda v: "scan_on_push false"),
    "Enable image_scanning_configuration.scan_on_push (or Inspector enhanced scanning).",
    layer=Layer.APPLICATION,
    checkov="CKV_AWS_163",
    cis="eks-1.8.0:5.1.1",
)
_register(
    "aws-ecr-tag-immutability",
    "ECR repository tags are mutable",
    Severity.LOW,
    ("aws.ecr",),
    _field_is("tag_immutable", _is_false, lambda v: "image_tag_mutability MUTABLE"),
    "Set image_tag_mutability = IMMUTABLE.",
    layer=Layer.APPLICATION,
    checkov="CKV_AWS_51",
)
_register(
    "aws-ecr-kms",
    "ECR repository not encrypted with KMS",
    Severity.LOW,
    ("aws.ecr",),
    _field_is("kms_encryption", _is_false, lambda v: "encryption type AES256"),
    "Set encryption_configuration.encryption_type = KMS.",
    checkov="CKV_AWS_136",
)


def _ecs_privileged(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, c in enumerate(target.obj.get("containers") or []):
        if c.get("privileged"):
            yield Violation(f"containers[{i}].privileged", f"container {c['name']} privileged")


def _ecs_host_network(target: Target, ctx: Context) -> Iterator[Violation]:
    if target.obj.get("network_mode") == "host":
        yield Violation("network_mode", "network_mode host")


def _ecs_env_secrets(target: Target, ctx: Context) -> Iterator[Violation]:
    for i, c in enumerate(target.obj.get("containers") or []):
        for name, value in (c.get("env") or {}).items():
            if value and SECRET_NAME.search(name):
                yield Violation(
                    f"containers[{i}].environment", f"container {c['name']} env {name} literal"
                )


_register(
    "aws-ecs-privileged",
    "ECS task definition runs a privileged container",
    Severity.CRITICAL,
    (ECS_TASK_DEFINITION,),
    _ecs_privileged,
    "Remove privileged: true from the container definition.",
    checkov="CKV_AWS_334",
)
_register(
    "aws-ecs-host-network",
    "ECS task definition uses the host network",
    Severity.HIGH,
    (ECS_TASK_DEFINITION,),
    _ecs_host_network,
    "Use networkMode awsvpc (or bridge).",
)
_register(
    "aws-ecs-secrets-in-env",
    "ECS task definition has a secret in a plain environment variable",
    Severity.HIGH,
    (ECS_TASK_DEFINITION,),
    _ecs_env_secrets,
    "Reference Secrets Manager / SSM parameters in `secrets` instead of `environment`.",
    layer=Layer.APPLICATION,
)


def _lambda_env_secrets(target: Target, ctx: Context) -> Iterator[Violation]:
    for name, value in (target.obj.get("env") or {}).items():
        if value and SECRET_NAME.search(str(name)):
            yield Violation("environment.variables", f"variable {name} holds a literal secret")


_register(
    "aws-lambda-secrets-in-env",
    "Lambda function has a secret in an environment variable",
    Severity.HIGH,
    ("aws.lambda",),
    _lambda_env_secrets,
    "Read secrets from Secrets Manager / SSM at runtime.",
    layer=Layer.APPLICATION,
    checkov="CKV_AWS_45",
)


def _lambda_url_open(target: Target, ctx: Context) -> Iterator[Violation]:
    if target.obj.get("url_auth_type") == "NONE" and not allowed_public(target, ctx):
        yield Violation("url_auth_type", "function URL with AuthType NONE")


_register(
    "aws-lambda-url-no-auth",
    "Lambda function URL requires no authentication",
    Severity.HIGH,
    ("aws.lambda",),
    _lambda_url_open,
    "Set authorization_type = AWS_IAM, or list the function in allowed_public_workloads.",
    checkov="CKV_AWS_258",
)
_register(
    "aws-apprunner-public",
    "App Runner service is publicly accessible",
    Severity.MEDIUM,
    ("aws.apprunner",),
    _public_field("public", "is_publicly_accessible true"),
    "Set ingress_configuration.is_publicly_accessible = false, or allow-list the service.",
)

# --- GKE ---------------------------------------------------------------------------------

_register(
    "gcp-gke-private-nodes",
    "GKE nodes have public IP addresses",
    Severity.MEDIUM,
    GKE,
    _field_is("private_nodes", _is_false, lambda v: "enable_private_nodes false"),
    "Set private_cluster_config.enable_private_nodes = true.",
    layer=INFRA,
    checkov=["CKV_GCP_64", "CKV_GCP_25"],
    cis="gke-1.9.0:5.6.5",
)
_register(
    "gcp-gke-private-endpoint",
    "GKE control plane endpoint is public",
    Severity.MEDIUM,
    GKE,
    _field_is("private_endpoint", _is_false, lambda v: "enable_private_endpoint false"),
    "Set private_cluster_config.enable_private_endpoint = true.",
    layer=INFRA,
    checkov="CKV_GCP_18",
    cis="gke-1.9.0:5.6.4",
)
_register(
    "gcp-gke-authorized-networks",
    "GKE control plane has no authorized networks",
    Severity.MEDIUM,
    GKE,
    _field_is("authorized_networks", _is_false, lambda v: "no master_authorized_networks_config"),
    "Add master_authorized_networks_config with your admin networks.",
    layer=INFRA,
    checkov="CKV_GCP_20",
    cis="gke-1.9.0:5.6.3",
)
_register(
    "gcp-gke-workload-identity",
    "GKE cluster without Workload Identity",
    Severity.MEDIUM,
    GKE,
    _field_is("workload_identity", _is_false, lambda v: "no workload_identity_config"),
    "Set workload_identity_config.workload_pool = PROJECT.svc.id.goog.",
    cis="gke-1.9.0:5.2.2",
)
_register(
    "gcp-gke-metadata-server",
    "GKE nodes expose the Compute metadata server to pods",
    Severity.MEDIUM,
    GKE,
    _field_is(
        "metadata_server", _is_false, lambda v: "workload_metadata_config mode not GKE_METADATA"
    ),
    "Set node_config.workload_metadata_config.mode = GKE_METADATA.",
    checkov="CKV_GCP_69",
    cis="gke-1.9.0:5.4.1",
)
_register(
    "gcp-gke-legacy-abac",
    "GKE legacy ABAC authorization enabled",
    Severity.HIGH,
    GKE,
    _field_is("legacy_abac", _is_true, lambda v: "enable_legacy_abac true"),
    "Set enable_legacy_abac = false.",
    checkov="CKV_GCP_7",
    cis="gke-1.9.0:5.8.3",
)
_register(
    "gcp-gke-basic-auth",
    "GKE basic authentication enabled",
    Severity.HIGH,
    GKE,
    _field_is("basic_auth", _is_true, lambda v: "master_auth.username set"),
    "Remove master_auth username/password.",
)
_register(
    "gcp-gke-client-cert",
    "GKE issues legacy client certificates",
    Severity.MEDIUM,
    GKE,
    _field_is("client_cert", _is_true, lambda v: "issue_client_certificate true"),
    "Set master_auth.client_certificate_config.issue_client_certificate = false.",
    checkov="CKV_GCP_13",
    cis="gke-1.9.0:5.8.1",
)
_register(
    "gcp-gke-network-policy",
    "GKE cluster does not enforce network policy",
    Severity.MEDIUM,
    GKE,
    _field_is("network_policy", _is_false, lambda v: "network_policy disabled"),
    "Enable network_policy (or Dataplane V2).",
    layer=INFRA,
    checkov="CKV_GCP_12",
)
_register(
    "gcp-gke-binary-authorization",
    "GKE cluster without Binary Authorization",
    Severity.LOW,
    GKE,
    _field_is("binary_authorization", _is_false, lambda v: "binary_authorization off"),
    "Set binary_authorization.evaluation_mode = PROJECT_SINGLETON_POLICY_ENFORCE.",
    layer=Layer.APPLICATION,
    checkov="CKV_GCP_66",
    cis="gke-1.9.0:5.1.4",
)
_register(
    "gcp-gke-shielded-nodes",
    "GKE shielded nodes disabled",
    Severity.MEDIUM,
    GKE,
    _field_is("shielded_nodes", _is_false, lambda v: "enable_shielded_nodes false"),
    "Set enable_shielded_nodes = true.",
    layer=INFRA,
    checkov="CKV_GCP_71",
    cis="gke-1.9.0:5.5.5",
)

# --- Cloud Run, Artifact Registry ----------------------------------------------------------

_register(
    "gcp-cloudrun-public-invoker",
    "Cloud Run service invocable by allUsers",
    Severity.HIGH,
    ("gcp.cloudrun-service",),
    _public_field("public_invoker", "roles/run.invoker granted to allUsers"),
    "Remove allUsers/allAuthenticatedUsers from run.invoker, or allow-list the service.",
    checkov="CKV_GCP_102",
)
_register(
    "gcp-cloudrun-ingress-all",
    "Cloud Run service accepts traffic from the internet directly",
    Severity.LOW,
    ("gcp.cloudrun-service",),
    _public_field("ingress_all", "ingress all"),
    "Set ingress to internal or internal-and-cloud-load-balancing.",
)
_register(
    "gcp-artifactregistry-public",
    "Artifact Registry repository readable by allUsers",
    Severity.HIGH,
    ("gcp.artifactregistry",),
    _public_field("public", "repository IAM grants allUsers"),
    "Remove allUsers/allAuthenticatedUsers from the repository IAM policy.",
    layer=Layer.APPLICATION,
    checkov="CKV_GCP_101",
)

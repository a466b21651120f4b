"""One rule checks the same cloud service whether it comes from Terraform HCL, a plan,
an ARM record, an AWS API record or a GCP Cloud Asset record (via inventory.json)."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA

from seawall.hardening.engine import Context
from seawall.hardening.scan import Collected, collect, harden, harden_targets

CLOUD = DATA / "hardening" / "cloud"
APP_RULES = {
    "azure-app-https-only",
    "azure-app-min-tls",
    "azure-app-ftps",
    "azure-app-remote-debugging",
    "azure-app-cors-wildcard",
    "azure-app-managed-identity",
}


def inventory(tmp_path: Path) -> Path:
    def asset(asset_id: str, fmt: str, rtype: str, raw: dict[str, object]) -> dict[str, object]:
        return {
            "id": asset_id,
            "kind": "workload",
            "name": asset_id.rsplit("/", 1)[-1],
            "provider": fmt.split("-")[0],
            "properties": {"raw": raw, "raw_format": fmt, "raw_type": rtype},
        }

    arm = json.loads((CLOUD / "arm-site.json").read_text())
    eks = json.loads((CLOUD / "aws-eks.json").read_text())
    gke = json.loads((CLOUD / "gcp-gke.json").read_text())
    doc = {
        "schema": "seawall.inventory/v1",
        "generated_at": "2026-11-30T10:00:00Z",
        "sources": [],
        "assets": [
            asset(arm["id"].lower(), "arm", "Microsoft.Web/sites", arm),
            asset(eks["arn"], "aws-api", "AWS::EKS::Cluster", eks),
            asset(gke["name"], "gcp-asset", "container.googleapis.com/Cluster", gke),
        ],
        "relations": [],
        "controls": [],
        "warnings": [],
    }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc))
    return path


def rules_by_asset(paths: list[Path]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in harden(paths).findings:
        out.setdefault(f.asset, set()).add(f.rule)
    return out


def test_web_app_rules_fire_alike_for_hcl_plan_and_arm_record(tmp_path: Path) -> None:
    got = rules_by_asset([CLOUD / "hcl", CLOUD / "plan.json", inventory(tmp_path)])
    hcl = got["tf:hcl/azurerm_linux_web_app.shop"]
    plan = got["tf:plan/module.web.azurerm_linux_web_app.shop"]
    arm = got[
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-shop"
        "/providers/microsoft.web/sites/shop-web"
    ]
    assert hcl >= APP_RULES
    assert plan >= APP_RULES
    assert arm >= APP_RULES


def test_eks_and_gke_from_terraform_and_provider_records(tmp_path: Path) -> None:
    got = rules_by_asset([CLOUD / "hcl", inventory(tmp_path)])
    assert "aws-eks-public-endpoint" in got["tf:hcl/aws_eks_cluster.prod"]
    api = got["arn:aws:eks:eu-west-1:123456789012:cluster/prod"]
    assert {"aws-eks-public-endpoint", "aws-eks-control-plane-logging"} <= api
    gke_tf = got["tf:hcl/google_container_cluster.gke"]
    gke_asset = got[
        "//container.googleapis.com/projects/p/locations/europe-west1/clusters/gke-prod"
    ]
    for rules in (gke_tf, gke_asset):
        assert {"gcp-gke-legacy-abac", "gcp-gke-private-nodes", "gcp-gke-metadata-server"} <= rules
    assert "gcp-gke-shielded-nodes" not in gke_asset


def test_services_without_checkov_checks_are_covered() -> None:
    got = rules_by_asset([CLOUD / "hcl"])
    assert "azure-containerapp-external-ingress" in got["tf:hcl/azurerm_container_app.api"]
    assert "aws-apprunner-public" in got["tf:hcl/aws_apprunner_service.web"]
    assert "gcp-cloudrun-ingress-all" in got["tf:hcl/google_cloud_run_v2_service.svc"]
    assert (
        "gcp-cloudrun-public-invoker" in got["tf:hcl/google_cloud_run_v2_service_iam_member.public"]
    )


def test_allowed_public_workloads_parameter_silences_exposure_rules() -> None:
    from seawall.hardening.policy import Policy

    policy = Policy(parameters={"allowed_public_workloads": ["tf:hcl/aws_apprunner_service.*"]})
    report = harden_targets(collect([CLOUD / "hcl"]), policy=policy)
    assets = {f.asset for f in report.findings if f.rule == "aws-apprunner-public"}
    assert assets == set()
    assert Context().parameters == {}


def test_findings_carry_file_line_and_field() -> None:
    finding = next(
        f for f in harden([CLOUD / "hcl" / "main.tf"]).findings if f.rule == "azure-app-https-only"
    )
    assert finding.location is not None
    assert finding.location.path.endswith("main.tf") and finding.location.line == 1
    assert finding.location.field == "https_only"
    assert "CKV_AZURE_14" in finding.references
    assert "azure-policy:a4af4a39-4135-47fb-b175-47fbdf85311d" in finding.references


def test_field_paths_are_the_source_formats_own(tmp_path: Path) -> None:
    findings = harden([CLOUD / "plan.json", inventory(tmp_path)]).findings
    fields = {
        (f.details["source_format"], f.rule): f.location.field
        for f in findings
        if f.location is not None
    }
    assert fields[("terraform-plan", "azure-app-min-tls")] == "site_config.minimum_tls_version"
    assert fields[("arm", "azure-app-https-only")] == "properties.httpsOnly"
    assert fields[("aws-api", "aws-eks-public-endpoint")] == (
        "resourcesVpcConfig.endpointPublicAccess"
    )
    assert fields[("gcp-asset", "gcp-gke-legacy-abac")] == "legacyAbac.enabled"


def test_ecs_lambda_acr_aci_and_artifact_registry_rules() -> None:
    got = rules_by_asset([CLOUD / "more"])
    assert {"aws-ecs-privileged", "aws-ecs-host-network", "aws-ecs-secrets-in-env"} <= got[
        "tf:more/aws_ecs_task_definition.worker"
    ]
    # container_definitions written with jsonencode(...) in HCL
    assert {"aws-ecs-privileged", "aws-ecs-secrets-in-env"} <= got[
        "tf:more/aws_ecs_task_definition.svc"
    ]
    assert "aws-lambda-url-no-auth" in got["tf:more/aws_lambda_function_url.open"]
    assert {"azure-acr-admin-user", "azure-acr-anonymous-pull", "azure-acr-public-network"} <= got[
        "tf:more/azurerm_container_registry.acr"
    ]
    assert "azure-aci-public-ip" in got["tf:more/azurerm_container_group.job"]
    assert (
        "gcp-artifactregistry-public"
        in got["tf:more/google_artifact_registry_repository_iam_member.public"]
    )


def test_aks_arm_record(tmp_path: Path) -> None:
    from seawall.hardening.normalize import targets_for
    from seawall.model import Location, SourceObject

    record = json.loads((CLOUD / "arm-aks.json").read_text())
    obj = SourceObject(
        format="arm",
        kind=record["type"],
        name=record["name"],
        body=record,
        location=Location(path="arm-aks.json"),
        address=record["id"].lower(),
    )
    (target,) = targets_for(obj, obj.address)
    assert target.kind == "azure.aks"
    report = harden_targets(Collected(targets=[target]))
    rules = {f.rule for f in report.findings}
    assert rules == {
        "azure-aks-entra-id",
        "azure-aks-local-accounts",
        "azure-aks-api-server-exposed",
        "azure-aks-network-policy",
        "azure-aks-policy-addon",
        "azure-aks-defender-profile",
    }


def test_kubernetes_provider_resources_are_checked_like_manifests() -> None:
    got = rules_by_asset([CLOUD / "tfk8s"])["tf:tfk8s/kubernetes_deployment_v1.web"]
    assert {
        "pss-baseline-privileged",
        "pss-baseline-host-namespaces",
        "pss-baseline-capabilities",
        "k8s-runtime-socket",
        "k8s-image-latest",
    } <= got
    privileged = next(
        f for f in harden([CLOUD / "tfk8s"]).findings if f.rule == "pss-baseline-privileged"
    )
    assert privileged.location is not None and privileged.location.line == 1
    assert privileged.details["source_kind"] == "kubernetes_deployment_v1"

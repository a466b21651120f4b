"""The realistic multi-cloud estate: expected inventory and coverage matrix, cell by cell."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inventory_matrix import row_codes
from seawall_testlib import DATA, run_seawall

ESTATE = DATA / "inventory" / "estate"

# Expected coverage, one row per container service instance (name -> service, public, cells).
# Cells: app/hard app/vuln app/threat plat/hard plat/vuln plat/threat infra/hard infra/vuln
# infra/threat.  Subscription 0b1f... has every Defender plan on, 5c7a... has them off;
# the AWS account has GuardDuty EKS features on and Lambda network logs off; the GKE
# Autopilot cluster (Terraform state) has its security posture dashboard enabled.
EXPECTED: dict[str, tuple[str, bool, str]] = {
    "aks-shop-prod": ("azure.aks", True, "C+ C+ C+ S+ S+ S+ S+ S+ C+"),
    "aks-lab": ("azure.aks", False, "C- C- C- S- S- S- S- S- C-"),
    "func-shop-images": ("azure.functionapp", True, "C+ C+ C+ C+ P S+ P P P"),
    "web-lab-portal": ("azure.webapp", True, "C- C- C- C- P S- P P P"),
    "ca-checkout": ("azure.containerapps", True, "C- C+ C- C+ P P P P P"),
    "shop-prod": ("aws.eks", True, "C- C- C+ S- S- S+ S- S- C+"),
    "payments-api": ("aws.ecs-fargate", True, "C- C- C- C- P S- P P P"),
    "thumbnailer": ("aws.lambda", False, "C- C- C- C- P S- P P P"),
    "orders-web": ("aws.apprunner", True, "C- C- C- C- P P P P P"),
    "reports-api": ("gcp.cloudrun-service", True, "C- C- C- C- P S- P P P"),
    "nightly-export": ("gcp.cloudrun-job", False, "C- C- C- C- P S- P P P"),
    "gke-data": ("gcp.gke-autopilot", False, "C+ C+ C- S+ P S- P P P"),
    # project shop-prod-4821: Container Threat Detection on, Artifact Analysis off, GKE
    # posture on with vulnerability scanning disabled
    "gke-shop": ("gcp.gke-standard", True, "C+ C- C+ S+ S- S- S- S- C+"),
    "storefront": ("gcp.cloudrun-service", True, "C- C- C- C- P S- P P P"),
    "checkout": ("kubernetes.self-managed", True, "C- C- C- C- C- C- C- C- C-"),
    "web": ("kubernetes.self-managed", True, "C- C- C- C- C- C- C- C- C-"),
}


@pytest.fixture(scope="module")
def coverage() -> dict[str, Any]:
    result = run_seawall("coverage", str(ESTATE), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.fixture(scope="module")
def inventory() -> dict[str, Any]:
    result = run_seawall("inventory", str(ESTATE), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_inventory_document_shape(inventory: dict[str, Any]) -> None:
    assert inventory["schema"] == "seawall.inventory/v1"
    assert set(inventory) == {
        "schema",
        "generated_at",
        "sources",
        "assets",
        "relations",
        "controls",
        "warnings",
    }
    assert inventory["generated_at"].endswith("Z")
    ids = [a["id"] for a in inventory["assets"]]
    assert len(ids) == len(set(ids))  # deduplicated by id


def test_inventory_finds_every_container_service_of_the_estate(inventory: dict[str, Any]) -> None:
    services = {(a["name"], a["service"]) for a in inventory["assets"] if a["kind"] != "endpoint"}
    for name, (service, _, _) in EXPECTED.items():
        assert (name, service) in services, name
    aks = [a for a in inventory["assets"] if a["service"] == "azure.aks" and a["kind"] == "cluster"]
    assert len(aks) >= 2


def test_inventory_relations_image_identity_exposure(inventory: dict[str, Any]) -> None:
    assets = {a["name"]: a for a in inventory["assets"] if a["kind"] == "workload"}
    rels = {(r["source"], r["kind"], r["target"]) for r in inventory["relations"]}
    run = assets["reports-api"]
    assert (
        run["id"]
        == "//run.googleapis.com/projects/shop-data/locations/europe-west1/services/reports-api"
    )
    image = "europe-west1-docker.pkg.dev/shop-data/apps/reports-api:1.3.0"
    assert run["properties"]["images"] == [image]
    assert (run["id"], "runs-image", image) in rels
    assert (run["id"], "uses-identity", "gcp-sa:reports@shop-data.iam.gserviceaccount.com") in rels
    assert run["properties"]["public"] is True  # ingress all + allUsers invoker
    assert run["properties"]["raw_format"] == "terraform-state"
    assert run["properties"]["raw_type"] == "google_cloud_run_v2_service"
    checkout = assets["checkout"]
    assert checkout["id"] == "k8s:default/shop/Deployment/checkout"
    assert (checkout["id"], "uses-identity", "arn:aws:iam::111122223333:role/shop-checkout") in rels
    job = assets["nightly-export"]  # from a child module
    assert job["properties"]["address"] == "module.exports.google_cloud_run_v2_job.nightly"


def test_coverage_document_shape(coverage: dict[str, Any]) -> None:
    assert coverage["schema"] == "seawall.coverage/v1"
    assert set(coverage) >= {"generated_at", "sources", "rows", "services", "findings", "warnings"}
    row = coverage["rows"][0]
    assert set(row) == {
        "asset",
        "name",
        "kind",
        "service",
        "service_name",
        "provider",
        "account",
        "region",
        "public",
        "runtime_scanning",
        "cells",
    }
    assert set(row["cells"][0]) == {"layer", "task", "party", "controls", "coverage", "verdict"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_matrix_row_cell_by_cell(coverage: dict[str, Any], name: str) -> None:
    service, public, codes = EXPECTED[name]
    rows = [r for r in coverage["rows"] if r["name"] == name and r["service"] == service]
    assert len(rows) == 1, [r["name"] for r in coverage["rows"]]
    row = rows[0]
    assert row["public"] is public
    assert row_codes(row) == codes


def test_cells_say_what_covers_them(coverage: dict[str, Any]) -> None:
    rows = {r["name"]: r for r in coverage["rows"]}
    lab = rows["aks-lab"]["cells"][2]  # application / threat-detection
    assert (lab["layer"], lab["task"]) == ("application", "threat-detection")
    assert lab["coverage"] == "native-off"
    assert lab["controls"][0]["control"] == "azure.defender-for-containers"
    assert lab["controls"][0]["status"] == "off"
    prod = rows["aks-shop-prod"]["cells"][2]
    assert prod["coverage"] == "native-active" and prod["verdict"] == "covered"
    gke = rows["gke-shop"]["cells"][1]  # posture on, but its vulnerability scanning is off
    assert gke["coverage"] == "native-off"
    assert {c["control"]: c["status"] for c in gke["controls"]} == {
        "gcp.gke-security-posture": "off",
        "gcp.artifact-analysis": "off",
    }
    fargate = rows["payments-api"]["cells"][2]
    # runtime monitoring on, Fargate agent automation off, cluster not tagged GuardDutyManaged
    assert fargate["coverage"] == "native-off"
    apprunner = rows["orders-web"]["cells"][2]
    assert apprunner["coverage"] == "none" and apprunner["controls"] == []
    assert rows["orders-web"]["cells"][4]["verdict"] == "provider"


def test_gap_findings_severity_and_remediation(coverage: dict[str, Any]) -> None:
    findings = coverage["findings"]
    assert all(f["type"] == "coverage-gap" for f in findings)
    gaps = sum(1 for r in coverage["rows"] for c in r["cells"] if c["verdict"] == "gap")
    assert len(findings) == gaps

    def finding(name: str, layer: str, task: str) -> dict[str, Any]:
        row = next(r for r in coverage["rows"] if r["name"] == name)
        return next(
            f
            for f in findings
            if f["asset"] == row["asset"] and f["layer"] == layer and f["task"] == task
        )

    public_gap = finding("ca-checkout", "application", "threat-detection")
    assert public_gap["severity"] == "high"  # customer cell of a public workload
    assert "seawall detect" in public_gap["remediation"]  # registry scanning only
    private_gap = finding("nightly-export", "application", "threat-detection")
    assert private_gap["severity"] == "medium"
    shared_gap = finding("aks-lab", "platform", "threat-detection")
    assert shared_gap["severity"] == "low"
    fargate = finding("payments-api", "application", "threat-detection")
    assert "GuardDuty agent" in fargate["remediation"]
    defender = finding("web-lab-portal", "application", "threat-detection")
    assert "Defender for App Service" in defender["remediation"]
    assert defender["rule"] == "coverage-gap/application/threat-detection"
    assert defender["details"]["party"] == "customer"

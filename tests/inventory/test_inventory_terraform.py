"""Terraform resources mapped to service catalog keys, images, exposure and controls."""

from __future__ import annotations

from typing import Any

import pytest
from seawall_testlib import DATA

from seawall.inventory.base import InventoryPart
from seawall.inventory.sources.terraform import load_files, read_hcl_text, transform_resources
from seawall.model import Asset

APPS = DATA / "inventory" / "terraform" / "apps"


@pytest.fixture(scope="module")
def part() -> InventoryPart:
    return load_files(sorted(APPS.glob("*.tf")), "apps")


def _asset(part: InventoryPart, name: str) -> Asset:
    return next(a for a in part.assets if a.name == name and a.kind != "endpoint")


def test_app_service_is_a_container_workload_only_with_a_docker_image(part: InventoryPart) -> None:
    portal = _asset(part, "web-shop-portal")
    assert (portal.service, portal.properties["container"]) == ("azure.webapp", True)
    assert portal.properties["images"] == ["shopacr.azurecr.io/shop/portal:5.1.0"]
    docs = _asset(part, "web-shop-docs")
    assert (docs.service, docs.properties["container"]) == ("azure.webapp", False)
    legacy = _asset(part, "app-legacy-billing")  # linux_fx_version = "DOCKER|..."
    assert legacy.properties["container"] is True
    assert legacy.properties["images"] == ["shopacr.azurecr.io/billing:2.0.7"]


def test_function_app_from_a_container_image(part: InventoryPart) -> None:
    resize = _asset(part, "func-shop-resize")
    assert resize.service == "azure.functionapp"
    assert resize.properties["images"] == ["shopacr.azurecr.io/image-resizer:1.8.0"]
    cron = _asset(part, "func-shop-cron")
    assert cron.properties["container"] is False


def test_site_containers_make_a_web_app_a_container_workload() -> None:
    from pathlib import Path

    # kind and application_stack say nothing about containers; the azapi site container does
    text = """
resource "azurerm_linux_web_app" "sidecars" {
  name            = "web-with-sidecars"
  service_plan_id = azurerm_service_plan.linux.id
  site_config {}
}

resource "azapi_resource" "main_container" {
  type      = "Microsoft.Web/sites/sitecontainers@2024-04-01"
  name      = "main"
  parent_id = azurerm_linux_web_app.sidecars.id
  body = {
    properties = {
      image      = "shopacr.azurecr.io/web:9"
      isMain     = true
      targetPort = "8080"
    }
  }
}
"""
    objects, warnings = read_hcl_text(text, Path("sidecars.tf"))
    assert warnings == []
    (asset,) = [a for a in transform_resources(objects, root="x").assets if a.kind == "workload"]
    assert asset.name == "web-with-sidecars"
    assert asset.properties["container"] is True
    assert asset.properties["images"] == ["shopacr.azurecr.io/web:9"]


def test_container_apps_and_instances_with_exposure(part: InventoryPart) -> None:
    app = _asset(part, "ca-checkout")
    assert (app.service, app.properties["public"]) == ("azure.containerapps", True)
    aci = _asset(part, "aci-shop-batch")
    assert (aci.service, aci.properties["public"]) == ("azure.aci", False)
    rels = {(r.source, r.kind) for r in part.relations}
    assert (app.id, "exposed-by") in rels and (aci.id, "exposed-by") not in rels


def test_aws_services_from_hcl(part: InventoryPart) -> None:
    api = _asset(part, "payments-api")
    assert api.service == "aws.ecs-fargate"  # FARGATE_SPOT capacity provider
    # the image comes from the referenced task definition's container_definitions
    assert api.properties["images"] == [
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments-api:3.4.1"
    ]
    assert api.properties["public"] is False
    lam = _asset(part, "thumbnailer")
    assert (lam.service, lam.properties["container"]) == ("aws.lambda", True)
    assert _asset(part, "orders-web").service == "aws.apprunner"
    cluster = _asset(part, "payments")
    assert any(
        (r.source, r.kind, r.target) == (api.id, "member-of", cluster.id) for r in part.relations
    )


def test_gcp_services_from_hcl_keep_unresolved_expressions(part: InventoryPart) -> None:
    gke = _asset(part, "gke-apps")
    assert gke.service == "gcp.gke-autopilot"
    sync = _asset(part, "inventory-sync")
    assert sync.service == "gcp.cloudrun-service"
    assert sync.properties["public"] is False  # internal-only ingress
    assert sync.properties["images"] == [
        "europe-west1-docker.pkg.dev/shop-apps/apps/inventory-sync:${var.release}"
    ]
    assert sync.properties["raw"]["template"][0]["service_account"] == (
        "${google_service_account.sync.email}"
    )


def test_native_controls_declared_in_terraform(part: InventoryPart) -> None:
    states: dict[str, Any] = {c.control: c.status for c in part.controls}
    assert states["azure.defender-for-containers"] == "on"
    assert states["azure.defender-for-app-service"] == "off"
    assert states["aws.guardduty-ecs-runtime"] == "on"
    assert states["aws.guardduty-eks-runtime"] == "off"
    assert states["aws.inspector-ecr"] == "on"
    assert states["aws.inspector-ec2"] == "off"


def test_terraform_kubernetes_provider_workloads() -> None:
    from pathlib import Path

    text = """
resource "kubernetes_deployment_v1" "api" {
  metadata {
    name      = "api"
    namespace = "shop"
  }
  spec {
    replicas = 2
    template {
      metadata {
        labels = { app = "api" }
      }
      spec {
        init_container {
          name  = "migrate"
          image = "ghcr.io/example/api-migrate:2.0"
        }
        container {
          name  = "api"
          image = "ghcr.io/example/api:2.0"
        }
      }
    }
  }
}
"""
    objects, _ = read_hcl_text(text, Path("k8s.tf"))
    (asset,) = transform_resources(objects, root="k8s").assets
    assert (asset.kind, asset.service) == ("workload", "kubernetes.self-managed")
    assert asset.properties["images"] == [
        "ghcr.io/example/api-migrate:2.0",
        "ghcr.io/example/api:2.0",
    ]

"""Azure source: Resource Graph (CLI 1.x and 2.x shapes, REST), ARM lists, Defender pricings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.resourcegraph import ResourceGraphClient
from cloud_replay import replay_server
from seawall_testlib import DATA

from seawall.errors import InputError
from seawall.inventory.sources import azure

ESTATE = DATA / "inventory" / "estate" / "az-graph.json"
CLOUD = DATA / "inventory" / "cloud"
SUB_ON = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
SUB_OFF = "5c7a0e2d-3f4b-4a8e-9d1c-6b2e8f0a7c31"
OPS = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def rid(sub: str, rg: str, rest: str) -> str:
    return f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{rest}"


FUNC = rid(SUB_ON, "rg-shop", "microsoft.web/sites/func-shop-images")
WEBAPP = rid(SUB_OFF, "rg-lab", "microsoft.web/sites/web-lab-portal")
CONTAINER_APP = rid(SUB_ON, "rg-shop", "microsoft.app/containerapps/ca-checkout")
AKS_PROD = rid(SUB_ON, "rg-shop", "microsoft.containerservice/managedclusters/aks-shop-prod")
AKS_LAB = rid(SUB_OFF, "rg-lab", "microsoft.containerservice/managedclusters/aks-lab")


def assets(part: azure.InventoryPart) -> dict[str, azure.Asset]:
    return {a.id: a for a in part.assets}


def edges(part: azure.InventoryPart, source: str) -> set[tuple[str, str]]:
    return {(r.kind, r.target) for r in part.relations if r.source == source}


def test_estate_workloads_clusters_and_registry() -> None:
    assert azure.sniff(ESTATE, ESTATE.read_bytes()[:4096])
    part = azure.load_file(ESTATE)
    found = {a.id: a.service for a in part.assets if a.kind in {"workload", "cluster", "registry"}}
    assert found == {
        AKS_PROD: "azure.aks",
        AKS_LAB: "azure.aks",
        FUNC: "azure.functionapp",
        WEBAPP: "azure.webapp",
        CONTAINER_APP: "azure.containerapps",
        rid(SUB_ON, "rg-shop", "microsoft.app/managedenvironments/cae-shop"): "azure.containerapps",
        rid(SUB_ON, "rg-shop", "microsoft.containerregistry/registries/shopacr"): "azure.acr",
    }
    # web-lab-docs runs PYTHON|3.11: an App Service, but no container
    assert not any("web-lab-docs" in a.id for a in part.assets)
    assert part.warnings == []


def test_function_app_image_identity_and_public_endpoint() -> None:
    part = azure.load_file(ESTATE)
    func = assets(part)[FUNC]
    assert func.properties["images"] == ["shopacr.azurecr.io/image-resizer:1.8.0"]
    assert func.account == SUB_ON and func.region == "westeurope"
    assert func.properties["raw_format"] == "azure-graph"
    assert func.properties["raw_type"] == "microsoft.web/sites"
    assert func.properties["raw"]["kind"] == "functionapp,linux,container"
    identity = rid(
        SUB_ON, "rg-shop", "microsoft.managedidentity/userassignedidentities/id-shop-pull"
    )
    assert edges(part, FUNC) == {
        ("runs-image", "shopacr.azurecr.io/image-resizer:1.8.0"),
        ("uses-identity", identity),
        ("exposed-by", f"{FUNC}#site"),
    }
    assert assets(part)[f"{FUNC}#site"].properties["public"] is True
    assert assets(part)[identity].kind == "identity"


def test_container_app_external_ingress_is_public_and_member_of_environment() -> None:
    part = azure.load_file(ESTATE)
    env = rid(SUB_ON, "rg-shop", "microsoft.app/managedenvironments/cae-shop")
    system_identity = f"{CONTAINER_APP}/providers/microsoft.managedidentity/identities/default"
    assert edges(part, CONTAINER_APP) == {
        ("runs-image", "shopacr.azurecr.io/checkout:4.2.0"),
        ("member-of", env),
        ("exposed-by", f"{CONTAINER_APP}#ingress"),
        ("uses-identity", system_identity),
    }
    ingress = assets(part)[f"{CONTAINER_APP}#ingress"]
    assert ingress.properties["public"] is True
    assert ingress.properties["fqdn"].startswith("ca-checkout.")


def test_aks_node_pools_api_exposure_and_defender_sensor() -> None:
    part = azure.load_file(ESTATE)
    by_id = assets(part)
    pools = sorted(
        r.source.rsplit("/", 1)[-1]
        for r in part.relations
        if r.kind == "member-of" and r.target == AKS_PROD
    )
    assert pools == ["apps", "system"]
    assert by_id[f"{AKS_PROD}/agentpools/system"].kind == "node-pool"
    assert by_id[f"{AKS_PROD}#api"].properties["public"] is True
    assert by_id[f"{AKS_LAB}#api"].properties["public"] is False  # private cluster
    assert by_id[AKS_PROD].properties["defender_sensor"] is True
    assert "defender_sensor" not in by_id[AKS_LAB].properties


def test_defender_plans_on_for_one_subscription_off_for_the_other() -> None:
    part = azure.load_file(ESTATE)
    states = {(c.control, c.scope): c.status for c in part.controls}
    plans = ["containers", "app-service", "cspm", "servers"]
    for plan in plans:
        control = f"azure.defender-{plan}" if plan == "cspm" else f"azure.defender-for-{plan}"
        assert states[(control, f"azure:{SUB_ON}")] == "on"
        assert states[(control, f"azure:{SUB_OFF}")] == "off"
    containers = next(
        c
        for c in part.controls
        if c.control == "azure.defender-for-containers" and c.scope == f"azure:{SUB_ON}"
    )
    assert containers.details["extension:ContainerSensor"] == "True"


def test_cli_1x_array_kind_is_not_trusted_site_containers_aci_batch_spring_openshift() -> None:
    path = CLOUD / "az-graph-v1-array.json"
    assert azure.sniff(path, path.read_bytes()[:4096])
    part = azure.load_file(path)
    by_id = assets(part)
    dashboard = rid(OPS, "rg-ops", "microsoft.web/sites/ops-dashboard")
    # kind "app,linux" but DOCKER| fx version: a container workload, not publicly reachable
    assert by_id[dashboard].service == "azure.webapp"
    assert by_id[dashboard].properties["images"] == ["opsacr.azurecr.io/dashboard:2.0"]
    assert by_id[f"{dashboard}#site"].properties["public"] is False
    # kind says container, the fx version says Node: not a container workload
    assert rid(OPS, "rg-ops", "microsoft.web/sites/ops-api") not in by_id
    sidecar = rid(OPS, "rg-ops", "microsoft.web/sites/ops-sidecar")
    assert by_id[sidecar].properties["images"] == [
        "opsacr.azurecr.io/web:5.1",
        "mcr.microsoft.com/opentelemetry-collector:0.98",
    ]
    aci = rid(OPS, "rg-ops", "microsoft.containerinstance/containergroups/ci-report")
    assert by_id[aci].service == "azure.aci"
    assert by_id[f"{aci}#ip"].properties["public"] is True
    assert (
        "uses-identity",
        rid(OPS, "rg-ops", "microsoft.managedidentity/userassignedidentities/id-report"),
    ) in edges(part, aci)
    render = rid(OPS, "rg-ops", "microsoft.batch/batchaccounts/opsbatch/pools/render")
    assert by_id[render].service == "azure.batch"
    assert by_id[render].properties["images"] == ["opsacr.azurecr.io/render:7"]
    assert rid(OPS, "rg-ops", "microsoft.batch/batchaccounts/opsbatch/pools/plainvm") not in by_id
    deployment = rid(
        OPS, "rg-ops", "microsoft.appplatform/spring/ops-spring/apps/gateway/deployments/default"
    )
    assert by_id[deployment].properties["images"] == ["opsacr.azurecr.io/gateway:3.2"]
    assert by_id[rid(OPS, "rg-ops", "microsoft.appplatform/spring/ops-spring")].service == (
        "azure.springapps"
    )
    aro = rid(OPS, "rg-ops", "microsoft.redhatopenshift/openshiftclusters/aro-ops")
    assert by_id[aro].service == "azure.openshift"
    assert by_id[f"{aro}#api"].properties["public"] is False
    assert by_id[f"{aro}#ingress-default"].properties["public"] is True


def test_security_pricing_list_arm_shape() -> None:
    path = CLOUD / "az-security-pricing-list.json"
    assert azure.sniff(path, path.read_bytes()[:4096])
    part = azure.load_file(path)
    assert {(c.control, c.status) for c in part.controls} == {
        ("azure.defender-for-containers", "on"),
        ("azure.defender-for-app-service", "off"),
    }
    assert {c.scope for c in part.controls} == {f"azure:{OPS}"}


def test_terraform_state_and_arm_templates_are_not_sniffed(tmp_path: Path) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text(
        json.dumps(
            {
                "format_version": "1.0",
                "values": {
                    "root_module": {
                        "resources": [
                            {
                                "type": "azurerm_kubernetes_cluster",
                                "values": {
                                    "id": "/subscriptions/x/resourceGroups/r/providers/"
                                    + "Microsoft.ContainerService/managedClusters/c",
                                    "type": "microsoft.containerservice/managedclusters",
                                },
                            }
                        ]
                    }
                },
            }
        )
    )
    assert not azure.sniff(state, state.read_bytes())
    template = tmp_path / "main.json"
    template.write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "resources": [{"type": "Microsoft.Web/sites", "id": "/subscriptions/x"}],
            }
        )
    )
    assert not azure.sniff(template, template.read_bytes())


def test_unrecognised_document_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"hello": "/subscriptions/x microsoft.web"}')
    with pytest.raises(InputError, match=r"odd\.json: not an Azure Resource Graph"):
        azure.load_file(path)


class _StaticToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("recorded-token", 4102444800)


class _NoCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


def _recorded(method: str, path: str, query: str, body: bytes) -> tuple[int, Any]:
    assert method == "POST" and path == "/providers/Microsoft.ResourceGraph/resources"
    request = json.loads(body)
    if "securityresources" in request["query"]:
        return 200, json.loads((CLOUD / "arg-rest-pricings.json").read_text())
    page = "2" if request.get("options", {}).get("$skipToken") else "1"
    return 200, json.loads((CLOUD / f"arg-rest-resources-page{page}.json").read_text())


def test_live_collection_pages_through_resource_graph_on_a_local_server() -> None:
    with replay_server(_recorded) as (url, seen):
        client = ResourceGraphClient(
            _StaticToken(), base_url=url, authentication_policy=SansIOHTTPPolicy()
        )
        part = azure.collect_live(azure_client=client, azure_subscriptions=[SUB_ON, SUB_OFF])
    assert part.warnings == []
    assert part.sources == ["live:azure"]
    offline = azure.load_file(ESTATE)
    assert sorted(a.id for a in part.assets) == sorted(a.id for a in offline.assets)
    assert sorted((c.control, c.scope, c.status) for c in part.controls) == sorted(
        (c.control, c.scope, c.status) for c in offline.controls
    )
    bodies = [json.loads(s["body"]) for s in seen]
    assert len(bodies) == 3  # two resource pages, one pricing query
    assert bodies[0]["subscriptions"] == [SUB_ON, SUB_OFF]
    assert bodies[1]["options"]["$skipToken"]


def test_live_credential_failure_is_a_warning_without_secrets() -> None:
    part = azure.collect_live(
        azure_credential=_NoCredential(),
        azure_endpoint="https://127.0.0.1:9",
        azure_subscriptions=[SUB_ON],
    )
    assert part.assets == []
    assert len(part.warnings) == 1
    assert part.warnings[0].startswith(
        "azure: cannot query Resource Graph (ClientAuthenticationError"
    )
    assert "Azure skipped" in part.warnings[0]

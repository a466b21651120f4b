"""GCP source: Cloud Asset export (JSON lines, snake_case) and list (camelCase), SCC settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cloud_replay import replay_server
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import asset_v1
from seawall_testlib import DATA

from seawall.errors import InputError
from seawall.inventory.sources import gcp

ESTATE = DATA / "inventory" / "estate" / "gcp-assets.jsonl"
CLOUD = DATA / "inventory" / "cloud"
LIST = CLOUD / "gcloud-asset-list.json"
SHOP = "shop-prod-4821"
LAB = "ml-lab-2291"
GKE = f"//container.googleapis.com/projects/{SHOP}/locations/europe-west1/clusters/gke-shop"
RUN = f"//run.googleapis.com/projects/{SHOP}/locations/europe-west1/services/storefront"


def lab(service: str, rest: str) -> str:
    return f"//{service}/projects/{LAB}/locations/us-central1/{rest}"


def assets(part: gcp.InventoryPart) -> dict[str, gcp.Asset]:
    return {a.id: a for a in part.assets}


def edges(part: gcp.InventoryPart, source: str) -> set[tuple[str, str]]:
    return {(r.kind, r.target) for r in part.relations if r.source == source}


def test_export_jsonl_gke_and_public_cloud_run() -> None:
    assert gcp.sniff(ESTATE, ESTATE.read_bytes()[:4096])
    part = gcp.load_file(ESTATE)
    by_id = assets(part)
    assert {a.id: a.service for a in part.assets if a.kind in {"workload", "cluster"}} == {
        GKE: "gcp.gke-standard",
        RUN: "gcp.cloudrun-service",
    }
    run = by_id[RUN]
    image = "europe-west1-docker.pkg.dev/shop-prod-4821/apps/storefront:8.3.0"
    assert run.properties["images"] == [image]
    assert run.account == SHOP and run.region == "europe-west1"
    assert run.properties["raw_format"] == "gcp-asset"
    assert run.properties["raw_type"] == "run.googleapis.com/Service"
    assert run.properties["raw"]["resource"]["data"]["kind"] == "Service"
    assert edges(part, RUN) == {
        ("runs-image", image),
        ("exposed-by", f"{RUN}#url"),
        ("uses-identity", f"gcp-sa:storefront@{SHOP}.iam.gserviceaccount.com"),
    }
    # ingress "all" and an allUsers invoker binding (from the iam_policy line)
    assert by_id[f"{RUN}#url"].properties["public"] is True
    pool = f"{GKE}/nodePools/default-pool"
    assert edges(part, pool) == {
        ("member-of", GKE),
        ("uses-identity", f"gcp-sa:gke-nodes@{SHOP}.iam.gserviceaccount.com"),
    }
    assert by_id[f"{GKE}#api"].properties["public"] is True


def test_export_controls_use_the_project_id_not_its_number() -> None:
    part = gcp.load_file(ESTATE)
    states = {(c.control, c.scope): c.status for c in part.controls}
    assert states == {
        ("gcp.artifact-analysis", f"gcp:{SHOP}"): "off",
        ("gcp.gke-security-posture", GKE): "on",
    }


def test_asset_list_camel_case_every_gcp_container_service() -> None:
    assert gcp.sniff(LIST, LIST.read_bytes()[:4096])
    part = gcp.load_file(LIST)
    found = {a.id: a.service for a in part.assets if a.kind in {"workload", "cluster", "registry"}}
    assert found == {
        lab("container.googleapis.com", "clusters/ap-lab"): "gcp.gke-autopilot",
        lab("run.googleapis.com", "services/feature-store"): "gcp.cloudrun-service",
        lab("run.googleapis.com", "jobs/nightly-train"): "gcp.cloudrun-job",
        lab("cloudfunctions.googleapis.com", "functions/resize-image"): "gcp.cloudrun-functions",
        f"//appengine.googleapis.com/apps/{LAB}/services/default/versions/20261120t101500": (
            "gcp.appengine-flex"
        ),
        lab("batch.googleapis.com", "jobs/embed-batch-7"): "gcp.batch",
        lab("aiplatform.googleapis.com", "customJobs/5120339871043584000"): "gcp.vertexai",
        lab("artifactregistry.googleapis.com", "repositories/ml"): "gcp.artifactregistry",
        f"//storage.googleapis.com/us.artifacts.{LAB}.appspot.com": "gcp.gcr",
    }
    # App Engine standard, a Python repository, a data bucket and the Cloud Run service
    # behind the gen2 function are not (separate) container services
    ids = set(assets(part))
    assert not any("legacy" in i or "pypi-mirror" in i or "datasets" in i for i in ids)
    assert lab("run.googleapis.com", "services/resize-image") not in ids


def test_ingress_and_invoker_decide_public_exposure() -> None:
    part = gcp.load_file(LIST)
    by_id = assets(part)
    feature = lab("run.googleapis.com", "services/feature-store")
    # allUsers may invoke, but ingress is internal-only: not reachable from the internet
    assert by_id[f"{feature}#url"].properties["public"] is False
    assert by_id[feature].properties["unauthenticated_invoke"] is True
    function = lab("cloudfunctions.googleapis.com", "functions/resize-image")
    assert by_id[f"{function}#url"].properties["public"] is True
    assert by_id[function].properties["images"] == [
        "us-central1-docker.pkg.dev/ml-lab-2291/gcf-artifacts/resize--image:version_1"
    ]
    default_sa = "gcp-sa:77120045813-compute@developer.gserviceaccount.com"
    assert ("uses-identity", default_sa) in edges(part, function)
    autopilot = lab("container.googleapis.com", "clusters/ap-lab")
    assert by_id[f"{autopilot}#api"].properties["public"] is False


def test_scc_container_threat_detection_settings_both_apis() -> None:
    legacy = gcp.load_file(CLOUD / "scc-ctd-settings.json")
    assert [(c.control, c.scope, c.status) for c in legacy.controls] == [
        ("gcp.container-threat-detection", "gcp:77120045813", "on")
    ]
    managed = gcp.load_file(CLOUD / "scc-manage-ctd.json")
    assert [(c.control, c.scope, c.status) for c in managed.controls] == [
        ("gcp.container-threat-detection", f"gcp:{LAB}", "off")
    ]
    for name in ("scc-ctd-settings.json", "scc-manage-ctd.json"):
        path = CLOUD / name
        assert gcp.sniff(path, path.read_bytes())


def test_scc_billing_tier_becomes_standard_and_premium_controls() -> None:
    path = CLOUD / "scc-billing-metadata.json"
    assert gcp.sniff(path, path.read_bytes())
    part = gcp.load_file(path)
    assert sorted((c.control, c.scope, c.status) for c in part.controls) == [
        ("gcp.scc-premium", "gcp-org:531177702963", "on"),
        ("gcp.scc-standard", "gcp-org:531177702963", "on"),
    ]


def test_bad_lines_and_foreign_json(tmp_path: Path) -> None:
    broken = tmp_path / "export.jsonl"
    broken.write_text(ESTATE.read_text().splitlines()[0] + "\n{broken\n")
    with pytest.raises(InputError, match=r"export\.jsonl:2: invalid JSON line"):
        gcp.load_file(broken)
    foreign = tmp_path / "pod.json"
    foreign.write_text(json.dumps([{"kind": "Pod", "metadata": {"name": "x"}}]))
    assert not gcp.sniff(foreign, foreign.read_bytes())
    with pytest.raises(InputError, match="no asset_type/assetType"):
        gcp.load_file(foreign)


def _recorded(method: str, path: str, query: str, body: bytes) -> tuple[int, Any]:
    assert method == "GET" and path == f"/v1/projects/{LAB}/assets"
    params = parse_qs(query)
    # the REST transport sends enums as numbers: 1 = RESOURCE, 2 = IAM_POLICY
    if params.get("contentType") in (["IAM_POLICY"], ["2"]):
        return 200, json.loads((CLOUD / "cai-rest-list-iam.json").read_text())
    page = "2" if params.get("pageToken") else "1"
    return 200, json.loads((CLOUD / f"cai-rest-list-resource-page{page}.json").read_text())


def test_live_collection_through_google_cloud_asset_on_a_local_server() -> None:
    with replay_server(_recorded) as (url, seen):
        client = asset_v1.AssetServiceClient(
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            transport="rest",
            client_options=ClientOptions(api_endpoint=url),
        )
        part = gcp.collect_live(gcp_client=client, gcp_projects=[LAB])
    assert part.warnings == []
    offline = gcp.load_file(LIST)
    assert sorted(a.id for a in part.assets) == sorted(a.id for a in offline.assets)
    feature = lab("run.googleapis.com", "services/feature-store")
    assert assets(part)[feature].properties["unauthenticated_invoke"] is True
    assert len(seen) == 3  # two resource pages and the IAM policies


def test_live_without_projects_or_credentials_warns_and_continues() -> None:
    part = gcp.collect_live(gcp_projects=[])
    assert part.assets == [] and "no project given" in part.warnings[0]

    class Refusing:
        def list_assets(self, request: Any) -> Any:
            from google.api_core.exceptions import PermissionDenied

            raise PermissionDenied("caller does not have cloudasset.assets.listResource")

    part = gcp.collect_live(gcp_client=Refusing(), gcp_projects=["a-project", "b-project"])
    assert [w.split(" (")[0] for w in part.warnings] == [
        "gcp: a-project: cannot list assets",
        "gcp: b-project: cannot list assets",
    ]

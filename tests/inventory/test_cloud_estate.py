"""The cloud part of the issue-4 estate (tests/data/inventory/estate/EXPECTED.md)."""

from __future__ import annotations

from collections import Counter

from seawall_testlib import DATA

from seawall.inventory.base import InventoryPart
from seawall.inventory.sources import aws, azure, gcp

ESTATE = DATA / "inventory" / "estate"
CLOUD_FILES = ("az-graph.json", "aws-config.json", "gcp-assets.jsonl", "gcp-scc-ctd.json")
MODULES = (aws, azure, gcp)


def load_all() -> InventoryPart:
    merged = InventoryPart()
    for name in CLOUD_FILES:
        path = ESTATE / name
        (module,) = [m for m in MODULES if m.sniff(path, path.read_bytes()[:65536])]
        part = module.load_file(path)
        merged.assets += part.assets
        merged.relations += part.relations
        merged.controls += part.controls
        merged.warnings += part.warnings
    return merged


def test_each_export_is_claimed_by_exactly_one_cloud_source() -> None:
    for name in CLOUD_FILES:
        path = ESTATE / name
        head = path.read_bytes()[:65536]
        claimed = [m.__name__ for m in MODULES if m.sniff(path, head)]
        assert len(claimed) == 1, (name, claimed)


def test_estate_service_counts_match_expected_md() -> None:
    estate = load_all()
    workloads = Counter(a.service for a in estate.assets if a.kind == "workload")
    assert workloads == {
        "azure.functionapp": 1,
        "azure.webapp": 1,
        "azure.containerapps": 1,
        "aws.ecs-fargate": 1,
        "aws.lambda": 1,
        "aws.apprunner": 1,
        "gcp.cloudrun-service": 1,
    }
    clusters = Counter(a.service for a in estate.assets if a.kind == "cluster")
    assert clusters == {
        "azure.aks": 2,
        "azure.containerapps": 1,
        "aws.eks": 1,
        "": 1,
        "gcp.gke-standard": 1,
    }
    assert sorted(a.service for a in estate.assets if a.kind == "registry") == [
        "aws.ecr",
        "azure.acr",
    ]
    assert estate.warnings == []


def test_every_provider_asset_keeps_its_raw_record() -> None:
    for asset in load_all().assets:
        if asset.kind in {"workload", "cluster", "registry", "node-pool"}:
            assert asset.properties["raw"], asset.id
            assert asset.properties["raw_format"] in {"azure-graph", "aws-config", "gcp-asset"}
            assert asset.properties["raw_type"], asset.id


def test_every_workload_has_an_image_except_the_config_recorded_lambda() -> None:
    estate = load_all()
    images = {r.source for r in estate.relations if r.kind == "runs-image"}
    missing = [a.id for a in estate.assets if a.kind == "workload" and a.id not in images]
    assert missing == ["arn:aws:lambda:eu-west-1:111122223333:function:thumbnailer"]


def test_estate_controls_on_off_unknown() -> None:
    states = Counter(c.status for c in load_all().controls)
    # Defender: 4 on (A) + 4 off (B); GuardDuty: 2 on, 1 off, 2 unknown, and the ECS runtime
    # agent off for the untagged payments cluster and its Fargate service;
    # GKE posture on, Artifact Analysis off, Container Threat Detection on
    assert states == {"on": 4 + 2 + 2, "off": 4 + 1 + 2 + 1, "unknown": 2}

"""Hostile exports: symlinks, oversized files, absurd nesting, wrong types in every field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.inventory.sources import _cloud, aws, azure, gcp


def test_symlinked_export_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("[]")
    link = tmp_path / "az.json"
    link.symlink_to(real)
    with pytest.raises(InputError, match="symbolic link"):
        azure.load_file(link)


def test_oversized_export_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text("[" + "0," * 100 + "0]")
    with pytest.raises(InputError, match="more than the 64 allowed"):
        _cloud.read_export(path, limit=64)


def test_absurd_nesting_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"configurationItems": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(InputError, match=r"deep\.json"):
        aws.load_file(path)


def test_wrong_types_everywhere_do_not_crash(tmp_path: Path) -> None:
    junk = [None, 1, "x", [], {}, {"id": 5, "type": 7}, {"id": "/subscriptions/s/x", "type": None}]
    rows = [
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a",
            "type": "microsoft.web/sites",
            "properties": junk,
            "identity": "SystemAssigned",
        },
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.App/containerApps/b",
            "type": "microsoft.app/containerapps",
            "properties": {
                "template": {"containers": [None, 3, {"image": 4}]},
                "configuration": {"ingress": "yes"},
            },
        },
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/"
            "managedClusters/c",
            "type": "microsoft.containerservice/managedclusters",
            "properties": {"agentPoolProfiles": "none", "apiServerAccessProfile": []},
        },
        *junk,
    ]
    az = tmp_path / "az.json"
    az.write_text(json.dumps({"data": rows}))
    part = azure.load_file(az)
    assert {a.service for a in part.assets if a.kind in {"workload", "cluster"}} == {
        "azure.containerapps",
        "azure.aks",
    }
    items = [
        {"resourceType": t, "configuration": c}
        for t in (
            "AWS::ECS::Service",
            "AWS::EKS::Cluster",
            "AWS::Lambda::Function",
            "AWS::GuardDuty::Detector",
            "AWS::AppRunner::Service",
        )
        for c in ([], {"ServiceArn": 3, "Features": "x"}, {"Arn": "arn:aws:eks:r:1:cluster/x"})
    ]
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"configurationItems": [*items, *junk]}))
    aws.load_file(config)  # nothing to assert but "no exception": each record is optional
    lines = [
        {
            "name": "//run.googleapis.com/projects/p/locations/l/services/s",
            "asset_type": "run.googleapis.com/Service",
            "resource": {"data": junk},
        },
        {
            "name": 7,
            "asset_type": "container.googleapis.com/Cluster",
            "resource": {"data": {"nodePools": [1, None]}},
        },
    ]
    export = tmp_path / "assets.jsonl"
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    gcp.load_file(export)

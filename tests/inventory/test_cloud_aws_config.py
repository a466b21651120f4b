"""AWS Config exports as offline inventory input (snapshot, history, select-resource-config)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seawall_testlib import DATA

from seawall.errors import InputError
from seawall.inventory.sources import aws

ESTATE = DATA / "inventory" / "estate" / "aws-config.json"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
FARGATE_SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/payments/payments-api"


def by_id(part: aws.InventoryPart) -> dict[str, aws.Asset]:
    return {asset.id: asset for asset in part.assets}


def test_snapshot_is_sniffed_and_yields_each_container_service() -> None:
    assert aws.sniff(ESTATE, ESTATE.read_bytes()[:4096])
    part = aws.load_file(ESTATE)
    services = sorted(a.service for a in part.assets if a.kind == "workload")
    assert services == ["aws.apprunner", "aws.ecs-fargate", "aws.lambda"]
    clusters = {a.id: a.service for a in part.assets if a.kind == "cluster"}
    assert clusters[f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/shop-prod"] == "aws.eks"
    assert part.warnings == []


def test_fargate_service_runs_its_task_definition_images_with_task_role() -> None:
    part = aws.load_file(ESTATE)
    service = by_id(part)[FARGATE_SERVICE]
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments-api:3.4.1"
    assert service.properties["images"] == [image]
    assert service.account == ACCOUNT and service.region == REGION
    assert service.properties["raw_format"] == "aws-config"
    assert service.properties["raw_type"] == "AWS::ECS::Service"
    assert service.properties["raw"]["LaunchType"] == "FARGATE"
    edges = {(r.kind, r.target) for r in part.relations if r.source == FARGATE_SERVICE}
    assert ("runs-image", image) in edges
    assert ("uses-identity", f"arn:aws:iam::{ACCOUNT}:role/payments-api-task") in edges
    assert ("member-of", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/payments") in edges
    public = by_id(part)[f"{FARGATE_SERVICE}#public-ip"]
    assert public.kind == "endpoint" and public.properties["public"] is True


def test_guardduty_features_become_control_states_for_the_region() -> None:
    part = aws.load_file(ESTATE)
    states = {c.control: c.status for c in part.controls if c.scope == f"aws:{ACCOUNT}/{REGION}"}
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/payments"
    # the payments cluster has no GuardDutyManaged=true tag: its Fargate service has no agent
    assert {c.scope: c.status for c in part.controls if c.scope.startswith("arn:")} == {
        cluster: "off",
        FARGATE_SERVICE: "off",
    }
    assert states == {
        "aws.guardduty-eks-audit-logs": "on",
        "aws.guardduty-eks-runtime": "on",
        "aws.guardduty-ecs-runtime": "unknown",  # runtime on, agent automation off: per cluster
        "aws.guardduty-ec2-runtime": "unknown",
        "aws.guardduty-lambda-network": "off",
    }


def test_select_resource_config_rows_are_json_strings(tmp_path: Path) -> None:
    snapshot = json.loads(ESTATE.read_text())
    rows = []
    for item in snapshot["configurationItems"]:
        rows.append(
            json.dumps(
                {
                    "accountId": item["awsAccountId"],
                    "arn": item["ARN"],
                    "awsRegion": item["awsRegion"],
                    "resourceId": item["resourceId"],
                    "resourceType": item["resourceType"],
                    "configuration": item["configuration"],
                    "tags": [{"key": k, "value": v} for k, v in item["tags"].items()],
                }
            )
        )
    rows.append("{not json")
    path = tmp_path / "select.json"
    path.write_text(json.dumps({"QueryInfo": {"SelectFields": []}, "Results": rows}))
    assert aws.sniff(path, path.read_bytes()[:4096])
    part = aws.load_file(path)
    assert sorted(a.id for a in part.assets) == sorted(a.id for a in aws.load_file(ESTATE).assets)
    assert any("Results[9] is not valid JSON" in w for w in part.warnings)
    eks = by_id(part)[f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/shop-prod"]
    assert eks.tags == {"team": "shop"}


def test_history_output_with_configuration_as_string(tmp_path: Path) -> None:
    snapshot = json.loads(ESTATE.read_text())
    items = [
        dict(item, configuration=json.dumps(item["configuration"]))
        for item in snapshot["configurationItems"]
    ]
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"configurationItems": items}))
    assert FARGATE_SERVICE in by_id(aws.load_file(path))


@pytest.mark.parametrize(
    "content",
    ['{"format_version": "1.2", "resource_changes": [{"type": "AWS::x"}]}', '{"kind": "List"}'],
)
def test_other_json_is_not_sniffed(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    assert not aws.sniff(path, path.read_bytes())


def test_malformed_export_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"configurationItems": [')
    with pytest.raises(InputError, match=r"broken\.json: invalid JSON"):
        aws.load_file(path)
    path.write_text('{"something": 1}')
    with pytest.raises(InputError, match="not an AWS Config export"):
        aws.load_file(path)

"""AWS transforms on recorded API responses (services moto lacks or records only partly)."""

from __future__ import annotations

import json
from typing import Any

from seawall_testlib import DATA

from seawall.inventory.sources.aws import AwsRecord, transform_aws_records

RECORDED = json.loads((DATA / "inventory" / "cloud" / "aws-api-responses.json").read_text())
ACCOUNT, REGION = RECORDED["account"], RECORDED["region"]
RESPONSES: dict[str, Any] = RECORDED["responses"]


def record(rtype: str, body: dict[str, Any]) -> AwsRecord:
    return AwsRecord(type=rtype, body=body, account=ACCOUNT, region=REGION, raw_format="aws-api")


def records() -> list[AwsRecord]:
    out = [record("AWS::AppRunner::Service", RESPONSES["apprunner:DescribeService"]["Service"])]
    out += [
        record("AWS::ElasticBeanstalk::Environment", env)
        for env in RESPONSES["elasticbeanstalk:DescribeEnvironments"]["Environments"]
    ]
    out.append(record("AWS::Lambda::Function", RESPONSES["lambda:GetFunction"]))
    out.append(record("AWS::Lambda::Url", RESPONSES["lambda:GetFunctionUrlConfig"]))
    out += [record("AWS::ECS::Service", s) for s in RESPONSES["ecs:DescribeServices"]["services"]]
    out += [
        record("AWS::Inspector2::AccountStatus", a)
        for a in RESPONSES["inspector2:BatchGetAccountStatus"]["accounts"]
    ]
    out.append(record("AWS::SecurityHub::Hub", RESPONSES["securityhub:DescribeHub"]))
    return out


def test_app_runner_private_ingress_and_public_ecr_image() -> None:
    part = transform_aws_records(records(), source="live:aws")
    by_id = {a.id: a for a in part.assets}
    service_id = "1b2c3d4e5f60718293a4b5c6d7e8f901"
    arn = f"arn:aws:apprunner:{REGION}:{ACCOUNT}:service/internal-api/{service_id}"
    service = by_id[arn]
    assert service.service == "aws.apprunner"
    assert service.properties["images"] == ["public.ecr.aws/aws-containers/hello-app-runner:latest"]
    assert service.properties["image_repository_type"] == "ECR_PUBLIC"
    assert by_id[f"{arn}#url"].properties["public"] is False  # IsPubliclyAccessible false


def test_beanstalk_counts_only_docker_platforms() -> None:
    part = transform_aws_records(records())
    beanstalk = [a for a in part.assets if a.service == "aws.elasticbeanstalk"]
    assert [a.name for a in beanstalk] == ["legacy-docker"]


def test_lambda_image_uri_and_iam_protected_url() -> None:
    part = transform_aws_records(records())
    by_id = {a.id: a for a in part.assets}
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ingest"
    assert by_id[arn].properties["images"] == [
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ingest:2026.11.01"
    ]
    url = by_id[f"{arn}#url"]
    assert url.properties["public"] is False and url.properties["auth_type"] == "AWS_IAM"


def test_ecs_capacity_providers_decide_fargate_or_ec2() -> None:
    part = transform_aws_records(records())
    services = {a.name: a.service for a in part.assets if a.kind == "workload"}
    assert services["spot-worker"] == "aws.ecs-fargate"  # FARGATE_SPOT + FARGATE
    assert services["gpu-worker"] == "aws.ecs-ec2"  # an Auto Scaling group provider


def test_inspector2_and_security_hub_controls() -> None:
    part = transform_aws_records(records())
    states = {c.control: c.status for c in part.controls}
    assert states == {
        "aws.inspector-ecr": "on",
        "aws.inspector-lambda": "off",
        "aws.inspector-ec2": "off",
        "aws.securityhub": "on",
    }
    assert {c.scope for c in part.controls} == {f"aws:{ACCOUNT}/{REGION}"}


def test_missing_guardduty_detector_turns_every_guardduty_control_off() -> None:
    part = transform_aws_records([record("AWS::GuardDuty::Detector", {"Status": "NONE"})])
    assert {c.control: (c.status, c.details["reason"]) for c in part.controls} == {
        control: ("off", "no detector")
        for control in (
            "aws.guardduty-eks-audit-logs",
            "aws.guardduty-eks-runtime",
            "aws.guardduty-ecs-runtime",
            "aws.guardduty-ec2-runtime",
            "aws.guardduty-lambda-network",
        )
    }

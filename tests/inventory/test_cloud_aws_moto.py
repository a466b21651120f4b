"""AWS live collection against moto in server mode on 127.0.0.1 (real boto3 over HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from seawall.inventory.sources import aws

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:2.1"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_endpoint: str) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-never-logged")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("SEAWALL_AWS_REGIONS", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # moto answers 500 for App Runner: no retries
    return moto_endpoint


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def estate(moto_endpoint: str) -> dict[str, str]:
    """Create a small estate in moto: EKS + node group, ECS Fargate and EC2 services, an image
    Lambda with a public URL, a zip Lambda, Batch, ECR, GuardDuty and Inspector2."""
    e = moto_endpoint
    iam = client("iam", e)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role = iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    ec2 = client("ec2", e)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="api", Description="api", VpcId=vpc)["GroupId"]

    eks = client("eks", e)
    cluster = eks.create_cluster(
        name="prod",
        roleArn=role,
        resourcesVpcConfig={
            "subnetIds": [subnet],
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
    )["cluster"]["arn"]
    eks.create_nodegroup(clusterName="prod", nodegroupName="ng1", subnets=[subnet], nodeRole=role)

    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}b")[
        "Subnet"
    ]["SubnetId"]
    elb = client("elbv2", e)
    alb = elb.create_load_balancer(
        Name="api-alb", Subnets=[subnet, subnet_b], Scheme="internet-facing", Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group_arn = elb.create_target_group(
        Name="api-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
    )

    ecs = client("ecs", e)
    ecs_cluster = ecs.create_cluster(clusterName="apps")["cluster"]["clusterArn"]
    ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "api", "image": ECR_IMAGE, "memory": 512}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        taskRoleArn=role,
    )
    ecs.register_task_definition(
        family="worker",
        containerDefinitions=[{"name": "w", "image": "busybox:1.36", "memory": 128}],
    )
    fargate = ecs.create_service(
        cluster="apps",
        serviceName="api",
        taskDefinition="api",
        desiredCount=1,
        launchType="FARGATE",
        loadBalancers=[
            {"targetGroupArn": group_arn, "containerName": "api", "containerPort": 8080}
        ],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet],
                "securityGroups": [group],
                "assignPublicIp": "ENABLED",
            }
        },
    )["service"]["serviceArn"]
    # account-level Fargate agent management is on below: this cluster opts out by tag
    ecs.create_cluster(clusterName="no-agent", tags=[{"key": "GuardDutyManaged", "value": "false"}])
    opted_out = ecs.create_service(
        cluster="no-agent",
        serviceName="batch-api",
        taskDefinition="api",
        desiredCount=1,
        launchType="FARGATE",
    )["service"]["serviceArn"]
    on_ec2 = ecs.create_service(
        cluster="apps",
        serviceName="worker",
        taskDefinition="worker",
        desiredCount=1,
        launchType="EC2",
    )["service"]["serviceArn"]

    lam = client("lambda", e)
    fn = lam.create_function(
        FunctionName="thumbs", Role=role, PackageType="Image", Code={"ImageUri": ECR_IMAGE}
    )["FunctionArn"]
    lam.create_function_url_config(FunctionName="thumbs", AuthType="NONE")
    lam.create_function(
        FunctionName="zipped",
        Role=role,
        Runtime="python3.12",
        Handler="x.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )

    batch = client("batch", e)
    job = batch.register_job_definition(
        jobDefinitionName="render",
        type="container",
        containerProperties={
            "image": "public.ecr.aws/render/engine:7",
            "vcpus": 1,
            "memory": 512,
            "jobRoleArn": role,
        },
    )["jobDefinitionArn"]

    ecr = client("ecr", e)
    repo = ecr.create_repository(
        repositoryName="api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
    )["repository"]["repositoryArn"]

    client("guardduty", e).create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [
                    {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"},
                    {"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"},
                ],
            },
        ],
    )
    model = client("sagemaker", e).create_model(
        ModelName="ranker",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ranker:5"},
    )["ModelArn"]
    client("securityhub", e).enable_security_hub()
    client("inspector2", e).enable(accountIds=[ACCOUNT], resourceTypes=["ECR", "LAMBDA"])
    return {
        "cluster": cluster,
        "ecs_cluster": ecs_cluster,
        "fargate": fargate,
        "opted_out": opted_out,
        "ec2": on_ec2,
        "function": fn,
        "job": job,
        "repo": repo,
        "role": role,
        "model": model,
        "alb": alb,
    }


def test_live_collection_finds_every_container_service(
    aws_env: str, estate: dict[str, str]
) -> None:
    part = aws.collect_live()
    by_id = {a.id: a for a in part.assets}
    assert by_id[estate["cluster"]].service == "aws.eks"
    assert by_id[estate["fargate"]].service == "aws.ecs-fargate"
    assert by_id[estate["ec2"]].service == "aws.ecs-ec2"
    assert by_id[estate["function"]].service == "aws.lambda"
    assert by_id[estate["job"]].service == "aws.batch"
    assert by_id[estate["repo"]].service == "aws.ecr"
    assert by_id[estate["model"]].service == "aws.sagemaker"
    assert by_id[estate["model"]].properties["images"] == [
        f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ranker:5"
    ]
    assert not any("zipped" in a.id for a in part.assets)  # zip Lambdas run no image
    assert all(
        a.source == "live:aws" and a.account == ACCOUNT for a in part.assets if a.kind != "identity"
    )
    fargate = by_id[estate["fargate"]]
    assert fargate.properties["raw_format"] == "aws-api"
    assert fargate.properties["raw"]["launchType"] == "FARGATE"
    assert fargate.properties["images"] == [ECR_IMAGE]


def test_live_relations_images_identities_exposure(aws_env: str, estate: dict[str, str]) -> None:
    part = aws.collect_live()
    by_id = {a.id: a for a in part.assets}
    rel = {(r.source, r.kind, r.target) for r in part.relations}
    assert (estate["fargate"], "runs-image", ECR_IMAGE) in rel
    assert (estate["fargate"], "uses-identity", estate["role"]) in rel
    assert (estate["fargate"], "member-of", estate["ecs_cluster"]) in rel
    assert (estate["function"], "runs-image", ECR_IMAGE) in rel
    assert by_id[f"{estate['function']}#url"].properties["public"] is True  # AuthType NONE
    assert (estate["fargate"], "exposed-by", estate["alb"]) in rel
    assert by_id[estate["alb"]].kind == "endpoint"
    assert by_id[estate["alb"]].properties["public"] is True  # internet-facing
    assert by_id[f"{estate['cluster']}#api"].properties["public"] is False
    pools = [
        r.source for r in part.relations if r.kind == "member-of" and r.target == estate["cluster"]
    ]
    assert len(pools) == 1 and by_id[pools[0]].kind == "node-pool"
    repo = by_id[estate["repo"]]
    assert repo.properties["scan_on_push"] is True
    assert repo.properties["image_tag_mutability"] == "IMMUTABLE"


def test_live_controls_from_guardduty_and_inspector2(aws_env: str, estate: dict[str, str]) -> None:
    part = aws.collect_live()
    states = {c.control: c.status for c in part.controls if c.scope == f"aws:{ACCOUNT}/{REGION}"}
    assert states["aws.guardduty-eks-audit-logs"] == "on"
    assert states["aws.guardduty-ecs-runtime"] == "on"
    assert states["aws.guardduty-eks-runtime"] == "unknown"  # runtime on, no managed add-on
    assert states["aws.guardduty-lambda-network"] == "off"
    assert states["aws.inspector-ecr"] == "on"
    assert states["aws.inspector-lambda"] == "on"
    assert states["aws.inspector-ec2"] == "off"
    assert states["aws.securityhub"] == "on"


def test_live_cluster_tag_guardduty_managed_false_opts_fargate_out(
    aws_env: str, estate: dict[str, str]
) -> None:
    part = aws.collect_live()
    ecs = {c.scope: c for c in part.controls if c.control == "aws.guardduty-ecs-runtime"}
    assert ecs[f"aws:{ACCOUNT}/{REGION}"].status == "on"
    assert estate["fargate"] not in ecs  # untagged cluster: the account-level "on" holds
    opted_out = ecs[estate["opted_out"]]
    assert opted_out.status == "off"
    assert opted_out.details["reason"] == "cluster tagged GuardDutyManaged=false"
    cluster = {a.id: a for a in part.assets}[opted_out.details["cluster"]]
    assert cluster.tags == {"GuardDutyManaged": "false"}  # describe_clusters include=TAGS


def test_services_moto_lacks_become_warnings_not_failures(
    aws_env: str, estate: dict[str, str]
) -> None:
    part = aws.collect_live()
    # moto has no App Runner: that one API is reported and skipped, the rest is collected
    assert [w for w in part.warnings if "apprunner" in w] == [
        w for w in part.warnings if w.startswith(f"aws: {REGION} apprunner: ")
    ]
    assert not any("secret" in w.lower() or "testing" in w for w in part.warnings)
    assert any(a.kind == "workload" for a in part.assets)


def test_missing_credentials_are_one_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_endpoint: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("SEAWALL_AWS_REGIONS", REGION)
    part = aws.collect_live()
    assert part.assets == []
    assert part.warnings == ["aws: cannot authenticate (NoCredentialsError); AWS skipped"]


def test_every_region_in_seawall_aws_regions_is_collected(
    aws_env: str, estate: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEAWALL_AWS_REGIONS", f"{REGION}, us-east-1")
    part = aws.collect_live()
    east = {c.control: c.status for c in part.controls if c.scope == f"aws:{ACCOUNT}/us-east-1"}
    # nothing was enabled in us-east-1: no GuardDuty detector there means every feature is off
    assert east["aws.guardduty-eks-audit-logs"] == "off"
    assert east["aws.guardduty-ecs-runtime"] == "off"
    assert east["aws.securityhub"] == "off"
    assert {a.region for a in part.assets if a.kind == "workload"} == {REGION}

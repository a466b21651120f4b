"""AWS: container services from the AWS APIs (boto3) or an AWS Config export.

get_* talk to AWS and return `AwsRecord`s (each raw API or Config body as read);
`transform_aws_records` turns records into assets, relations and control states (pure);
`load_file` / `collect_live` are the entry points of the inventory source contract.

One transform reads both spellings: the APIs say `serviceName`, Config's CloudFormation-shaped
items say `ServiceName` (see `_cloud.pick`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from seawall.errors import InputError
from seawall.inputs import load_json
from seawall.inventory.base import ControlState, InventoryPart
from seawall.inventory.fargate import fargate_agent_controls
from seawall.inventory.redact import redacted_record
from seawall.inventory.sources._cloud import (
    PartBuilder,
    as_dict,
    as_list,
    gc_paused,
    jsonable,
    parse_json,
    path_get,
    pick,
    read_export,
    text,
    unique,
)
from seawall.model import Asset
from seawall.progress import progress_bar

PROVIDER = "aws"


class AwsRecord(msgspec.Struct, kw_only=True):
    """One raw AWS resource record: its CloudFormation-style type and body as read."""

    type: str  # "AWS::ECS::Service", ..., or "AWS::Inspector2::AccountStatus"
    body: dict[str, Any]
    account: str
    region: str
    raw_format: str  # aws-api | aws-config
    arn: str = ""


# ---------------------------------------------------------------- offline: AWS Config


def sniff(path: Path, head: bytes) -> bool:
    """An AWS Config snapshot, history or `select-resource-config` result."""
    sample = head[:65536]
    if b'"format_version"' in sample or b'"terraform_version"' in sample:
        return False
    return b'"AWS::' in sample and (
        b'"configurationItems"' in sample or b'"Results"' in sample or b'"resourceType"' in sample
    )


def read_config_records(document: Any, where: str) -> tuple[list[AwsRecord], list[str]]:
    """Records from a parsed AWS Config document (snapshot, history or advanced query)."""
    warnings: list[str] = []
    items: list[Any]
    if isinstance(document, dict) and isinstance(document.get("configurationItems"), list):
        items = document["configurationItems"]
    elif isinstance(document, dict) and isinstance(document.get("Results"), list):
        items = []
        for number, row in enumerate(document["Results"], 1):
            if isinstance(row, str):  # select-resource-config returns each row as a JSON string
                try:
                    items.append(load_json(row))
                except (ValueError, RecursionError):
                    warnings.append(f"{where}: Results[{number}] is not valid JSON; skipped")
            else:
                items.append(row)
    elif isinstance(document, list):
        items = document
    else:
        raise InputError(f"{where}: not an AWS Config export (no configurationItems or Results)")
    records: list[AwsRecord] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        rtype = text(item.get("resourceType"))
        if not rtype.startswith("AWS::"):
            continue
        configuration = item.get("configuration")
        if isinstance(configuration, str):  # history output carries it as a JSON string
            try:
                configuration = load_json(configuration)
            except (ValueError, RecursionError):
                warnings.append(f"{where}: {item.get('resourceId')}: configuration not JSON")
                continue
        body = as_dict(configuration)
        tags = item.get("tags")
        if isinstance(tags, list):  # advanced query: [{"key":..,"value":..}]
            tags = {text(t.get("key")): text(t.get("value")) for t in tags if isinstance(t, dict)}
        body = dict(body)
        if isinstance(tags, dict) and tags and "tags" not in body and "Tags" not in body:
            body["Tags"] = tags
        arn = text(item.get("ARN")) or text(item.get("arn"))
        account = text(item.get("awsAccountId")) or text(item.get("accountId"))
        records.append(
            AwsRecord(
                type=rtype,
                body=body,
                account=account or _arn_account(arn),
                region=text(item.get("awsRegion")) or _arn_region(arn),
                raw_format="aws-config",
                arn=arn,
            )
        )
    return records, warnings


def load_file(path: Path) -> InventoryPart:
    """Inventory from an AWS Config export file."""
    with gc_paused():
        document = parse_json(read_export(path), str(path))
        records, warnings = read_config_records(document, str(path))
        part = transform_aws_records(records, source=str(path))
    part.warnings[:0] = warnings
    return part


# ---------------------------------------------------------------- live: boto3


def aws_regions(session: Any) -> list[str]:
    """Regions to collect: SEAWALL_AWS_REGIONS (comma-separated), else the session default."""
    configured = os.environ.get("SEAWALL_AWS_REGIONS", "")
    regions = [r.strip() for r in configured.split(",") if r.strip()]
    if regions:
        return regions
    return [session.region_name or "us-east-1"]


def _error_reason(exc: BaseException) -> str:
    """A short, secret-free reason: the AWS error code, or the exception class."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = as_dict(response.get("Error")).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    if client.can_paginate(operation):
        items: list[Any] = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            items.extend(page.get(key, []))
        return items
    result = getattr(client, operation)(**kwargs)
    return list(result.get(key, []))


def get_eks(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """EKS clusters and their node groups as (type, body)."""
    records: list[tuple[str, dict[str, Any]]] = []
    for name in _paginate(client, "list_clusters", "clusters"):
        records.append(("AWS::EKS::Cluster", client.describe_cluster(name=name)["cluster"]))
        for group in _paginate(client, "list_nodegroups", "nodegroups", clusterName=name):
            body = client.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]
            records.append(("AWS::EKS::Nodegroup", body))
    return records


def get_ecs(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """ECS clusters, services and the task definitions those services run."""
    records: list[tuple[str, dict[str, Any]]] = []
    cluster_arns = _paginate(client, "list_clusters", "clusterArns")
    task_definitions: set[str] = set()
    for start in range(0, len(cluster_arns), 100):
        batch = cluster_arns[start : start + 100]
        # TAGS: GuardDutyManaged=true|false decides the Fargate runtime agent per cluster
        for cluster in client.describe_clusters(clusters=batch, include=["TAGS"])["clusters"]:
            records.append(("AWS::ECS::Cluster", cluster))
    for cluster_arn in cluster_arns:
        service_arns = _paginate(client, "list_services", "serviceArns", cluster=cluster_arn)
        for start in range(0, len(service_arns), 10):
            batch = service_arns[start : start + 10]
            described = client.describe_services(cluster=cluster_arn, services=batch)
            for service in described["services"]:
                records.append(("AWS::ECS::Service", service))
                if service.get("taskDefinition"):
                    task_definitions.add(service["taskDefinition"])
    for arn in sorted(task_definitions):
        described = client.describe_task_definition(taskDefinition=arn)
        records.append(("AWS::ECS::TaskDefinition", described["taskDefinition"]))
    return records


def get_lambda(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Lambda functions packaged as images (GetFunction: configuration + image URI) and URLs."""
    records: list[tuple[str, dict[str, Any]]] = []
    for function in _paginate(client, "list_functions", "Functions"):
        if function.get("PackageType") != "Image":
            continue
        name = function["FunctionName"]
        detail = client.get_function(FunctionName=name)
        records.append(("AWS::Lambda::Function", detail))
        try:  # the unqualified URL; alias URLs are rare for container functions
            url = client.get_function_url_config(FunctionName=name)
        except Exception as exc:  # no URL configured: ResourceNotFoundException
            if _error_reason(exc) not in {"ResourceNotFoundException", "404"}:
                raise
            continue
        records.append(("AWS::Lambda::Url", url))
    return records


def get_apprunner(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """App Runner services (DescribeService bodies)."""
    records: list[tuple[str, dict[str, Any]]] = []
    for summary in _paginate(client, "list_services", "ServiceSummaryList"):
        described = client.describe_service(ServiceArn=summary["ServiceArn"])
        records.append(("AWS::AppRunner::Service", described["Service"]))
    return records


def get_batch(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Batch compute environments and active container job definitions."""
    records: list[tuple[str, dict[str, Any]]] = [
        ("AWS::Batch::ComputeEnvironment", env)
        for env in _paginate(client, "describe_compute_environments", "computeEnvironments")
    ]
    for definition in _paginate(
        client, "describe_job_definitions", "jobDefinitions", status="ACTIVE"
    ):
        records.append(("AWS::Batch::JobDefinition", definition))
    return records


def get_ecr(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """ECR repositories (scan on push, tag immutability, encryption)."""
    return [
        ("AWS::ECR::Repository", repo)
        for repo in _paginate(client, "describe_repositories", "repositories")
    ]


def get_guardduty(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """GuardDuty detectors with their features; an empty list means no detector."""
    records: list[tuple[str, dict[str, Any]]] = []
    for detector_id in _paginate(client, "list_detectors", "DetectorIds"):
        body = dict(client.get_detector(DetectorId=detector_id))
        body["DetectorId"] = detector_id
        records.append(("AWS::GuardDuty::Detector", body))
    if not records:  # record the absence: it is what makes the controls "off"
        records.append(("AWS::GuardDuty::Detector", {"Status": "NONE"}))
    return records


def get_inspector2(client: Any, account: str) -> list[tuple[str, dict[str, Any]]]:
    """Inspector2 account status (which resource types it scans)."""
    status = client.batch_get_account_status(accountIds=[account])
    return [("AWS::Inspector2::AccountStatus", a) for a in status.get("accounts", [])]


def get_elbv2(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Application/network load balancers and their target groups (how services are exposed)."""
    records: list[tuple[str, dict[str, Any]]] = [
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", lb)
        for lb in _paginate(client, "describe_load_balancers", "LoadBalancers")
    ]
    records += [
        ("AWS::ElasticLoadBalancingV2::TargetGroup", group)
        for group in _paginate(client, "describe_target_groups", "TargetGroups")
    ]
    return records


def get_sagemaker(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """SageMaker models (their inference container images)."""
    return [
        ("AWS::SageMaker::Model", client.describe_model(ModelName=summary["ModelName"]))
        for summary in _paginate(client, "list_models", "Models")
    ]


def get_elasticbeanstalk(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Elastic Beanstalk environments (Docker platforms are container workloads)."""
    environments = client.describe_environments().get("Environments", [])
    return [("AWS::ElasticBeanstalk::Environment", env) for env in environments]


def get_securityhub(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Security Hub enablement: DescribeHub, or an absent hub when it is not enabled."""
    try:
        return [("AWS::SecurityHub::Hub", client.describe_hub())]
    except Exception as exc:
        if _error_reason(exc) in {"InvalidAccessException", "ResourceNotFoundException"}:
            return [("AWS::SecurityHub::Hub", {"Status": "NONE"})]
        raise


_REGIONAL_COLLECTORS: tuple[tuple[str, str], ...] = (
    ("eks", "get_eks"),
    ("ecs", "get_ecs"),
    ("elbv2", "get_elbv2"),
    ("lambda", "get_lambda"),
    ("apprunner", "get_apprunner"),
    ("batch", "get_batch"),
    ("ecr", "get_ecr"),
    ("guardduty", "get_guardduty"),
    ("inspector2", "get_inspector2"),
    ("sagemaker", "get_sagemaker"),
    ("elasticbeanstalk", "get_elasticbeanstalk"),
    ("securityhub", "get_securityhub"),
)


def get_aws_records(session: Any, regions: list[str]) -> tuple[list[AwsRecord], list[str]]:
    """Every record of every collector in every region; a refused call becomes a warning."""
    warnings: list[str] = []
    try:
        account = session.client("sts", region_name=regions[0]).get_caller_identity()["Account"]
    except Exception as exc:  # any credential problem ends AWS, not the run
        return [], [f"aws: cannot authenticate ({_error_reason(exc)}); AWS skipped"]
    records: list[AwsRecord] = []
    collectors = globals()
    with progress_bar() as progress:
        task = progress.add_task("aws", total=len(regions) * len(_REGIONAL_COLLECTORS))
        for region in regions:
            for service, getter in _REGIONAL_COLLECTORS:
                progress.update(task, description=f"aws {region} {service}")
                records += _collect_one(
                    session, region, service, collectors[getter], account, warnings
                )
                progress.advance(task)
    return records, warnings


def _collect_one(
    session: Any, region: str, service: str, getter: Any, account: str, warnings: list[str]
) -> list[AwsRecord]:
    """One collector in one region; a refused or unsupported API becomes a warning."""
    try:
        client = session.client(service, region_name=region)
        raw = getter(client, account) if service == "inspector2" else getter(client)
    except Exception as exc:  # one refused API must not stop the rest
        warnings.append(f"aws: {region} {service}: {_error_reason(exc)}; skipped")
        return []
    return [
        AwsRecord(
            type=rtype, body=jsonable(body), account=account, region=region, raw_format="aws-api"
        )
        for rtype, body in raw
    ]


def collect_live(**options: Any) -> InventoryPart:
    """Collect from AWS with the default boto3 credential chain (profile via `aws_profile`)."""
    import boto3

    try:
        session = boto3.Session(profile_name=options.get("aws_profile") or None)
    except Exception as exc:  # e.g. ProfileNotFound
        part = InventoryPart(sources=["live:aws"])
        part.warnings.append(f"aws: cannot start a session ({_error_reason(exc)}); AWS skipped")
        return part
    regions = options.get("aws_regions") or aws_regions(session)
    records, warnings = get_aws_records(session, list(regions))
    part = transform_aws_records(records, source="live:aws")
    part.warnings[:0] = warnings
    return part


# ---------------------------------------------------------------- transform (pure)


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 else ""


def _tags(body: dict[str, Any]) -> dict[str, str]:
    tags = pick(body, "tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):  # [{"key"/"Key": .., "value"/"Value": ..}]
        return {text(pick(t, "key")): text(pick(t, "value")) for t in tags if isinstance(t, dict)}
    return {}


class _AwsTransform:
    def __init__(self, records: list[AwsRecord], source: str) -> None:
        self.records = records
        self.out = PartBuilder(source)
        self.source = source
        self.task_definitions: dict[str, dict[str, Any]] = {}
        self.ecs_clusters: dict[str, dict[str, Any]] = {}
        self.lambda_ids: dict[str, str] = {}
        self.load_balancers: dict[str, AwsRecord] = {}
        self.target_groups: dict[str, list[str]] = {}  # target group ARN -> load balancer ARNs

    def asset(
        self,
        record: AwsRecord,
        *,
        asset_id: str,
        kind: str,
        name: str,
        service: str,
        **properties: Any,
    ) -> Asset:
        props: dict[str, Any] = {k: v for k, v in properties.items() if v is not None}
        props["raw"] = redacted_record(record.body)
        props["raw_format"] = record.raw_format
        props["raw_type"] = record.type
        asset = Asset(
            id=asset_id,
            kind=kind,
            name=name,
            provider=PROVIDER,
            service=service,
            account=record.account or _arn_account(asset_id) or None,
            region=record.region or _arn_region(asset_id) or None,
            source=self.source,
            tags=_tags(record.body),
            properties=props,
        )
        self.out.add_asset(asset)
        return asset

    def endpoint(
        self, owner: str, suffix: str, *, name: str, public: bool, record: AwsRecord, **props: Any
    ) -> None:
        endpoint_id = f"{owner}#{suffix}"
        self.out.add_asset(
            Asset(
                id=endpoint_id,
                kind="endpoint",
                name=name,
                provider=PROVIDER,
                account=record.account or None,
                region=record.region or None,
                source=self.source,
                properties={"public": public, **{k: v for k, v in props.items() if v is not None}},
            )
        )
        self.out.relate(owner, "exposed-by", endpoint_id)

    def identity(self, workload_id: str, role_arn: str, record: AwsRecord, via: str) -> None:
        if not role_arn:
            return
        if not self.out.has_asset(role_arn):
            self.out.add_asset(
                Asset(
                    id=role_arn,
                    kind="identity",
                    name=role_arn.rsplit("/", 1)[-1],
                    provider=PROVIDER,
                    account=_arn_account(role_arn) or record.account or None,
                    source=self.source,
                    properties={"type": "iam-role"},
                )
            )
        self.out.relate(workload_id, "uses-identity", role_arn, via=via)

    def run(self) -> InventoryPart:
        # Task definitions and clusters first: services refer to them.
        for record in self.records:
            if record.type == "AWS::ECS::TaskDefinition":
                arn = text(pick(record.body, "taskDefinitionArn")) or record.arn
                if arn:
                    self.task_definitions[arn] = record.body
                    family = text(pick(record.body, "family"))
                    revision = pick(record.body, "revision")
                    if family and revision is not None:
                        self.task_definitions[f"{family}:{revision}"] = record.body
            elif record.type == "AWS::ECS::Cluster":
                arn = text(pick(record.body, "clusterArn", "arn")) or record.arn
                self.ecs_clusters[arn] = record.body
            elif record.type == "AWS::ElasticLoadBalancingV2::LoadBalancer":
                arn = text(pick(record.body, "loadBalancerArn")) or record.arn
                if arn:
                    self.load_balancers[arn] = record
            elif record.type == "AWS::ElasticLoadBalancingV2::TargetGroup":
                arn = text(pick(record.body, "targetGroupArn")) or record.arn
                if arn:
                    lbs = [text(x) for x in as_list(pick(record.body, "loadBalancerArns"))]
                    self.target_groups[arn] = [x for x in lbs if x]
        handlers = {
            "AWS::EKS::Cluster": self.eks_cluster,
            "AWS::EKS::Nodegroup": self.eks_nodegroup,
            "AWS::ECS::Cluster": self.ecs_cluster,
            "AWS::ECS::Service": self.ecs_service,
            "AWS::Lambda::Function": self.lambda_function,
            "AWS::AppRunner::Service": self.apprunner_service,
            "AWS::Batch::JobDefinition": self.batch_job_definition,
            "AWS::Batch::ComputeEnvironment": self.batch_compute_environment,
            "AWS::ECR::Repository": self.ecr_repository,
            "AWS::GuardDuty::Detector": self.guardduty_detector,
            "AWS::Inspector2::AccountStatus": self.inspector2_status,
            "AWS::SageMaker::Model": self.sagemaker_model,
            "AWS::ElasticBeanstalk::Environment": self.beanstalk_environment,
            "AWS::SecurityHub::Hub": self.securityhub_hub,
        }
        for record in self.records:
            handler = handlers.get(record.type)
            if handler is not None:
                handler(record)
        for record in self.records:  # URLs after functions: they point at them
            if record.type == "AWS::Lambda::Url":
                self.lambda_url(record)
        return self.out.part

    # -- EKS
    def eks_cluster(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "arn")) or record.arn
        if not arn:
            return
        name = text(pick(body, "name")) or arn.rsplit("/", 1)[-1]
        vpc = as_dict(pick(body, "resourcesVpcConfig"))
        public = bool(pick(vpc, "endpointPublicAccess"))
        self.asset(
            record,
            asset_id=arn,
            kind="cluster",
            name=name,
            service="aws.eks",
            version=pick(body, "version"),
            endpoint_public_access=public,
            endpoint_private_access=bool(pick(vpc, "endpointPrivateAccess")),
            public_access_cidrs=pick(vpc, "publicAccessCidrs"),
        )
        self.endpoint(
            arn,
            "api",
            name=f"{name} API server",
            public=public,
            record=record,
            url=pick(body, "endpoint"),
            cidrs=pick(vpc, "publicAccessCidrs"),
        )
        self.identity(arn, text(pick(body, "roleArn")), record, "cluster-role")

    def eks_nodegroup(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "nodegroupArn", "arn")) or record.arn
        if not arn:
            return
        cluster_name = text(pick(body, "clusterName"))
        # arn:aws:eks:r:a:nodegroup/<cluster>/<group>/<uuid> -> the cluster ARN
        prefix = arn.split(":nodegroup/", 1)[0]
        cluster_arn = f"{prefix}:cluster/{cluster_name}" if cluster_name else ""
        self.asset(
            record,
            asset_id=arn,
            kind="node-pool",
            name=text(pick(body, "nodegroupName")) or arn.split("/")[-2],
            service="aws.eks",
            ami_type=pick(body, "amiType"),
            capacity_type=pick(body, "capacityType"),
            release_version=pick(body, "releaseVersion"),
        )
        self.out.relate(arn, "member-of", cluster_arn)
        self.identity(arn, text(pick(body, "nodeRole")), record, "node-role")

    # -- ECS
    def ecs_cluster(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "clusterArn", "arn")) or record.arn
        if not arn:
            return
        self.asset(
            record,
            asset_id=arn,
            kind="cluster",
            name=text(pick(body, "clusterName")) or arn.rsplit("/", 1)[-1],
            service="",  # ECS clusters mix launch types: each service is classified instead
            capacity_providers=pick(body, "capacityProviders"),
            container_instances=pick(body, "registeredContainerInstancesCount"),
        )

    def ecs_launch(self, service: dict[str, Any], task: dict[str, Any]) -> str:
        """aws.ecs-fargate or aws.ecs-ec2, from launch type, capacity providers or task def."""
        launch = text(pick(service, "launchType")).upper()
        if launch:
            return "aws.ecs-fargate" if launch == "FARGATE" else "aws.ecs-ec2"
        strategy = as_list(pick(service, "capacityProviderStrategy"))
        if not strategy:
            cluster = self.ecs_clusters.get(text(pick(service, "clusterArn", "cluster")), {})
            strategy = as_list(pick(cluster, "defaultCapacityProviderStrategy"))
        providers = [text(pick(item, "capacityProvider")).upper() for item in strategy]
        if providers:
            fargate = all(p in {"FARGATE", "FARGATE_SPOT"} for p in providers)
            return "aws.ecs-fargate" if fargate else "aws.ecs-ec2"
        requires = [str(c).upper() for c in as_list(pick(task, "requiresCompatibilities"))]
        if requires == ["FARGATE"]:
            return "aws.ecs-fargate"
        return "aws.ecs-ec2"  # ECS's own default when nothing else is said

    def ecs_service(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "serviceArn")) or record.arn
        if not arn:
            return
        task_ref = text(pick(body, "taskDefinition"))
        task = self.task_definitions.get(task_ref) or self.task_definitions.get(
            task_ref.rsplit("/", 1)[-1], {}
        )
        containers = as_list(pick(task, "containerDefinitions"))
        images = unique([text(pick(c, "image")) for c in containers if isinstance(c, dict)])
        service = self.ecs_launch(body, task)
        awsvpc = as_dict(path_get(body, "networkConfiguration", "awsvpcConfiguration"))
        public_ip = text(pick(awsvpc, "assignPublicIp")).upper() == "ENABLED"
        load_balancers = as_list(pick(body, "loadBalancers"))
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=text(pick(body, "serviceName")) or arn.rsplit("/", 1)[-1],
            service=service,
            images=images,
            task_definition=task_ref or None,
            launch_type=pick(body, "launchType"),
            assign_public_ip=public_ip,
            load_balancers=load_balancers or None,
            task_definition_raw=task or None,
        )
        self.out.add_images(arn, images)
        cluster = text(pick(body, "clusterArn", "cluster"))
        if cluster.startswith("arn:"):
            self.out.relate(arn, "member-of", cluster)
        if public_ip:
            self.endpoint(arn, "public-ip", name="task public IP", public=True, record=record)
        for balancer in load_balancers:
            group = text(pick(balancer, "targetGroupArn"))
            for lb_arn in self.target_groups.get(group, []):
                self.load_balancer(lb_arn)
                self.out.relate(arn, "exposed-by", lb_arn, target_group=group)
        self.identity(arn, text(pick(task, "taskRoleArn")), record, "task-role")

    def load_balancer(self, arn: str) -> None:
        """The load balancer as an endpoint asset (public when internet-facing)."""
        record = self.load_balancers.get(arn)
        if record is None or self.out.has_asset(arn):
            return
        body = record.body
        self.asset(
            record,
            asset_id=arn,
            kind="endpoint",
            name=text(pick(body, "loadBalancerName")) or arn.split("/")[-2],
            service="",
            public=text(pick(body, "scheme")).lower() == "internet-facing",
            dns_name=pick(body, "dNSName", "DNSName", "dnsName"),
            type=pick(body, "type"),
        )

    # -- Lambda
    def lambda_function(self, record: AwsRecord) -> None:
        body = record.body
        config = as_dict(body.get("Configuration")) or body  # GetFunction wraps it
        if text(pick(config, "packageType")) != "Image":
            return
        arn = text(pick(config, "functionArn")) or record.arn
        if not arn:
            return
        image = text(path_get(body, "code", "imageUri"))
        images = [image] if image else []
        name = text(pick(config, "functionName")) or arn.rsplit(":", 1)[-1]
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=name,
            service="aws.lambda",
            images=images,
            resolved_image=path_get(body, "code", "resolvedImageUri"),
            architectures=pick(config, "architectures"),
        )
        self.lambda_ids[name] = arn
        self.lambda_ids[arn] = arn
        self.out.add_images(arn, images)
        self.identity(arn, text(pick(config, "role")), record, "execution-role")

    def lambda_url(self, record: AwsRecord) -> None:
        body = record.body
        target = text(pick(body, "functionArn", "targetFunctionArn"))
        # FunctionArn may carry a qualifier (alias): arn:...:function:name[:alias]
        base = ":".join(target.split(":")[:7]) if target.startswith("arn:") else target
        function_id = self.lambda_ids.get(base) or self.lambda_ids.get(target)
        if not function_id:
            return  # a URL of a zip-packaged function: not a container workload
        auth = text(pick(body, "authType")).upper()
        self.endpoint(
            function_id,
            "url",
            name="function URL",
            public=auth == "NONE",
            record=record,
            url=pick(body, "functionUrl"),
            auth_type=auth or None,
        )

    # -- App Runner
    def apprunner_service(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "serviceArn")) or record.arn
        if not arn:
            return
        repo = as_dict(path_get(body, "sourceConfiguration", "imageRepository"))
        image = text(pick(repo, "imageIdentifier"))
        images = [image] if image else []
        ingress = as_dict(path_get(body, "networkConfiguration", "ingressConfiguration"))
        public_flag = pick(ingress, "isPubliclyAccessible")
        public = True if public_flag is None else bool(public_flag)  # App Runner default
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=text(pick(body, "serviceName")) or arn.split("/")[-2],
            service="aws.apprunner",
            images=images,
            image_repository_type=pick(repo, "imageRepositoryType"),
        )
        self.out.add_images(arn, images)
        url = text(pick(body, "serviceUrl"))
        self.endpoint(arn, "url", name="service URL", public=public, record=record, url=url or None)
        role = text(path_get(body, "instanceConfiguration", "instanceRoleArn"))
        self.identity(arn, role, record, "instance-role")

    # -- Batch
    def batch_job_definition(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "jobDefinitionArn")) or record.arn
        container = as_dict(pick(body, "containerProperties"))
        images = [text(pick(container, "image"))] if pick(container, "image") else []
        for node in as_list(path_get(body, "nodeProperties", "nodeRangeProperties")):
            images.append(text(path_get(node, "container", "image")))
        for container_def in as_list(path_get(body, "ecsProperties", "taskProperties")):
            for item in as_list(pick(container_def, "containers")):
                images.append(text(pick(item, "image")))
        images = unique(images)
        if not arn or not images:
            return
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=text(pick(body, "jobDefinitionName")) or arn.rsplit("/", 1)[-1],
            service="aws.batch",
            images=images,
            platform_capabilities=pick(body, "platformCapabilities"),
            privileged=pick(container, "privileged"),
        )
        self.out.add_images(arn, images)
        self.identity(arn, text(pick(container, "jobRoleArn")), record, "job-role")

    def batch_compute_environment(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "computeEnvironmentArn")) or record.arn
        if not arn:
            return
        resources = as_dict(pick(body, "computeResources"))
        self.asset(
            record,
            asset_id=arn,
            kind="cluster",
            name=text(pick(body, "computeEnvironmentName")) or arn.rsplit("/", 1)[-1],
            service="aws.batch",
            compute_type=pick(resources, "type"),
            managed=text(pick(body, "type")).upper() == "MANAGED",
            eks_cluster=path_get(body, "eksConfiguration", "eksClusterArn"),
        )

    # -- ECR
    def ecr_repository(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "repositoryArn", "arn")) or record.arn
        if not arn:
            return
        scan = pick(path_get(body, "imageScanningConfiguration"), "scanOnPush")
        encryption = as_dict(pick(body, "encryptionConfiguration"))
        self.asset(
            record,
            asset_id=arn,
            kind="registry",
            name=text(pick(body, "repositoryName")) or arn.split("repository/", 1)[-1],
            service="aws.ecr",
            uri=pick(body, "repositoryUri"),
            scan_on_push=bool(scan),
            image_tag_mutability=pick(body, "imageTagMutability"),
            encryption_type=pick(encryption, "encryptionType") or "AES256",
        )

    # -- SageMaker, Elastic Beanstalk
    def sagemaker_model(self, record: AwsRecord) -> None:
        body = record.body
        arn = text(pick(body, "modelArn")) or record.arn
        containers = [as_dict(pick(body, "primaryContainer"))]
        containers += [as_dict(c) for c in as_list(pick(body, "containers"))]
        images = unique([text(pick(c, "image")) for c in containers])
        if not arn or not images:
            return
        vpc = pick(body, "vpcConfig")
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=text(pick(body, "modelName")) or arn.rsplit("/", 1)[-1],
            service="aws.sagemaker",
            images=images,
            network_isolation=bool(pick(body, "enableNetworkIsolation")),
            in_vpc=bool(vpc),
        )
        self.out.add_images(arn, images)
        self.identity(arn, text(pick(body, "executionRoleArn")), record, "execution-role")

    def beanstalk_environment(self, record: AwsRecord) -> None:
        body = record.body
        stack = text(pick(body, "solutionStackName"))
        platform = text(pick(body, "platformArn"))
        if "docker" not in stack.lower() and "docker" not in platform.lower():
            return  # only Docker platforms run customer containers
        arn = text(pick(body, "environmentArn")) or record.arn
        if not arn:
            return
        self.asset(
            record,
            asset_id=arn,
            kind="workload",
            name=text(pick(body, "environmentName")) or arn.rsplit("/", 1)[-1],
            service="aws.elasticbeanstalk",
            images=[],  # the image is named in the source bundle's Dockerrun.aws.json
            solution_stack=stack or None,
            application=pick(body, "applicationName"),
        )
        url = text(pick(body, "endpointURL", "cname"))
        if url:
            self.endpoint(arn, "url", name=url, public=True, record=record, url=url)

    # -- controls
    def scope(self, record: AwsRecord) -> str:
        return f"aws:{record.account}/{record.region}" if record.region else f"aws:{record.account}"

    def control(self, record: AwsRecord, control: str, status: str, **details: str) -> None:
        self.out.part.controls.append(
            ControlState(
                control=control,
                scope=self.scope(record),
                status=status,
                source=self.source,
                details={k: v for k, v in details.items() if v},
            )
        )

    def guardduty_detector(self, record: AwsRecord) -> None:
        body = record.body
        status = text(pick(body, "status")).upper()
        enabled = status == "ENABLED" or pick(body, "enable") is True
        features: dict[str, dict[str, Any]] = {}
        for feature in as_list(pick(body, "features")):
            if isinstance(feature, dict):
                features[text(pick(feature, "name")).upper()] = feature

        def on(name: str) -> bool:
            return enabled and text(pick(features.get(name, {}), "status")).upper() == "ENABLED"

        def agent(name: str) -> bool:
            runtime = features.get("RUNTIME_MONITORING", {})
            for extra in as_list(pick(runtime, "additionalConfiguration")):
                if text(pick(extra, "name")).upper() == name:
                    return text(pick(extra, "status")).upper() == "ENABLED"
            return False

        detector = text(pick(body, "detectorId"))
        reason = "" if enabled else ("no detector" if status == "NONE" else "detector disabled")
        runtime = on("RUNTIME_MONITORING")
        states = {
            "aws.guardduty-eks-audit-logs": "on" if on("EKS_AUDIT_LOGS") else "off",
            "aws.guardduty-lambda-network": "on" if on("LAMBDA_NETWORK_LOGS") else "off",
            "aws.guardduty-eks-runtime": (
                "on"
                if (runtime and agent("EKS_ADDON_MANAGEMENT")) or on("EKS_RUNTIME_MONITORING")
                else "unknown"
                if runtime
                else "off"
            ),
            # Fargate tasks get the agent only when GuardDuty manages it (or a manual sidecar)
            "aws.guardduty-ecs-runtime": (
                "on"
                if runtime and agent("ECS_FARGATE_AGENT_MANAGEMENT")
                else "unknown"
                if runtime
                else "off"
            ),
            "aws.guardduty-ec2-runtime": (
                "on"
                if runtime and agent("EC2_AGENT_MANAGEMENT")
                else "unknown"
                if runtime
                else "off"
            ),
        }
        for control, state in states.items():
            why = reason or (
                "runtime monitoring on, agent not managed by GuardDuty"
                if state == "unknown"
                else ""
            )
            extra: dict[str, str] = {}
            if control == "aws.guardduty-ecs-runtime":  # decided per cluster by fargate.py
                extra = {
                    "runtime_monitoring": "on" if runtime else "off",
                    "agent_management": "on" if agent("ECS_FARGATE_AGENT_MANAGEMENT") else "off",
                }
                if state == "unknown" and not reason:
                    why = (
                        "runtime monitoring on, ECS Fargate agent management off: only clusters "
                        "tagged GuardDutyManaged=true get the agent"
                    )
            self.control(record, control, state, detector=detector, reason=why, **extra)

    def securityhub_hub(self, record: AwsRecord) -> None:
        absent = text(pick(record.body, "status")).upper() == "NONE"
        self.control(
            record,
            "aws.securityhub",
            "off" if absent else "on",
            hub=text(pick(record.body, "hubArn")),
        )

    def inspector2_status(self, record: AwsRecord) -> None:
        state = as_dict(pick(record.body, "resourceState"))
        account = text(pick(record.body, "accountId"))
        if account and account != record.account:
            record = AwsRecord(
                type=record.type,
                body=record.body,
                account=account,
                region=record.region,
                raw_format=record.raw_format,
            )
        for key, control in (
            ("ecr", "aws.inspector-ecr"),
            ("lambda", "aws.inspector-lambda"),
            ("ec2", "aws.inspector-ec2"),
        ):
            status = text(path_get(state, key, "status")).upper()
            value = "on" if status == "ENABLED" else "off" if status else "unknown"
            self.control(record, control, value, inspector_status=status)


def transform_aws_records(records: list[AwsRecord], source: str = "") -> InventoryPart:
    """Assets, relations and control states from raw AWS records (pure)."""
    part = _AwsTransform(records, source).run()
    part.controls.extend(fargate_agent_controls(part))
    return part

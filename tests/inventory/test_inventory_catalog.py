"""The service catalog: every contract key present, every fact sourced, user extensions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seawall.errors import InputError
from seawall.inventory.catalog import BUILTIN_CATALOG, CELLS, load_catalog
from seawall.model import Layer, Party, Task

SERVICE_KEYS = [
    "aws.eks",
    "aws.ecs-ec2",
    "aws.ecs-fargate",
    "aws.apprunner",
    "aws.lambda",
    "aws.batch",
    "aws.elasticbeanstalk",
    "aws.sagemaker",
    "aws.ecr",
    "azure.aks",
    "azure.aci",
    "azure.containerapps",
    "azure.webapp",
    "azure.functionapp",
    "azure.batch",
    "azure.springapps",
    "azure.openshift",
    "azure.acr",
    "gcp.gke-standard",
    "gcp.gke-autopilot",
    "gcp.cloudrun-service",
    "gcp.cloudrun-job",
    "gcp.cloudrun-functions",
    "gcp.appengine-flex",
    "gcp.batch",
    "gcp.vertexai",
    "gcp.artifactregistry",
    "gcp.gcr",
    "kubernetes.self-managed",
    "kubernetes.openshift",
]
CONTROL_KEYS = [
    "azure.defender-for-containers",
    "azure.defender-for-app-service",
    "azure.defender-cspm",
    "azure.defender-for-servers",
    "aws.guardduty-eks-audit-logs",
    "aws.guardduty-eks-runtime",
    "aws.guardduty-ecs-runtime",
    "aws.guardduty-ec2-runtime",
    "aws.guardduty-lambda-network",
    "aws.inspector-ecr",
    "aws.inspector-lambda",
    "aws.inspector-ec2",
    "aws.securityhub",
    "gcp.container-threat-detection",
    "gcp.artifact-analysis",
    "gcp.gke-security-posture",
    "gcp.scc-standard",
    "gcp.scc-premium",
]


def test_catalog_has_every_contract_service_and_control() -> None:
    catalog = load_catalog()
    assert sorted(catalog.services) == sorted(SERVICE_KEYS)
    assert sorted(catalog.controls) == sorted(CONTROL_KEYS)


def test_every_fact_names_its_documentation_page() -> None:
    raw = yaml.safe_load(BUILTIN_CATALOG.read_text())
    for key, service in raw["services"].items():
        for fact in (
            "identifiers",
            "image_reference",
            "runtime_scanning",
            "responsibility",
            "controls",
        ):
            source = service[fact]["source"]
            assert source.startswith("https://"), (key, fact)
            assert any(
                host in source
                for host in (
                    "docs.aws.amazon.com",
                    "aws.amazon.com",
                    "learn.microsoft.com",
                    "cloud.google.com",
                    "kubernetes.io",
                    "docs.openshift.com",
                )
            ), (key, fact, source)
    for key, control in raw["controls"].items():
        assert control["source"].startswith("https://"), key


def test_responsibility_split_reflects_the_service_model() -> None:
    catalog = load_catalog()
    # serverless: the provider runs the hosts; self-managed Kubernetes: the customer runs all
    fargate = catalog.services["aws.ecs-fargate"]
    assert fargate.responsibility[(Layer.INFRASTRUCTURE, Task.THREAT_DETECTION)] is Party.PROVIDER
    onprem = catalog.services["kubernetes.self-managed"]
    assert {onprem.responsibility[cell] for cell in CELLS} == {Party.CUSTOMER}
    for service in catalog.services.values():
        for task in Task:  # the image and the application in it are always the customer's
            assert service.responsibility[(Layer.APPLICATION, task)] is Party.CUSTOMER
    assert (
        catalog.services["azure.containerapps"].controls[(Layer.APPLICATION, Task.THREAT_DETECTION)]
        == ()
    )  # Container Apps get registry scanning only
    assert catalog.services["aws.lambda"].identifiers["aws-config"] == ["AWS::Lambda::Function"]
    assert catalog.services["azure.webapp"].identifiers["azure-graph"] == ["microsoft.web/sites"]
    assert "DOCKER|" in catalog.services["azure.webapp"].image_reference["field"]
    assert catalog.services["aws.eks"].runtime_scanning_possible is True
    assert catalog.services["aws.ecs-fargate"].runtime_scanning_possible is False


def test_user_catalog_overrides_and_extends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = yaml.safe_load(BUILTIN_CATALOG.read_text())
    apps = raw["services"]["azure.containerapps"]
    apps["controls"]["application/threat-detection"] = ["acme.runtime-sensor"]
    extra = {
        "version": 1,
        "controls": {
            "acme.runtime-sensor": {
                "name": "ACME runtime sensor",
                "provider": "azure",
                "remediation": "Deploy the ACME sidecar.",
                "source": "https://acme.example/docs/sensor",
            }
        },
        "services": {"azure.containerapps": apps},
    }
    path = tmp_path / "org-catalog.yaml"
    path.write_text(yaml.safe_dump(extra))
    catalog = load_catalog([path])
    assert catalog.services["azure.containerapps"].controls[
        (Layer.APPLICATION, Task.THREAT_DETECTION)
    ] == ("acme.runtime-sensor",)
    assert "aws.eks" in catalog.services  # built-ins stay
    monkeypatch.setenv("SEAWALL_CATALOG", str(path))
    assert "acme.runtime-sensor" in load_catalog().controls


def test_invalid_catalog_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\n"
        "services:\n"
        "  acme.box:\n"
        "    name: Box\n"
        "    provider: acme-cloud\n"
        "    identifiers: {api: [], terraform: [], source: https://acme.example}\n"
    )
    with pytest.raises(InputError) as err:
        load_catalog([path])
    assert str(err.value).startswith(f"{path}:")
    assert "services.acme.box" in str(err.value)


def test_catalog_field_error_points_at_the_line(tmp_path: Path) -> None:
    text = BUILTIN_CATALOG.read_text().replace(
        "      platform: {hardening: shared, vulnerability-management: shared, "
        "threat-detection: shared}",
        "      platform: {hardening: nobody, vulnerability-management: shared, "
        "threat-detection: shared}",
        1,
    )
    path = tmp_path / "services.yaml"
    path.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "hardening: nobody" in t)
    with pytest.raises(InputError) as err:
        load_catalog([path])
    assert f"{path}:{line}:" in str(err.value)
    assert "nobody" in str(err.value)


def test_unknown_control_reference_is_an_error(tmp_path: Path) -> None:
    raw = yaml.safe_load(BUILTIN_CATALOG.read_text())
    raw["services"]["aws.eks"]["controls"]["platform/hardening"] = ["aws.no-such-thing"]
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "services": {"aws.eks": raw["services"]["aws.eks"]}})
    )
    with pytest.raises(InputError, match=r"aws\.no-such-thing"):
        load_catalog([path])


def test_registry_scanners_know_which_images_they_see() -> None:
    catalog = load_catalog()
    cases = {
        ("aws.inspector-ecr", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"): True,
        ("aws.inspector-ecr", "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:1"): True,
        ("aws.inspector-ecr", "public.ecr.aws/nginx/nginx:1.27"): False,  # ECR Public
        ("azure.defender-for-containers", "shopacr.azurecr.io/checkout:4.2.0"): True,
        ("azure.defender-for-containers", "nginx:1.27"): False,  # Docker Hub
        ("gcp.artifact-analysis", "europe-west1-docker.pkg.dev/p/apps/api:1"): True,
        ("gcp.artifact-analysis", "eu.gcr.io/p/api:1"): True,
        ("gcp.artifact-analysis", "ghcr.io/example/api:1"): False,
    }
    for (key, image), expected in cases.items():
        control = catalog.control(key)
        assert control is not None
        assert control.scans_image(image) is expected, (key, image)


def test_builtin_catalog_passes_the_schema_that_user_catalogs_are_checked_against() -> None:
    # Runs read the built-in catalog without validating it (start-up); this is its check.
    from seawall.inventory.catalog import parse_catalog_text

    data = parse_catalog_text(BUILTIN_CATALOG.read_text(), str(BUILTIN_CATALOG))
    assert data == yaml.safe_load(BUILTIN_CATALOG.read_text())
    assert set(load_catalog().services) == set(data["services"])

"""The readers hardening reuses: Kubernetes objects and Terraform resources, with locations."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA

from seawall.inventory.sources.kubernetes import read_objects, transform_objects
from seawall.inventory.sources.terraform import read_resources, transform_resources

K8S = DATA / "inventory" / "k8s"
TERRAGOAT = DATA / "inventory" / "terragoat" / "terraform"


def test_multi_document_yaml_gives_each_object_with_its_line() -> None:
    objects, warnings = read_objects(K8S / "shop.yaml")
    assert warnings == []
    by_kind = {(o.kind, o.name): o for o in objects}
    assert set(by_kind) == {
        ("ServiceAccount", "checkout"),
        ("Service", "checkout"),
        ("Deployment", "checkout"),
        ("CronJob", "nightly-report"),
    }
    deployment = by_kind[("Deployment", "checkout")]
    assert deployment.location.line == 27  # the `apiVersion:` line of that document
    assert deployment.namespace == "shop"
    assert deployment.format == "k8s"


def test_list_kind_and_kubectl_dump_are_unwrapped() -> None:
    objects, _ = read_objects(K8S / "ingress.yaml")
    assert [o.kind for o in objects] == ["Service", "Ingress", "StatefulSet"]
    dumped, _ = read_objects(K8S / "kubectl-dump.json")
    assert [(o.kind, o.name) for o in dumped] == [
        ("DaemonSet", "node-exporter"),
        ("Pod", "node-exporter-x7k2p"),
    ]


def test_helm_template_is_skipped_with_a_warning_naming_file_and_line() -> None:
    objects, warnings = read_objects(K8S / "chart")
    assert objects == []
    assert len(warnings) == 1
    assert "chart/templates/deployment.yaml:1" in warnings[0]
    assert "template" in warnings[0]


def test_invalid_yaml_document_is_skipped_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [unclosed\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
    )
    objects, warnings = read_objects(path)
    assert [o.name for o in objects] == ["a", "b"]
    assert len(warnings) == 1 and "mixed.yaml:5" in warnings[0]


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 30) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("kind: ConfigMap\n" + "\n".join(lines) + "\n")
    objects, warnings = read_objects(path)
    assert objects == []
    assert "aliases" in warnings[0]


def test_kubernetes_workloads_images_identity_and_exposure() -> None:
    objects, _ = read_objects(K8S)
    part = transform_objects(objects, cluster="prod")
    workloads = {a.id: a for a in part.assets if a.kind == "workload"}
    assert set(workloads) == {
        "k8s:prod/shop/Deployment/checkout",
        "k8s:prod/shop/CronJob/nightly-report",
        "k8s:prod/storefront/StatefulSet/web",
        "k8s:prod/monitoring/DaemonSet/node-exporter",  # its Pod is owned, not listed
    }
    checkout = workloads["k8s:prod/shop/Deployment/checkout"]
    assert checkout.properties["images"] == [
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/migrate:2.4.1",
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout:2.4.1",
    ]
    assert checkout.properties["raw_format"] == "k8s"
    assert checkout.properties["raw_type"] == "Deployment"
    rels = {(r.source, r.kind, r.target) for r in part.relations}
    wid = checkout.id
    assert (wid, "uses-identity", "arn:aws:iam::111122223333:role/shop-checkout") in rels
    assert (wid, "uses-identity", "k8s-sa:prod/shop/checkout") in rels
    assert (wid, "exposed-by", "k8s:prod/shop/Service/checkout") in rels
    assert (wid, "member-of", "k8s:prod") in rels
    web = "k8s:prod/storefront/StatefulSet/web"
    assert (web, "exposed-by", "k8s:prod/storefront/Ingress/web") in rels
    endpoints = {a.id: a for a in part.assets if a.kind == "endpoint"}
    assert endpoints["k8s:prod/shop/Service/checkout"].properties["public"] is True


def test_terraform_plan_recurses_into_child_modules(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.7.5",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_ecr_repository.app",
                        "mode": "managed",
                        "type": "aws_ecr_repository",
                        "name": "app",
                        "values": {"name": "app", "image_tag_mutability": "MUTABLE"},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.run",
                        "resources": [
                            {
                                "address": "module.run.google_cloud_run_v2_service.api",
                                "mode": "managed",
                                "type": "google_cloud_run_v2_service",
                                "name": "api",
                                "values": {
                                    "name": "api",
                                    "location": "europe-west1",
                                    "project": "shop-prod",
                                    "template": [
                                        {"containers": [{"image": "europe-docker.pkg.dev/x:1"}]}
                                    ],
                                },
                            },
                            {
                                "address": "module.run.data.google_project.this",
                                "mode": "data",
                                "type": "google_project",
                                "name": "this",
                                "values": {},
                            },
                        ],
                    }
                ],
            }
        },
    }
    path = tmp_path / "tfplan.json"
    path.write_text(json.dumps(plan))
    objects, warnings = read_resources(path)
    assert warnings == []
    assert [(o.format, o.address) for o in objects] == [
        ("terraform-plan", "aws_ecr_repository.app"),
        ("terraform-plan", "module.run.google_cloud_run_v2_service.api"),
    ]
    part = transform_resources(objects, root="tfplan")
    run = next(a for a in part.assets if a.service == "gcp.cloudrun-service")
    assert run.properties["images"] == ["europe-docker.pkg.dev/x:1"]
    assert run.account == "shop-prod"


def test_terragoat_hcl_loads_without_errors_with_unresolved_expressions() -> None:
    objects, warnings = read_resources(TERRAGOAT)
    assert warnings == []
    eks = next(o for o in objects if o.kind == "aws_eks_cluster")
    assert eks.format == "terraform-hcl"
    assert eks.address == "aws_eks_cluster.eks_cluster"
    assert eks.location.path.endswith("aws/eks.tf") and eks.location.line == 118
    assert eks.body["role_arn"] == "${aws_iam_role.iam_for_eks.arn}"
    assert "__is_block__" not in json.dumps(eks.body)
    part = transform_resources(objects, root="terragoat")
    services = {(a.kind, a.service) for a in part.assets}
    assert {
        ("cluster", "aws.eks"),
        ("cluster", "azure.aks"),
        ("cluster", "gcp.gke-standard"),
        ("workload", "aws.lambda"),
        ("workload", "azure.webapp"),
        ("registry", "aws.ecr"),
    } <= services
    lambda_fn = next(a for a in part.assets if a.service == "aws.lambda")
    assert lambda_fn.properties["container"] is False  # a Zip function, not an image


def test_openshift_deploymentconfig_and_route(tmp_path: Path) -> None:
    path = tmp_path / "openshift.yaml"
    path.write_text(
        """apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: billing, namespace: erp}
spec:
  selector: {app: billing}
  template:
    metadata: {labels: {app: billing}}
    spec:
      containers:
        - {name: billing, image: 'image-registry.openshift-image-registry.svc:5000/erp/billing:3'}
---
apiVersion: v1
kind: Service
metadata: {name: billing, namespace: erp}
spec: {selector: {app: billing}, ports: [{port: 8080}]}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: billing, namespace: erp}
spec:
  host: billing.apps.example.com
  to: {kind: Service, name: billing}
"""
    )
    objects, warnings = read_objects(path)
    assert warnings == []
    part = transform_objects(objects, cluster="ocp")
    workload = next(a for a in part.assets if a.kind == "workload")
    assert (workload.id, workload.service) == (
        "k8s:ocp/erp/DeploymentConfig/billing",
        "kubernetes.openshift",
    )
    rels = {(r.source, r.kind, r.target) for r in part.relations}
    assert (workload.id, "exposed-by", "k8s:ocp/erp/Route/billing") in rels

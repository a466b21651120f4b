"""Live collection: a Kubernetes API (recorded responses on 127.0.0.1) through the official
client and a kubeconfig, and one cloud's credential failure not stopping the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cloud_replay import replay_server
from seawall_testlib import DATA, REPO

DEPLOYMENT = {
    "metadata": {
        "name": "ledger",
        "namespace": "finance",
        "uid": "0d4f3c55-0a8e-4d8b-9d55-5b6f7b0f6a10",
        "labels": {"app": "ledger"},
        "creationTimestamp": "2026-11-02T09:00:00Z",
    },
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "ledger"}},
        "template": {
            "metadata": {"labels": {"app": "ledger"}},
            "spec": {
                "serviceAccountName": "ledger",
                "containers": [
                    {"name": "ledger", "image": "europe-docker.pkg.dev/fin/apps/ledger:8.1.0"}
                ],
            },
        },
    },
}
SERVICE = {
    "metadata": {"name": "ledger", "namespace": "finance"},
    "spec": {
        "type": "LoadBalancer",
        "selector": {"app": "ledger"},
        "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP"}],
    },
}
SERVICE_ACCOUNT = {
    "metadata": {
        "name": "ledger",
        "namespace": "finance",
        "annotations": {"iam.gke.io/gcp-service-account": "ledger@fin.iam.gserviceaccount.com"},
    }
}
LISTS = {
    "/apis/apps/v1/deployments": ("DeploymentList", "apps/v1", [DEPLOYMENT]),
    "/api/v1/services": ("ServiceList", "v1", [SERVICE]),
    "/api/v1/serviceaccounts": ("ServiceAccountList", "v1", [SERVICE_ACCOUNT]),
}


def _responder(method: str, path: str, query: str, body: bytes) -> tuple[int, Any]:
    kind, version, items = LISTS.get(path, ("List", "v1", []))
    return 200, {
        "kind": kind,
        "apiVersion": version,
        "metadata": {"resourceVersion": "4711"},
        "items": items,
    }


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: {server}
contexts:
- name: lab
  context:
    cluster: lab
    user: lab-admin
current-context: lab
users:
- name: lab-admin
  user:
    token: not-a-real-token
"""
    )
    return path


def _run(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBE"))}
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata lookups
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "COLUMNS": "200",
            **env_extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "seawall", *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture()
def kube(tmp_path: Path) -> Any:
    with replay_server(_responder) as (url, seen):
        yield _kubeconfig(tmp_path, url), seen


def test_live_cluster_through_kubeconfig_and_aws_credential_failure(kube: Any) -> None:
    kubeconfig, seen = kube
    result = _run(
        ["inventory", "--aws", "--kube-context", "lab", "--format", "json"],
        {"KUBECONFIG": str(kubeconfig)},
    )
    assert result.returncode == 0, result.stderr.decode()
    doc = json.loads(result.stdout)
    assert any(w.startswith("aws: cannot authenticate") for w in doc["warnings"])
    assert "not-a-real-token" not in result.stderr.decode() + result.stdout.decode()
    workload = next(a for a in doc["assets"] if a["kind"] == "workload")
    assert workload["id"] == "k8s:lab/finance/Deployment/ledger"
    assert workload["source"] == "live:kubernetes/lab"
    assert workload["properties"]["images"] == ["europe-docker.pkg.dev/fin/apps/ledger:8.1.0"]
    rels = {(r["source"], r["kind"], r["target"]) for r in doc["relations"]}
    assert (workload["id"], "uses-identity", "gcp-sa:ledger@fin.iam.gserviceaccount.com") in rels
    assert (workload["id"], "exposed-by", "k8s:lab/finance/Service/ledger") in rels
    assert any(a["id"] == "k8s:lab" and a["kind"] == "cluster" for a in doc["assets"])
    paths = {s["path"] for s in seen}
    assert "/apis/apps/v1/deployments" in paths
    for request in seen:  # the kubeconfig user's token is what authenticates
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers.get("authorization") == "Bearer not-a-real-token", headers


def test_unknown_kube_context_is_a_warning_and_files_still_load(tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, "http://127.0.0.1:9")
    result = _run(
        [
            "inventory",
            str(DATA / "inventory" / "estate" / "gcp-tfstate.json"),
            "--kube-context",
            "prod",
            "--format",
            "json",
        ],
        {"KUBECONFIG": str(kubeconfig)},
    )
    assert result.returncode == 0, result.stderr.decode()
    doc = json.loads(result.stdout)
    assert any(w.startswith("kubernetes: live collection failed") for w in doc["warnings"])
    assert any(a["name"] == "reports-api" for a in doc["assets"])


def test_all_clouds_without_credentials_is_one_line_each(tmp_path: Path) -> None:
    # the live command on a machine with no credentials: every cloud is a warning
    # line, the SDKs' own multi-line credential reports stay off the terminal
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "inventory.json"
    env = {
        "HOME": str(home),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "SEAWALL_GCP_PROJECTS": "",
    }
    args = ["inventory", "--aws", "--azure", "--gcp", "--kube-context", "prod"]
    result = _run([*args, "--format", "json", "--output", str(out)], env)
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stderr.decode().strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["aws", "azure", "gcp", "kubernetes"]
    assert all(line.startswith("warning: ") for line in lines), lines
    assert "DefaultAzureCredential failed to retrieve a token" in lines[1]
    doc = json.loads(out.read_text())
    assert doc["assets"] == [] and len(doc["warnings"]) == 4

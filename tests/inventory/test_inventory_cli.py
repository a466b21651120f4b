"""`seawall inventory` and `seawall coverage` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA, REPO, run_seawall

ESTATE = DATA / "inventory" / "estate"


def test_readme_main_command_on_the_example_estate() -> None:
    result = run_seawall("coverage", "examples/estate", "--format", "table", cwd=REPO)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    lines = out.splitlines()
    assert "seawall coverage:" in out
    for service, name in (
        ("azure.aks", "aks-shop-prod"),
        ("azure.aks", "aks-lab"),
        ("azure.functionapp", "func-shop-images"),
        ("azure.webapp", "web-lab-portal"),
        ("azure.containerapps", "ca-checkout"),
        ("aws.eks", "shop-prod"),
        ("aws.ecs-fargate", "payments-api"),
        ("aws.lambda", "thumbnailer"),
        ("aws.apprunner", "orders-web"),
        ("gcp.cloudrun-service", "reports-api"),
        ("gcp.gke-autopilot", "gke-data"),
    ):
        assert any(service in line and f" {name} " in line for line in lines), name
    prod = next(line for line in lines if " aks-shop-prod " in line)
    assert "GAP" not in prod and prod.count("ok") == 9  # Defender plans on
    lab = next(line for line in lines if " aks-lab " in line)
    assert lab.count("GAP(off)") == 9  # Defender plans off


def test_fail_on_exits_1_when_gaps_reach_the_threshold() -> None:
    result = run_seawall("coverage", str(ESTATE), "--format", "json", "--fail-on", "high")
    assert result.returncode == 1
    assert json.loads(result.stdout)["schema"] == "seawall.coverage/v1"
    assert run_seawall("coverage", str(ESTATE), "--fail-on", "critical").returncode == 0


def test_inventory_json_feeds_coverage(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    result = run_seawall("inventory", str(ESTATE), "--format", "json", "--output", str(inventory))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    from_doc = run_seawall("coverage", str(inventory), "--format", "json")
    from_raw = run_seawall("coverage", str(ESTATE), "--format", "json")
    assert from_doc.returncode == from_raw.returncode == 0
    rows_doc = json.loads(from_doc.stdout)["rows"]
    rows_raw = json.loads(from_raw.stdout)["rows"]
    assert rows_doc == rows_raw and len(rows_doc) >= 14


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    manifest = tmp_path / "evil.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        "  name: '<script>alert(1)</script>'\n  namespace: x\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        "        - name: a\n          image: a:1\n"
    )
    page = tmp_path / "coverage.html"
    result = run_seawall(
        "coverage", str(manifest), str(ESTATE), "--format", "html", "--output", str(page)
    )
    assert result.returncode == 0, result.stderr.decode()
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="cell gap customer"' in html and 'class="cell covered' in html
    assert "http://" not in html.split("<body>")[0]  # no external stylesheet or script


def test_sarif_lists_each_gap() -> None:
    result = run_seawall("coverage", str(ESTATE), "--format", "sarif", cwd=REPO)
    assert result.returncode == 0
    sarif = json.loads(result.stdout)
    results = sarif["runs"][0]["results"]
    manifest = [  # gaps of manifest workloads point at the document that declares them
        r["locations"][0]["physicalLocation"]
        for r in results
        if r["properties"]["asset"] == "k8s:default/shop/Deployment/checkout"
    ]
    assert manifest[0] == {
        "artifactLocation": {"uri": "tests/data/inventory/estate/k8s-onprem/shop.yaml"},
        "region": {"startLine": 27},
    }
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "coverage-gap/application/threat-detection" in rules
    assert len(results) == len(
        json.loads(run_seawall("coverage", str(ESTATE), "--format", "json").stdout)["findings"]
    )


def test_unknown_file_is_named_and_skipped(tmp_path: Path) -> None:
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b\n1,2\n")
    result = run_seawall(
        "inventory", str(odd), str(ESTATE / "gcp-tfstate.json"), "--format", "json"
    )
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert any(str(odd) in w and "unknown format" in w for w in doc["warnings"])
    assert any(a["name"] == "reports-api" for a in doc["assets"])
    assert f"{odd}: unknown format, skipped" in result.stderr.decode()


def test_missing_input_and_bad_format_exit_2(tmp_path: Path) -> None:
    missing = run_seawall("coverage", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "nope.json: no such file or directory" in missing.stderr.decode()
    assert len(missing.stderr.decode().strip().splitlines()) == 1
    bad = run_seawall("coverage", str(ESTATE), "--format", "pdf")
    assert bad.returncode == 2
    out = tmp_path / "out.json"
    failed = run_seawall("inventory", str(tmp_path / "nope"), "--format", "json", "-o", str(out))
    assert failed.returncode == 2 and not out.exists()


def test_corrupt_inventory_document_is_an_input_error(tmp_path: Path) -> None:
    doc = tmp_path / "inventory.json"
    doc.write_text('{"schema": "seawall.inventory/v1", "assets": [{"id": 3}]}')
    batch = run_seawall("coverage", str(doc), str(ESTATE), "--format", "json")
    assert batch.returncode == 0  # a bad file in a batch is a warning, not a crash
    assert "not a seawall inventory document" in batch.stderr.decode()
    assert json.loads(batch.stdout)["rows"]


def test_nothing_readable_exits_2_without_writing(tmp_path: Path) -> None:
    # an empty report for unreadable inputs would read as "no gaps"
    doc = tmp_path / "inventory.json"
    doc.write_text('{"schema": "seawall.inventory/v1", "assets": [{"id": 3}]}')
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n")
    out = tmp_path / "coverage.html"
    for verb, fmt in (("coverage", "html"), ("inventory", "json")):
        result = run_seawall(verb, str(doc), str(notes), "--format", fmt, "--output", str(out))
        stderr = result.stderr.decode().strip()
        assert result.returncode == 2, stderr
        assert len(stderr.splitlines()) == 1, stderr
        assert "no input could be read" in stderr and "not a seawall inventory document" in stderr
        assert f"{notes}: unknown format" in stderr
        assert not out.exists()


def test_seawall_scan_results_cover_their_cells(tmp_path: Path) -> None:
    image = tmp_path / "nginx.json"
    image.write_text(
        json.dumps(
            {
                "schema": "seawall.image/v1",
                "target": {"ref": "registry:nginx:1.25.3", "kind": "image"},
                "findings": [],
            }
        )
    )
    harden = tmp_path / "harden.json"
    harden.write_text(
        json.dumps(
            {
                "schema": "seawall.harden/v1",
                "findings": [{"asset": "k8s:default/shop/Deployment/checkout", "rule": "x"}],
            }
        )
    )
    result = run_seawall("coverage", str(ESTATE), str(image), str(harden), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    rows = {r["name"]: r for r in json.loads(result.stdout)["rows"]}
    portal = rows["web-lab-portal"]["cells"]  # runs docker.io/library/nginx:1.25.3
    assert (portal[1]["coverage"], portal[1]["verdict"]) == ("seawall-scan", "covered")
    assert portal[2]["verdict"] == "gap"  # a scan does not detect threats
    checkout = rows["checkout"]["cells"]
    assert [c["coverage"] for c in checkout[:4]] == [
        "seawall-scan",
        "native-unknown",
        "native-unknown",
        "seawall-scan",
    ]
    table = run_seawall("coverage", str(ESTATE), str(image), "--format", "table")
    line = next(x for x in table.stdout.decode().splitlines() if " web-lab-portal " in x)
    assert "C seawall" in line
    page = tmp_path / "coverage.html"
    html = run_seawall(
        "coverage", str(ESTATE), str(image), "--format", "html", "--output", str(page)
    )
    assert html.returncode == 0, html.stderr.decode()
    portal_row = page.read_text().split("web-lab-portal", 1)[1].split("</tr>", 1)[0]
    cells = portal_row.split('<td class="cell ')[1:]
    # each cell says what covers it: the seawall scan, an off control, or nothing at all
    assert '<span class="cov">seawall scan</span>' in cells[1]
    assert '<span class="cov">native control off</span>' in cells[2]
    assert cells[4].startswith("provider") and 'class="cov"' not in cells[4]


def test_bad_catalog_option_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    catalog = tmp_path / "org.yaml"
    catalog.write_text("version: 1\nservices:\n  acme.box: {name: Box}\n")
    result = run_seawall("coverage", str(ESTATE), "--catalog", str(catalog))
    assert result.returncode == 2
    assert f"{catalog}:3:" in result.stderr.decode()
    assert result.stdout == b""


def test_deeply_nested_plan_json_is_one_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    depth = 100_000  # deeper than Python's JSON decoder recursion allows
    plan = tmp_path / "tfplan.json"
    plan.write_text(
        '{"format_version":"1.2","terraform_version":"1.6.0","planned_values":{"root_module":'
        + '{"child_modules":[' * depth
        + "{}"
        + "]}" * depth
        + "}}"
    )
    out = tmp_path / "inventory.json"
    result = run_seawall(
        "inventory",
        str(plan),
        str(ESTATE / "gcp-tfstate.json"),
        "--format",
        "json",
        "--output",
        str(out),
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert f"warning: {plan}: JSON nested too deeply; skipped" in stderr.splitlines()
    doc = json.loads(out.read_text())
    assert any(a["name"] == "reports-api" for a in doc["assets"])


def test_registry_scanning_only_does_not_cover_images_from_other_registries(
    tmp_path: Path,
) -> None:
    # Container Apps get registry scanning only: with Defender on, a sidecar pulled from
    # Docker Hub is still not scanned, so the cell is a gap naming that image
    graph = json.loads((ESTATE / "az-graph.json").read_text())
    app = next(r for r in graph["data"] if r["name"] == "ca-checkout")
    app["properties"]["template"]["containers"].append(
        {"image": "docker.io/envoyproxy/envoy:v1.31.2", "name": "proxy"}
    )
    (tmp_path / "az-graph.json").write_text(json.dumps(graph))
    result = run_seawall("coverage", str(tmp_path / "az-graph.json"), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    doc = json.loads(result.stdout)
    row = next(r for r in doc["rows"] if r["name"] == "ca-checkout")
    vuln = next(
        c
        for c in row["cells"]
        if (c["layer"], c["task"]) == ("application", "vulnerability-management")
    )
    assert vuln["coverage"] == "native-partial" and vuln["verdict"] == "gap"
    assert {c["status"] for c in vuln["controls"]} == {"on"}  # Defender is on all the same
    gap = next(
        f
        for f in doc["findings"]
        if f["asset"] == row["asset"]
        and f["rule"] == "coverage-gap/application/vulnerability-management"
    )
    assert gap["details"]["unscanned_images"] == ["docker.io/envoyproxy/envoy:v1.31.2"]
    assert "registry scanning only" in gap["remediation"]
    table = run_seawall("coverage", str(tmp_path / "az-graph.json"))
    line = next(x for x in table.stdout.decode().splitlines() if " ca-checkout " in x)
    assert "GAP(reg)" in line
    # the unchanged estate (images in ACR) stays covered
    plain = json.loads(run_seawall("coverage", str(ESTATE), "--format", "json").stdout)
    row = next(r for r in plain["rows"] if r["name"] == "ca-checkout")
    assert all(c["coverage"] != "native-partial" for c in row["cells"])


def test_plan_and_state_json_with_wrong_types_do_not_crash(tmp_path: Path) -> None:
    docs = [
        '{"format_version": "1.2", "planned_values": [1]}',
        '{"format_version": "1.2", "planned_values": {"root_module": 5}}',
        '{"format_version": "1.2", "planned_values": {"root_module": {"resources": 5,'
        ' "child_modules": [5, {"resources": [5, {"type": "aws_eks_cluster", "name": "e",'
        ' "values": 5}]}]}}}',
        '{"format_version": "1.2", "values": {"root_module": []}}',
    ]
    paths = []
    for number, text in enumerate(docs):
        path = tmp_path / f"plan{number}.json"
        path.write_text(text)
        paths.append(str(path))
    result = run_seawall("inventory", *paths, str(ESTATE / "gcp-tfstate.json"), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    doc = json.loads(result.stdout)
    assert any(a["name"] == "reports-api" for a in doc["assets"])


def test_manifests_with_wrong_types_do_not_crash(tmp_path: Path) -> None:
    manifests = tmp_path / "k8s"
    manifests.mkdir()
    (manifests / "odd.yaml").write_text(
        "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: odd, labels: 5}\n"
        "spec: {template: {spec: {containers: 5, initContainers: [5, {image: [1]}]}}}\n"
        "---\nkind: Service\napiVersion: v1\nmetadata: {name: s, annotations: 5}\n"
        "spec: 5\n"
        "---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: ok}\n"
        "spec: {template: {spec: {containers: [{name: a, image: 'nginx:1.27'}]}}}\n"
    )
    result = run_seawall("coverage", str(manifests), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    names = {row["name"] for row in json.loads(result.stdout)["rows"]}
    assert names == {"odd", "ok"}


def test_cloud_run_name_of_the_wrong_type_does_not_crash(tmp_path: Path) -> None:
    state = json.loads((ESTATE / "gcp-tfstate.json").read_text())
    resources = state["values"]["root_module"]["resources"]
    run = next(r for r in resources if r["type"] == "google_cloud_run_v2_service")
    run["values"]["name"] = {"not": "a string"}
    (tmp_path / "state.json").write_text(json.dumps(state))
    result = run_seawall("inventory", str(tmp_path / "state.json"), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    assert json.loads(result.stdout)["assets"]


def test_terraform_state_credentials_are_not_copied_into_the_inventory(tmp_path: Path) -> None:
    # `terraform show -json` prints sensitive attributes in clear; AKS state holds the
    # cluster's admin kubeconfig. The inventory keeps the record, not the credentials.
    key = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ-not-a-real-key"
    aks = {
        "address": "azurerm_kubernetes_cluster.prod",
        "mode": "managed",
        "type": "azurerm_kubernetes_cluster",
        "name": "prod",
        "values": {
            "name": "aks-prod",
            "location": "westeurope",
            "resource_group_name": "rg-prod",
            "kube_config_raw": f"apiVersion: v1\nusers:\n- user: {{client-key-data: {key}}}\n",
            "kube_admin_config": [
                {"client_key": key, "password": "hunter2-not-real", "host": "https://aks"}
            ],
            "local_account_disabled": False,
        },
    }
    state = {
        "format_version": "1.0",
        "terraform_version": "1.7.5",
        "values": {"root_module": {"resources": [aks]}},
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    out = tmp_path / "inventory.json"
    result = run_seawall("inventory", str(path), "--format", "json", "--output", str(out))
    assert result.returncode == 0, result.stderr.decode()
    text = out.read_text()
    assert key not in text and "hunter2-not-real" not in text
    cluster = next(a for a in json.loads(text)["assets"] if a["service"] == "azure.aks")
    raw = cluster["properties"]["raw"]
    assert raw["kube_config_raw"] == "<redacted>"
    assert raw["kube_admin_config"][0] == {
        "client_key": "<redacted>",
        "password": "<redacted>",
        "host": "https://aks",
    }
    assert raw["local_account_disabled"] is False  # hardening still reads the settings


def test_provider_record_credentials_are_not_copied_into_the_inventory(tmp_path: Path) -> None:
    # a GKE cluster with legacy client certificates: the API returns masterAuth.clientKey
    lines = (ESTATE / "gcp-assets.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    gke = next(r for r in records if r["asset_type"] == "container.googleapis.com/Cluster")
    gke["resource"]["data"]["masterAuth"] = {
        "clientKey": "LS0tLS1-not-a-real-client-key",
        "clientCertificate": "LS0tLS1-not-a-real-cert",
        "clusterCaCertificate": "LS0tLS1-ca",
    }
    export = tmp_path / "gcp-assets.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = run_seawall("inventory", str(export), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert b"not-a-real" not in result.stdout
    doc = json.loads(result.stdout)
    cluster = next(a for a in doc["assets"] if a["name"] == gke["resource"]["data"]["name"])
    auth = cluster["properties"]["raw"]["resource"]["data"]["masterAuth"]
    assert auth == {
        "clientKey": "<redacted>",
        "clientCertificate": "<redacted>",
        "clusterCaCertificate": "LS0tLS1-ca",
    }


def test_real_harden_output_marks_its_assets_hardened(tmp_path: Path) -> None:
    # the documented flow: `seawall harden --format json` next to the inventory. Its keys
    # are sorted ("schema" after the findings) and clean assets are only in checked_assets.
    manifests = tmp_path / "k8s"
    manifests.mkdir()
    (manifests / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        "        - {name: api, image: 'ghcr.io/example/api:1.0', securityContext:"
        " {privileged: true}}\n"
    )
    harden = tmp_path / "harden.json"
    made = run_seawall("harden", str(manifests), "--format", "json", "--output", str(harden))
    assert made.returncode in (0, 1), made.stderr.decode()
    result = run_seawall("coverage", str(manifests), str(harden), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert "unknown format" not in result.stderr.decode()
    row = next(r for r in json.loads(result.stdout)["rows"] if r["name"] == "api")
    assert [c["coverage"] for c in row["cells"][:4:3]] == ["seawall-scan", "seawall-scan"]
    # a clean asset: only checked_assets names it
    doc = json.loads(harden.read_text())
    doc["findings"] = []
    harden.write_text(json.dumps(doc, sort_keys=True, indent=2))
    clean = run_seawall("coverage", str(manifests), str(harden), "--format", "json")
    row = next(r for r in json.loads(clean.stdout)["rows"] if r["name"] == "api")
    assert row["cells"][0]["coverage"] == "seawall-scan"
    alone = run_seawall("coverage", str(harden))  # evidence without an inventory
    assert alone.returncode == 2
    assert "only seawall scan results given" in alone.stderr.decode()

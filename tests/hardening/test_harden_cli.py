"""`seawall harden` end to end: formats, exit codes, --list-rules, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA, run_seawall

H = DATA / "hardening"


def test_json_document_schema_is_pinned(tmp_path: Path) -> None:
    out = tmp_path / "harden.json"
    done = run_seawall(
        "harden", str(H / "k8s" / "shop.yaml"), str(H / "corpora" / "microservices-demo"),
        "--format", "json", "--output", str(out), "--pss-version", "1.31",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["schema"] == "seawall.harden/v1"
    assert sorted(doc) == [
        "checked_assets", "errors", "expired_exceptions", "findings", "generated_at", "policy",
        "pss_version", "schema", "sources", "summary", "warnings",
    ]  # fmt: skip
    assert doc["pss_version"] == "1.31"
    assert sorted(doc["summary"]) == [
        "by_severity",
        "files",
        "findings",
        "objects",
        "skipped",
        "suppressed",
        "targets",
    ]
    finding = next(f for f in doc["findings"] if f["rule"] == "pss-baseline-privileged")
    assert finding["type"] == "misconfiguration" and finding["task"] == "hardening"
    assert finding["severity"] == "critical"
    assert finding["asset"] == "k8s:default/shop/Deployment/web"
    assert finding["location"] == {
        "path": str(H / "k8s" / "shop.yaml"),
        "line": 22,  # the field's own line, not the document's
        "field": "spec.template.spec.containers[0].securityContext.privileged",
    }
    assert "CKV_K8S_16" in finding["references"]
    assert "pss:baseline/privileged" in finding["references"]
    assert finding["details"]["mappings"]["cis"][0] == "k8s-1.10:5.2.2"
    assert finding["details"]["checkov"] == ["CKV_K8S_16"]
    assert doc["summary"]["skipped"] == 1  # the unknown Widget kind
    default = run_seawall("harden", str(H / "k8s" / "shop.yaml"), "-f", "json")
    assert json.loads(default.stdout)["pss_version"] == "1.37"  # latest by default
    assert "k8s:default/default/Widget/w" in doc["checked_assets"]
    assert (
        "dockerfile:"
        + str(H / "corpora" / "microservices-demo" / "src" / "adservice" / "Dockerfile")
        in doc["checked_assets"]
    )


def test_sarif_and_fail_on_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "harden.sarif"
    done = run_seawall(
        "harden", str(H / "corpora" / "terragoat"), "--format", "sarif",
        "--output", str(out), "--fail-on", "critical",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    sarif = json.loads(out.read_text())
    results = sarif["runs"][0]["results"]
    aks = next(r for r in results if r["ruleId"] == "azure-aks-rbac")
    region = aks["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 1


def test_list_rules_json_and_table() -> None:
    done = run_seawall("harden", "--list-rules", "--format", "json")
    assert done.returncode == 0, done.stderr
    rules = {r["id"]: r for r in json.loads(done.stdout)["rules"]}
    assert rules["k8s-runtime-socket"]["mappings"]["checkov"] == ["CKV_K8S_27"]
    assert rules["azure-app-https-only"]["mappings"]["azure_policy"][0] == (
        "a4af4a39-4135-47fb-b175-47fbdf85311d"
    )
    assert len(rules) >= 80
    table = run_seawall("harden", "--list-rules")
    assert "pss-restricted-capabilities" in table.stdout.decode()


def test_bad_policy_and_missing_target_exit_2_without_output(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = run_seawall(
        "harden", str(H / "k8s"), "--policy", str(H / "policy" / "bad-policy.yaml"),
        "--format", "json", "--output", str(out),
    )  # fmt: skip
    assert done.returncode == 2
    assert b"bad-policy.yaml:5:" in done.stderr
    assert not out.exists()
    missing = run_seawall("harden", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert b"no such file or directory" in missing.stderr
    version = run_seawall("harden", str(H / "k8s"), "--pss-version", "2.0")
    assert version.returncode == 2


def test_inventory_document_gives_the_same_findings_as_the_sources(tmp_path: Path) -> None:
    sources = [str(H / "k8s" / "shop.yaml"), str(H / "cloud" / "hcl")]
    inventory = tmp_path / "inventory.json"
    made = run_seawall("inventory", *sources, "--format", "json", "--output", str(inventory))
    assert made.returncode == 0, made.stderr
    via_inventory = tmp_path / "a.json"
    direct = tmp_path / "b.json"
    assert (
        run_seawall("harden", str(inventory), "-f", "json", "-o", str(via_inventory)).returncode
        == 0
    )
    assert run_seawall("harden", *sources, "-f", "json", "-o", str(direct)).returncode == 0

    def pairs(path: Path) -> set[tuple[str, str]]:
        return {(f["rule"], f["asset"]) for f in json.loads(path.read_text())["findings"]}

    inventoried = pairs(via_inventory)
    assert ("pss-baseline-privileged", "k8s:default/shop/Deployment/web") in inventoried
    assert ("azure-app-https-only", "tf:hcl/azurerm_linux_web_app.shop") in inventoried
    # everything found through the inventory is found on the sources, for the same ids
    assert inventoried <= pairs(direct)
    # and points at the file and line that declare the resource, not at inventory.json
    where = {
        f["asset"]: (f["location"]["path"], f["location"]["line"])
        for f in json.loads(via_inventory.read_text())["findings"]
    }
    assert where["tf:hcl/azurerm_linux_web_app.shop"] == (str(H / "cloud" / "hcl" / "main.tf"), 1)
    assert where["k8s:default/shop/Deployment/web"][0] == str(H / "k8s" / "shop.yaml")


def test_a_truncated_inventory_document_is_skipped_and_the_rest_checked(tmp_path: Path) -> None:
    target = tmp_path / "estate"
    target.mkdir()
    (target / "inventory.json").write_text('{"schema": "seawall.inventory/v1", "assets": [')
    (target / "shop.yaml").write_text((H / "k8s" / "shop.yaml").read_text())
    out = tmp_path / "out.json"
    done = run_seawall("harden", str(target), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert b"inventory.json: cannot read inventory document" in done.stderr
    doc = json.loads(out.read_text())
    assert doc["summary"]["skipped"] >= 1
    assert any("inventory.json" in w for w in doc["warnings"])
    assert any(f["rule"] == "pss-baseline-privileged" for f in doc["findings"])


def test_progress_callback_per_file_and_no_progress_output_when_piped(tmp_path: Path) -> None:
    from seawall.hardening.scan import harden

    seen: list[str] = []
    harden([H / "k8s", H / "cloud" / "hcl"], on_file=lambda p: seen.append(p.name))
    assert "shop.yaml" in seen and "main.tf" in seen
    done = run_seawall("harden", str(H / "k8s"), "-f", "json")
    # stderr is not a terminal here: only the one-line warnings, no progress drawing
    assert all(line.startswith(b"warning: ") for line in done.stderr.splitlines())


def test_deeply_nested_yaml_json_and_plan_are_skipped_not_crashing(tmp_path: Path) -> None:
    """100,000 nested brackets overflowed libyaml's C stack (segfault) and Python's json
    recursion (traceback); each such file is now named, counted and skipped."""
    n = 100_000
    nest = "[" * n + "]" * n
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "deep.yaml").write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: d}}\nspec:\n  x: {nest}\n"
    )
    (tree / "deep.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "d"}, "spec": {"x": '
        + nest
        + "}}"
    )
    (tree / "plan.json").write_text(
        '{"format_version": "1.2", "planned_values": {"root_module": {"resources": ' + nest + "}}}"
    )
    (tree / "shop.yaml").write_text((H / "k8s" / "shop.yaml").read_text())
    out = tmp_path / "out.json"
    done = run_seawall("harden", str(tree), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text())
    for name in ("deep.yaml", "deep.json", "plan.json"):
        assert any(name in w and "deeply" in w for w in doc["warnings"]), name
    assert any(f["rule"] == "pss-baseline-privileged" for f in doc["findings"])


def test_fields_of_the_wrong_type_are_named_not_a_crash(tmp_path: Path) -> None:
    """`verbs: 5`, `containers: ["string"]`, `metadata: 5` ... in a manifest: each rule that
    cannot read its object is named (file:line, rule, asset), the rest still checked."""
    out = tmp_path / "out.json"
    done = run_seawall(
        "harden", str(H / "malformed" / "wrong-types.yaml"), str(H / "k8s" / "shop.yaml"),
        "-f", "json", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text())
    malformed = [w for w in doc["warnings"] if "malformed object" in w]
    assert malformed and all("wrong-types.yaml:" in w for w in malformed)
    assert any("rbac-secrets-read could not check" in w for w in malformed)
    rules = {f["rule"] for f in doc["findings"] if "wrong-types" in f["location"]["path"]}
    assert "pss-baseline-privileged" in rules  # privileged: "true" still read
    assert any(f["asset"] == "k8s:default/shop/Deployment/web" for f in doc["findings"])


def test_a_cloud_record_with_wrong_types_is_skipped_by_name() -> None:
    """A plan whose ECS task definition lists `environment: 5`: that resource is named and
    skipped, the plan's other resources are still checked."""
    from seawall.hardening.scan import harden

    report = harden([H / "malformed" / "plan.json"])
    assert [w for w in report.warnings if "malformed" in w] == [
        f"{H / 'malformed' / 'plan.json'}: aws_ecs_task_definition 'x' is malformed "
        "(TypeError), skipped"
    ]
    assert any(f.rule.startswith("azure-app-") for f in report.findings)


def _batch(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A readable manifest and Dockerfile, plus a missing file, a symlink and a FIFO."""
    import os

    good = tmp_path / "a.yaml"
    good.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  containers:\n  - {name: c, image: nginx, securityContext: {privileged: true}}\n"
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:12\nUSER root\n")
    (tmp_path / "link.yaml").symlink_to(good)
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block: must be refused, not read
    bad = [str(tmp_path / n) for n in ("missing.yaml", "link.yaml", "pipe.yaml")]
    return good, dockerfile, bad


def test_unusable_targets_are_named_and_the_rest_of_the_batch_is_checked(tmp_path: Path) -> None:
    good, dockerfile, bad = _batch(tmp_path)
    out = tmp_path / "out.json"
    done = run_seawall(
        "harden", str(good), bad[0], str(dockerfile), bad[1], bad[2],
        "--format", "json", "--output", str(out), "--fail-on", "low",
    )  # fmt: skip
    assert done.returncode == 2  # an unusable target outranks --fail-on's 1
    errors = [line for line in done.stderr.decode().splitlines() if "error" in line]
    assert errors == [
        f"seawall: error: {bad[0]}: no such file or directory",
        f"seawall: error: {bad[1]}: refusing to follow a symbolic link",
        f"seawall: error: {bad[2]}: not a regular file or directory",
    ]
    doc = json.loads(out.read_text())
    assert doc["errors"] == [
        {"path": bad[0], "reason": "no such file or directory"},
        {"path": bad[1], "reason": "refusing to follow a symbolic link"},
        {"path": bad[2], "reason": "not a regular file or directory"},
    ]
    assert doc["sources"] == [str(good), str(dockerfile)]
    rules = {(f["rule"], f["location"]["path"]) for f in doc["findings"]}
    assert ("pss-baseline-privileged", str(good)) in rules
    assert any(path == str(dockerfile) for _, path in rules)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")]


def test_unusable_target_is_a_sarif_tool_execution_notification(tmp_path: Path) -> None:
    good, _, bad = _batch(tmp_path)
    done = run_seawall("harden", str(good), bad[0], "--format", "sarif")
    assert done.returncode == 2
    run = json.loads(done.stdout)["runs"][0]
    assert run["results"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == f"{bad[0]}: no such file or directory"
    clean = json.loads(run_seawall("harden", str(good), "--format", "sarif").stdout)
    assert "invocations" not in clean["runs"][0]


def test_no_usable_target_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    _, _, bad = _batch(tmp_path)
    out = tmp_path / "out.json"
    out.write_text("previous run\n")
    done = run_seawall("harden", *bad, "--format", "json", "--output", str(out))
    assert done.returncode == 2
    assert done.stdout == b""
    assert out.read_text() == "previous run\n"  # untouched
    assert done.stderr.decode().count("seawall: error: ") == 3
    table = run_seawall("harden", bad[0])
    assert table.returncode == 2
    assert table.stdout == b""
    assert table.stderr.decode().strip() == f"seawall: error: {bad[0]}: no such file or directory"


def test_warnings_for_broken_files_never_print_the_password_they_hold(tmp_path: Path) -> None:
    secret = "Hunter2SuperSecret!"
    (tmp_path / "open.tf").write_text(
        f'resource "aws_db_instance" "z" {{\n  password = "{secret}\n}}\n'
    )
    (tmp_path / "bare.tf").write_text(
        f'resource "aws_db_instance" "w" {{\n  password = {secret}\n}}\n'
    )
    (tmp_path / "main.tf").write_text(
        f'resource "aws_db_instance" "x" {{\n  password = "{secret}"\n'
        f'  storage_encrypted = "{secret}"\n  publicly_accessible = ["{secret}"]\n}}\n'
    )
    (tmp_path / "plan.tfplan.json").write_text(
        f'{{"planned_values": {{"password": "{secret}" "x"}}}}'
    )
    (tmp_path / "s.yaml").write_text(
        f'apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{password: "{secret}" : x}}\n'
    )
    out = tmp_path / "out.json"
    done = run_seawall("harden", str(tmp_path), "--format", "json", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(b"warning: ") >= 3  # open.tf, bare.tf, s.yaml are named
    assert secret.encode() not in done.stderr
    assert secret not in out.read_text()

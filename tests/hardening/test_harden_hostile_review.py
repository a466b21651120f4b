"""Hostile manifests and policies for `seawall harden`."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import run_seawall

BIG = "9" * 5000  # past Python's 4,300-digit integer conversion limit
GOOD = "apiVersion: v1\nkind: Pod\nmetadata: {name: fine}\nspec: {containers: [{image: nginx}]}\n"


def test_a_manifest_with_a_huge_number_is_skipped_and_the_rest_checked(tmp_path: Path) -> None:
    (tmp_path / "pod.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": ' + BIG + "}}"
    )
    (tmp_path / "plan.json").write_text(
        '{"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "a", '
        '"type": "aws_lambda_function", "values": {"timeout": ' + BIG + "}}]}}}"
    )
    (tmp_path / "good.yaml").write_text(GOOD)
    out = tmp_path / "report.json"
    done = run_seawall(
        "harden", str(tmp_path / "pod.json"), str(tmp_path / "plan.json"),
        str(tmp_path / "good.yaml"), "-f", "json", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "Traceback" not in err
    assert "pod.json:1: not valid JSON: a number longer than 4300 digits" in err
    assert "plan.json: not valid JSON: a number longer than 4300 digits" in err
    report = json.loads(out.read_text())
    assert report["summary"]["skipped"] == 2
    assert {f["asset"].rsplit("/", 1)[-1] for f in report["findings"]} == {"fine"}


def test_a_lone_surrogate_escape_is_skipped_and_the_sarif_report_written(tmp_path: Path) -> None:
    # was: UnicodeEncodeError traceback while writing the report, nothing written
    bad = tmp_path / "pod.json"
    bad.write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": '
        '[{"name": "c", "image": "nginx\\udc00", "securityContext": {"privileged": true}}]}}'
    )
    (tmp_path / "good.yaml").write_text(GOOD)
    out = tmp_path / "report.sarif"
    done = run_seawall("harden", str(tmp_path), "-f", "sarif", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().strip() == (
        f"warning: {bad}:1: not valid JSON: a lone UTF-16 surrogate escape (not text)"
    )
    assert json.loads(out.read_text())["runs"][0]["results"]


def _policy(tmp_path: Path, expressions: dict[str, str]) -> Path:
    lines = ["apiVersion: seawall.dev/v1", "kind: HardeningPolicy", "custom_rules:"]
    for rule_id, expression in expressions.items():
        lines += [
            f"  - id: {rule_id}",
            "    title: t",
            "    severity: high",
            "    match: {kinds: [Pod]}",
            f"    expression: {json.dumps(expression)}",
        ]
    path = tmp_path / "policy.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_expensive_cel_rules_stop_at_the_cost_bound_and_the_run_goes_on(tmp_path: Path) -> None:
    ten = "[" + ",".join(str(i) for i in range(10)) + "]"
    items = "[" + ",".join(str(i) for i in range(32)) + "]"
    policy = _policy(
        tmp_path,
        {
            # 10**7 steps (minutes per object before)
            "ORG-NESTED": f"{ten}.all(a, " * 7 + "true" + ")" * 7,
            # a 4 GB string in 32 steps (memory exhausted before)
            "ORG-DOUBLING": f'{items}.reduce(r, i, "a", r + r) != ""',
            # an ordinary rule over 2,000 containers stays within the bound
            "ORG-WIDE": "object.spec.containers.all(c, c.image.startsWith('registry.example/'))",
        },
    )
    containers = ", ".join(f"{{name: c{i}, image: nginx}}" for i in range(2000))
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{containers}]}}\n"
    )
    out = tmp_path / "report.json"
    done = run_seawall(
        "harden", str(pod), "--policy", str(policy), "-f", "json", "-o", str(out), timeout=60
    )
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.decode().strip().splitlines()
    for rule_id in ("ORG-NESTED", "ORG-DOUBLING"):
        assert f"{policy}:" in warnings[0]
        assert any(
            f"rule {rule_id} on k8s:default/default/Pod/p: evaluation stopped after 100000 steps"
            in w
            for w in warnings
        ), warnings
    assert len(warnings) == 2
    rules = {f["rule"] for f in json.loads(out.read_text())["findings"]}
    assert "ORG-WIDE" in rules


def test_field_lines_of_a_pod_with_20000_containers_are_found_in_one_pass() -> None:
    # each containers[i] scanned the sequence from its start: quadratic, a 2 MB pod with
    # 30,000 containers took 200 s in `seawall harden` to place its findings
    import time

    from seawall.hardening.yamllines import field_line

    count = 20_000
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: wide", "spec:", "  containers:"]
    for i in range(count):
        lines += [
            f"  - name: c{i}",
            "    image: nginx",
            "    securityContext:",
            "      privileged: true",
        ]
    memo: dict[object, object] = {}
    start = time.monotonic()
    found = [
        field_line(lines, 1, f"spec.containers[{i}].securityContext.privileged", memo)
        for i in range(count)
    ]
    assert time.monotonic() - start < 5
    assert found[0] == 10 and found[-1] == 6 + 4 * (count - 1) + 4
    assert field_line(lines, 1, f"spec.containers[{count}].image", memo) == 6  # absent: parent


def test_an_output_path_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    # os.replace raised IsADirectoryError: a traceback after the whole run, for every verb
    manifest = tmp_path / "good.yaml"
    manifest.write_text(GOOD)
    target = tmp_path / "reports"
    target.mkdir()
    for verb in ("harden", "inventory", "coverage"):
        done = run_seawall(verb, str(manifest), "-f", "json", "-o", str(target))
        assert done.returncode == 2
        assert (
            done.stderr.decode().strip()
            == f"seawall: error: cannot write {target}: it is a directory"
        )
    assert list(target.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "good.yaml",
        "reports",
    ]

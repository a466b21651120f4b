"""Hostile inventory sources: numbers past Python's int limit in every JSON format."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import run_seawall

BIG = "9" * 5000  # Python refuses to convert integer literals longer than 4300 digits

HUGE_NUMBER_FILES = {
    "plan.json": '{"format_version": "1.0", "values": {"root_module": {"resources": '
    '[{"address": "a", "type": "aws_lambda_function", "values": {"timeout": ' + BIG + "}}]}}}",
    "pod.json": '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '
    '"spec": {"x": ' + BIG + "}}",
    "az-graph.json": '{"data": [{"id": "/subscriptions/s", "type": "microsoft.web/sites", '
    '"x": ' + BIG + "}]}",
    "gcp-assets.jsonl": '{"name": "//run.googleapis.com/x", '
    '"asset_type": "run.googleapis.com/Service", "x": ' + BIG + "}\n",
    "aws-config.json": '{"configurationItems": [{"resourceType": "AWS::ECS::TaskDefinition", '
    '"configuration": {"x": ' + BIG + "}}]}",
    "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {x: " + BIG + "}\n",
}
GOOD = "apiVersion: v1\nkind: Pod\nmetadata: {name: fine}\nspec: {containers: [{image: nginx}]}\n"


def _estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    root.mkdir()
    for name, text in HUGE_NUMBER_FILES.items():
        (root / name).write_text(text)
    (root / "good.yaml").write_text(GOOD)
    return root


def test_a_number_past_the_int_limit_names_its_file_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    # json.loads raises a plain ValueError here (not JSONDecodeError): every reader let it
    # through as a traceback, and no inventory was written.
    out = tmp_path / "inventory.json"
    done = run_seawall("inventory", str(_estate(tmp_path)), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "Traceback" not in err
    warnings = err.strip().splitlines()
    for name in HUGE_NUMBER_FILES:
        (line,) = [w for w in warnings if f"/{name}" in w]
        assert "a number longer than 4300 digits" in line
        assert len(line) < 300  # the 5,000 digits are not echoed
    names = [a["name"] for a in json.loads(out.read_text())["assets"]]
    assert "fine" in names


def test_coverage_of_raw_sources_with_a_huge_number_still_builds_the_matrix(
    tmp_path: Path,
) -> None:
    out = tmp_path / "coverage.json"
    done = run_seawall("coverage", str(_estate(tmp_path)), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"plan.json: not valid JSON: a number longer than 4300 digits" in done.stderr
    assert json.loads(out.read_text())["schema"].startswith("seawall.coverage")


def test_a_string_holding_a_huge_number_is_a_warning_for_that_record(tmp_path: Path) -> None:
    export = tmp_path / "aws-config.json"
    export.write_text(
        json.dumps(
            {
                "configurationItems": [
                    {
                        "resourceType": "AWS::ECS::TaskDefinition",
                        "resourceId": "td-1",
                        "configuration": '{"x": ' + BIG + "}",
                    }
                ]
            }
        )
    )
    done = run_seawall("inventory", str(export), "-f", "json")
    assert done.returncode == 0
    assert done.stderr.decode().strip() == f"warning: {export}: td-1: configuration not JSON"


def test_a_lone_surrogate_escape_names_its_file_and_a_paired_one_is_text(tmp_path: Path) -> None:
    # "\ud800" alone is JSON syntax but not text: the report writers crashed encoding it
    # (UnicodeEncodeError traceback, nothing written) for a whole inventory or coverage run.
    root = tmp_path / "estate"
    root.mkdir()
    (root / "pod.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p\\ud800"}, '
        '"spec": {"containers": [{"name": "c", "image": "nginx"}]}}'
    )
    (root / "az-graph.json").write_text(
        '{"data": [{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", '
        '"name": "a", "type": "microsoft.web/sites", "kind": "app,linux,container", '
        '"properties": {"siteConfig": {"linuxFxVersion": "DOCKER|nginx\\udc00"}}}]}'
    )
    (root / "anchored.yaml").write_text(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: &n "q\\ud800"}\n'
        "spec: {containers: [{name: *n, image: nginx}]}\n"
    )
    (root / "emoji.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smile-\\ud83d\\ude00"}, '
        '"spec": {"containers": [{"name": "c", "image": "nginx"}]}}'
    )
    for verb in ("inventory", "coverage"):
        out = tmp_path / f"{verb}.json"
        done = run_seawall(verb, str(root), "-f", "json", "-o", str(out))
        err = done.stderr.decode()
        assert done.returncode == 0 and "Traceback" not in err, err
        assert f"{root}/pod.json:1: not valid JSON: a lone UTF-16 surrogate escape" in err
        assert f"{root}/az-graph.json: invalid JSON at line 1 column 223 (a lone UTF-16" in err
        assert f"{root}/anchored.yaml:1: invalid YAML (a lone UTF-16 surrogate escape" in err
    names = [a["name"] for a in json.loads((tmp_path / "inventory.json").read_text())["assets"]]
    assert "smile-\U0001f600" in names


def test_a_hostile_extra_catalog_is_one_line_with_exit_2(tmp_path: Path) -> None:
    # yaml.safe_load/compose: RecursionError, ValueError tracebacks and an unbounded alias
    # expansion; the catalog now goes through the same bounded loader as manifests
    estate = Path(__file__).resolve().parents[2] / "examples" / "estate" / "az-graph.json"
    bomb = "version: 1\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    cases = {
        "deep.yaml": ("version: 1\nservices: " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
        "bomb.yaml": (bomb, "expand the document too much"),
        "huge.yaml": ("version: " + BIG + "\n", "a number longer than 4300 digits"),
        "date.yaml": ("version: 2024-13-45\n", "as timestamp: month must be in 1..12"),
    }
    for name, (text, reason) in cases.items():
        catalog = tmp_path / name
        catalog.write_text(text)
        out = tmp_path / "coverage.json"
        done = run_seawall(
            "coverage", str(estate), "--catalog", str(catalog), "-f", "json", "-o", str(out)
        )
        err = done.stderr.decode().strip()
        assert done.returncode == 2, err
        assert err.startswith(f"seawall: error: {catalog}") and reason in err
        assert len(err.splitlines()) == 1 and len(err) < 300
        assert not out.exists()

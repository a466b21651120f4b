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

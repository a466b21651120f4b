"""SARIF artifact URIs: what GitHub code scanning resolves against the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.model import Finding, Layer, Location, Severity, Task
from seawall.report.sarif import render_sarif


def _finding(path: str) -> Finding:
    return Finding(
        type="misconfiguration",
        rule="r1",
        title="t",
        severity=Severity.HIGH,
        asset="a",
        layer=Layer.PLATFORM,
        task=Task.HARDENING,
        location=Location(path=path, line=3),
    )


def _uri(doc: dict[str, object]) -> str:
    result = doc["runs"][0]["results"][0]  # type: ignore[index]
    return str(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])


def test_host_file_under_the_working_directory_is_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    doc = render_sarif([_finding(str(tmp_path / "k8s" / "deploy.yaml"))], host_paths=True)
    assert _uri(doc) == "k8s/deploy.yaml"


def test_host_file_elsewhere_keeps_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    doc = render_sarif([_finding(str(tmp_path / "other" / "Dockerfile"))], host_paths=True)
    assert _uri(doc) == (tmp_path / "other" / "Dockerfile").as_uri()


def test_path_inside_an_image_is_relative_to_its_root() -> None:
    doc = render_sarif([_finding("/usr/lib/python3/dist-packages/x.dist-info/METADATA")])
    assert _uri(doc) == "usr/lib/python3/dist-packages/x.dist-info/METADATA"

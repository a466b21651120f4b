"""Outputs of `seawall image`: JSON schema pin, SARIF 2.1.0 and CycloneDX 1.5 validated."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from vulns_match_db import MATCH_DATA, key_for, load_all

from seawall.model import Package, Suppression
from seawall.report.output import to_json
from seawall.vulns.match import match_packages
from seawall.vulns.report import (
    ImageReport,
    filter_findings,
    render_cyclonedx,
    render_json,
    render_sarif,
    render_table,
)

PACKAGES = [
    Package(
        name="requests",
        version="2.19.1",
        type="pypi",
        purl="pkg:pypi/requests@2.19.1",
        ecosystem="PyPI",
        path="/usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA",
        layer="sha256:" + "b" * 64,
    ),
    Package(
        name="org.apache.logging.log4j:log4j-core",
        version="2.14.1",
        type="maven",
        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ecosystem="Maven",
        path="/app/app.jar",
    ),
    Package(
        name="lodash",
        version="4.17.21",
        type="npm",
        purl="pkg:npm/lodash@4.17.21",
        ecosystem="npm",
        path="/app/node_modules/lodash/package.json",
    ),
]


@pytest.fixture(scope="module")
def report() -> ImageReport:
    findings = match_packages(
        PACKAGES, load_all(), asset="docker-archive:app.tar", version_key=key_for
    )
    # one suppressed by VEX, as the suppress module would mark it
    findings = [
        msgspec.structs.replace(
            f,
            suppressed=Suppression(
                kind="vex", reason="not_affected: vulnerable_code_not_present", source="a.vex"
            ),
        )
        if f.rule == "CVE-2021-45105"
        else f
        for f in findings
    ]
    return ImageReport(
        target={"ref": "docker-archive:app.tar", "kind": "image", "digest": "sha256:" + "c" * 64},
        packages=PACKAGES,
        findings=findings,
        database={"path": "/tmp/db", "built": "2026-05-01T00:00:00Z", "age_days": 1.0},
    )


def test_json_document_shape_is_pinned(report: ImageReport) -> None:
    doc = json.loads(to_json(render_json(report)))
    assert doc["schema"] == "seawall.image/v1"
    assert set(doc) == {
        "schema",
        "target",
        "database",
        "summary",
        "findings",
        "suppressed",
        "warnings",
    }
    assert doc["summary"] == {
        "packages": 3,
        "findings": 3,
        "suppressed": 1,
        "by_severity": {
            "critical": 1,
            "high": 0,
            "medium": 0,
            "low": 0,
            "info": 0,
            "unknown": 2,  # PYSEC records carry no severity or CVSS
        },
        "known_exploited": 1,
        "fixable": 3,
        "vulnerable_packages": 2,
        "filtered": {},
        "matching": {},
    }
    assert doc["suppressed"] == [
        {
            "id": "CVE-2021-45105",
            "package": "org.apache.logging.log4j:log4j-core",
            "version": "2.14.1",
            "kind": "vex",
            "reason": "not_affected: vulnerable_code_not_present",
            "source": "a.vex",
            "expires": None,
        }
    ]
    finding = next(f for f in doc["findings"] if f["rule"] == "CVE-2021-45046")
    assert finding["type"] == "vulnerability"
    assert finding["severity"] == "critical"
    assert finding["layer"] == "application"
    assert finding["task"] == "vulnerability-management"
    assert set(finding["details"]) >= {
        "id",
        "aliases",
        "package",
        "installed",
        "fixed",
        "status",
        "cvss",
        "known_exploited",
        "layer",
        "path",
        "source",
    }
    assert finding["details"]["known_exploited"] is True
    assert finding["details"]["package"]["purl"] == PACKAGES[1].purl


def test_sarif_validates_and_suits_code_scanning(report: ImageReport) -> None:
    schema = json.loads((MATCH_DATA / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(to_json(render_sarif(report)))
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings)
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    for result in results:
        assert result["ruleId"] in rules
        assert result["level"] in {"error", "warning", "note"}
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/")
        assert result["partialFingerprints"]["seawallFinding/v1"]
    log4j = next(r for r in results if r["ruleId"] == "CVE-2021-45046")
    assert log4j["level"] == "error"
    assert log4j["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/app.jar"
    assert "fixed in 2.16.0" in log4j["message"]["text"]
    suppressed = next(r for r in results if r["ruleId"] == "CVE-2021-45105")
    assert suppressed["suppressions"][0]["kind"] == "external"
    fingerprints = {r["partialFingerprints"]["seawallFinding/v1"] for r in results}
    assert len(fingerprints) == len(results)


def test_cyclonedx_validates_with_vex_analysis(report: ImageReport) -> None:
    bom = render_cyclonedx(report)
    text = to_json(bom).decode()
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
    purls = {c.get("purl") for c in bom["components"]}
    assert {p.purl for p in PACKAGES} <= purls
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert vulns["CVE-2021-45105"]["analysis"]["state"] == "not_affected"
    assert "analysis" not in vulns["CVE-2021-45046"]
    assert vulns["CVE-2021-45046"]["ratings"][0]["severity"] == "critical"
    assert vulns["CVE-2021-45046"]["affects"][0]["ref"] == PACKAGES[1].purl
    assert {"name": "seawall:known_exploited", "value": "true"} in vulns["CVE-2021-45046"][
        "properties"
    ]


def test_table_groups_by_package(report: ImageReport) -> None:
    text = render_table(report, color=False, width=200)
    lines = text.splitlines()
    assert "3 vulnerabilities" in lines[0] and "1 suppressed" in lines[0]
    assert "1 known exploited" in lines[0]
    # log4j (critical) first, its package name printed once for its group
    assert text.index("log4j-core") < text.index("requests")
    assert text.count("org.apache.logging.log4j:log4j-core") == 2  # group row + suppressed line
    assert "CVE-2021-45046 KEV" in text
    assert "Suppressed (1):" in text
    assert "CVE-2021-45105 in org.apache.logging.log4j:log4j-core: not_affected" in text
    colored = render_table(report, color=True, width=200)
    assert "\x1b[" in colored and "\x1b[" not in text


def test_filters(report: ImageReport) -> None:
    from seawall.model import Severity

    kept, dropped = filter_findings(
        report.findings, severities={Severity.CRITICAL}, ignore_unfixed=True
    )
    assert [f.rule for f in kept] == ["CVE-2021-45046"]
    assert dropped == {"severity": 3, "unfixed": 0}


def test_no_database_is_a_clear_error(tmp_path: Path) -> None:
    from seawall_testlib import run_seawall

    sbom = tmp_path / "x.cdx.json"
    sbom.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}')
    result = run_seawall("image", "--sbom", str(sbom), "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2
    assert b"no advisory database at" in result.stderr
    assert b"seawall db update" in result.stderr
    result = run_seawall("image", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2
    assert b"exactly one" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line, not a usage box

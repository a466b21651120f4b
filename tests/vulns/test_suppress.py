"""Suppression by .seawallignore, OpenVEX and CycloneDX VEX: counted and kept, not dropped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from vulns_match_db import key_for, load_all

from seawall.errors import InputError
from seawall.model import Finding, Package
from seawall.vulns.match import match_packages
from seawall.vulns.suppress import apply_suppressions, load_ignore_file, load_vex, merge

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    packages = [
        Package(
            name="requests",
            version="2.19.1",
            type="pypi",
            purl="pkg:pypi/requests@2.19.1",
            ecosystem="PyPI",
        ),
        Package(
            name="org.apache.logging.log4j:log4j-core",
            version="2.14.1",
            type="maven",
            purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ecosystem="Maven",
        ),
    ]
    return match_packages(packages, load_all(), asset="img", version_key=key_for)


def _suppressed(findings: list[Finding]) -> dict[str, str]:
    return {f.rule: f.suppressed.reason for f in findings if f.suppressed is not None}


def test_ignore_file_by_id_package_and_expiry(tmp_path: Path, findings: list[Finding]) -> None:
    ignore = tmp_path / ".seawallignore"
    ignore.write_text(
        "ignore:\n"
        "  - id: CVE-2018-18074\n"
        "    package: requests\n"
        "    reason: only talks to internal https endpoints\n"
        "    expires: 2026-12-31\n"
        "  - id: CVE-2021-45105\n"
        "    expires: 2026-01-31\n"  # expired: must not apply, must warn
        "  - ids: [CVE-2023-32681]\n"
        "    package: not-requests\n"  # another package: must not apply
    )
    sup = load_ignore_file(ignore, today=TODAY)
    out = apply_suppressions(findings, sup)
    assert len(out) == len(findings)  # nothing dropped
    assert _suppressed(out) == {"CVE-2018-18074": "only talks to internal https endpoints"}
    [warning] = sup.warnings
    assert "CVE-2021-45105" in warning and "expired on 2026-01-31" in warning
    marked = next(f for f in out if f.suppressed is not None)
    assert marked.suppressed is not None and marked.suppressed.kind == "ignore-file"
    assert marked.suppressed.expires == "2026-12-31"


def test_ignore_file_by_purl(tmp_path: Path, findings: list[Finding]) -> None:
    ignore = tmp_path / ".seawallignore"
    ignore.write_text(
        "- id: GHSA-7rjr-3q55-vv33\n"  # an alias of CVE-2021-45046
        "  purl: pkg:maven/org.apache.logging.log4j/log4j-core\n"
        "  reason: JndiLookup class removed\n"
    )
    out = apply_suppressions(findings, load_ignore_file(ignore, today=TODAY))
    assert _suppressed(out) == {"CVE-2021-45046": "JndiLookup class removed"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignore: {a: 1}", "expected a list"),
        ("- package: x\n", "'id' or 'ids'"),
        ("- id: X\n  expires: someday\n", "not a date"),
        ("- id: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_ignore_files_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    ignore = tmp_path / ".seawallignore"
    ignore.write_text(text)
    with pytest.raises(InputError, match=message):
        load_ignore_file(ignore, today=TODAY)


def test_openvex_not_affected_suppresses_with_justification(
    tmp_path: Path, findings: list[Finding]
) -> None:
    vex = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "security@example.com",
        "timestamp": "2026-05-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2021-45046"},
                "products": [
                    {
                        "@id": "pkg:oci/app@sha256%3Aabc",
                        "subcomponents": [
                            {"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
                        ],
                    }
                ],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            },
            {
                "vulnerability": {"name": "CVE-2021-45105"},
                "products": [{"@id": "pkg:oci/app@sha256%3Aabc"}],
                "status": "under_investigation",
            },
            {
                "vulnerability": "CVE-2018-18074",
                "products": [{"@id": "pkg:pypi/requests@9.9.9"}],  # other version
                "status": "not_affected",
                "justification": "component_not_present",
            },
        ],
    }
    path = tmp_path / "app.openvex.json"
    path.write_text(json.dumps(vex))
    out = apply_suppressions(findings, load_vex(path))
    assert _suppressed(out) == {
        "CVE-2021-45046": "not_affected: vulnerable_code_not_in_execute_path"
    }
    assert next(f for f in out if f.suppressed).suppressed.kind == "vex"  # type: ignore[union-attr]


def test_cyclonedx_vex_by_bom_ref(tmp_path: Path, findings: list[Finding]) -> None:
    vex = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [
            {
                "type": "library",
                "bom-ref": "requests-ref",
                "name": "requests",
                "version": "2.19.1",
                "purl": "pkg:pypi/requests@2.19.1",
            }
        ],
        "vulnerabilities": [
            {
                "id": "CVE-2018-18074",
                "analysis": {
                    "state": "not_affected",
                    "justification": "protected_by_mitigating_control",
                    "detail": "no redirects followed",
                },
                "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#requests-ref"}],
            },
            {
                "id": "CVE-2021-45105",
                "analysis": {"state": "exploitable"},
                "affects": [{"ref": "requests-ref"}],
            },
        ],
    }
    path = tmp_path / "vex.cdx.json"
    path.write_text(json.dumps(vex))
    out = apply_suppressions(findings, merge(load_vex(path)))
    assert _suppressed(out) == {
        "CVE-2018-18074": "not_affected: protected_by_mitigating_control (no redirects followed)"
    }


def test_not_a_vex_document(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="neither an OpenVEX nor a CycloneDX"):
        load_vex(path)
    path.write_text("{broken")
    with pytest.raises(InputError, match="not valid JSON"):
        load_vex(path)
    with pytest.raises(InputError, match="no such file"):
        load_vex(tmp_path / "missing.json")

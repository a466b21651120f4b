"""`--sbom`: CycloneDX and SPDX 2.3 JSON SBOMs read into packages that match like a scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot5
from packageurl import PackageURL
from vulns_match_db import key_for, load_all

from seawall.errors import InputError
from seawall.vulns.match import match_packages
from seawall.vulns.sbom_input import distro_ecosystem, package_from_purl, read_sbom
from seawall.vulns.suppress import load_vex

PURLS = [
    "pkg:deb/debian/libsope1@5.8.0-1?arch=amd64&upstream=sope",
    "pkg:pypi/requests@2.19.1",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    "pkg:golang/golang.org/x/text@v0.3.7",
    "pkg:npm/lodash@4.17.21",
]
EXPECTED = {
    ("libsope1", "CVE-2025-53603"),
    ("requests", "CVE-2018-18074"),
    ("requests", "CVE-2023-32681"),
    ("org.apache.logging.log4j:log4j-core", "CVE-2021-45046"),
    ("org.apache.logging.log4j:log4j-core", "CVE-2021-45105"),
    ("golang.org/x/text", "CVE-2022-32149"),
}


def _cyclonedx(tmp_path: Path) -> Path:
    bom = Bom()
    bom.metadata.component = Component(name="shop/app", type=ComponentType.CONTAINER)
    bom.components.add(Component(name="debian", version="12", type=ComponentType.OPERATING_SYSTEM))
    for text in PURLS:
        purl = PackageURL.from_string(text)
        bom.components.add(Component(name=purl.name, version=purl.version, purl=purl))
    bom.components.add(Component(name="no-purl-here", version="1.0"))
    bom.register_dependency(bom.metadata.component, list(bom.components))
    path = tmp_path / "app.cdx.json"
    path.write_text(JsonV1Dot5(bom).output_as_string())
    return path


def _spdx(tmp_path: Path) -> Path:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "shop/app",
        "documentNamespace": "https://example.com/spdx/shop-app-1",
        "creationInfo": {"created": "2026-05-01T00:00:00Z", "creators": ["Tool: test"]},
        "packages": [
            {
                "SPDXID": "SPDXRef-OS",
                "name": "debian",
                "versionInfo": "12",
                "primaryPackagePurpose": "OPERATING-SYSTEM",
                "downloadLocation": "NOASSERTION",
            }
        ]
        + [
            {
                "SPDXID": f"SPDXRef-Package-{i}",
                "name": PackageURL.from_string(p).name,
                "versionInfo": PackageURL.from_string(p).version,
                "downloadLocation": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": p,
                    }
                ],
            }
            for i, p in enumerate(PURLS)
        ],
    }
    path = tmp_path / "app.spdx.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("build", [_cyclonedx, _spdx])
def test_sbom_packages_match_the_advisories_that_apply(tmp_path: Path, build: object) -> None:
    sbom = read_sbom(build(tmp_path))  # type: ignore[operator]
    assert sbom.name == "shop/app"
    assert sbom.os == "debian-12"
    by_name = {p.name: p for p in sbom.packages}
    assert set(by_name) == {
        "libsope1",
        "requests",
        "org.apache.logging.log4j:log4j-core",
        "golang.org/x/text",
        "lodash",
    }
    assert by_name["libsope1"].ecosystem == "Debian:12"
    assert by_name["libsope1"].source_name == "sope"
    findings = match_packages(sbom.packages, load_all(), asset=sbom.name, version_key=key_for)
    assert {(f.details["package"]["name"], f.rule) for f in findings} == EXPECTED


def test_cyclonedx_counts_components_without_purl(tmp_path: Path) -> None:
    assert read_sbom(_cyclonedx(tmp_path)).skipped == 1


@pytest.mark.parametrize(
    ("distro", "ecosystem"),
    [
        ("debian-12.5", "Debian:12"),
        ("alpine-3.19.1", "Alpine:v3.19"),
        ("ubuntu-22.04", "Ubuntu:22.04"),
        ("rocky-9.3", "Rocky Linux:9"),
        ("plan9-4", None),
    ],
)
def test_distro_qualifiers(distro: str, ecosystem: str | None) -> None:
    assert distro_ecosystem(distro) == ecosystem


def test_purl_ecosystems() -> None:
    apk = package_from_purl("pkg:apk/alpine/zlib@1.2.11-r3?arch=x86_64&distro=alpine-3.15.4")
    assert apk is not None and apk.ecosystem == "Alpine:v3.15"
    npm = package_from_purl("pkg:npm/%40babel/core@7.0.0")
    assert npm is not None and (npm.name, npm.ecosystem) == ("@babel/core", "npm")
    assert package_from_purl("pkg:pypi/requests") is None  # no version: nothing to match
    assert package_from_purl("not a purl") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "expected a JSON object"),
        ('{"a": 1}', "not a CycloneDX JSON or SPDX"),
        ("{", "not valid JSON"),
        ('{"bomFormat": "CycloneDX", "components": {"a": 1}}', "must be a list"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ],
)
def test_bad_sboms_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_sbom(path)
    if "components" not in text:  # the same broken documents given as VEX
        with pytest.raises(InputError):
            load_vex(path)

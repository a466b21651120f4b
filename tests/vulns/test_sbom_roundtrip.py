"""`seawall image --sbom` on SBOMs made by our own `seawall sbom` (CycloneDX and SPDX): the
same findings as scanning the image, distro advisories found through the source package our
SBOMs record, and no spurious "without a usable purl" warning for the OS/container entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seawall_testlib import run_seawall
from vulns_match_db import build_sqlite
from vulns_match_image import OS_RELEASE, app_image, docker_archive, dpkg_record, layer_tar

# What applies to app_image (see test_image_cli.EXPECTED)
EXPECTED_RULES = {
    "CVE-2021-23337",
    "CVE-2018-18074",
    "CVE-2023-32681",
    "CVE-2019-11236",
    "CVE-2019-11324",
    "CVE-2020-26137",
    "CVE-2021-33503",
    "CVE-2023-43804",
    "CVE-2018-25091",
    "CVE-2023-45803",
    "CVE-2022-0456",
    "CVE-2021-45046",
    "CVE-2021-45105",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("roundtrip")
    # libsope1 before Debian's backported fix: the tracker keys CVE-2025-53603 by the
    # source package "sope", which only the SBOM's source-package field names
    old_sope = {
        "etc/os-release": OS_RELEASE,
        "var/lib/dpkg/status": dpkg_record("libsope1", "5.8.0-1", "sope").encode(),
    }
    return {
        "root": root,
        "image": app_image(root / "app.tar"),
        "sope": docker_archive(root / "sope.tar", [layer_tar(old_sope)]),
        "db": build_sqlite(root / "advisories.db"),
    }


def _sbom(env: dict[str, Path], image: str, fmt: str) -> Path:
    out = env["root"] / f"{image}.{fmt}.json"
    result = run_seawall(
        "sbom", f"docker-archive:{env[image]}", "--format", fmt, "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_own_sbom_gives_the_image_findings_as_sarif(
    env: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    sbom = _sbom(env, "image", fmt)
    sarif = tmp_path / "app.sarif"
    result = run_seawall(
        "image",
        "--sbom",
        str(sbom),
        "--db",
        str(env["db"]),
        "--fail-on",
        "high",
        "--format",
        "sarif",
        "--output",
        str(sarif),
    )
    assert result.returncode == 1, result.stderr  # log4j critical, lodash high
    assert b"usable purl" not in result.stderr  # the OS and the image are not packages
    doc = json.loads(sarif.read_text())
    assert doc["version"] == "2.1.0"
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == EXPECTED_RULES


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_own_sbom_matches_distro_advisories_by_source_package(
    env: dict[str, Path], fmt: str
) -> None:
    sbom = _sbom(env, "sope", fmt)
    result = run_seawall("image", "--sbom", str(sbom), "--db", str(env["db"]), "--format", "json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert {(f["details"]["package"]["name"], f["rule"]) for f in findings} == {
        ("libsope1", "CVE-2025-53603")
    }
    # the same as scanning the image itself
    image = run_seawall(
        "image", f"docker-archive:{env['sope']}", "--db", str(env["db"]), "--format", "json"
    )
    assert {f["rule"] for f in json.loads(image.stdout)["findings"]} == {"CVE-2025-53603"}


def test_hostile_sbom_properties_do_not_become_paths(env: dict[str, Path], tmp_path: Path) -> None:
    """A location property with `..` (or control characters) is not taken into the SARIF
    artifact URI; an over-long source name is ignored."""
    doc = json.loads(_sbom(env, "image", "cyclonedx").read_text())
    for comp in doc["components"]:
        if comp.get("name") == "lodash":
            comp["properties"] = [
                {"name": "seawall:location", "value": "/../../etc/passwd"},
                {"name": "seawall:layer-diff-id", "value": "sha256:" + "0" * 64},
            ]
        if comp.get("name") == "chromium":
            comp["properties"] = [
                {"name": "seawall:location", "value": "/var/lib/dpkg/status\x1b[2J"},
                {"name": "seawall:source-name", "value": "x" * 100_000},
            ]
    sbom = tmp_path / "hostile.cdx.json"
    sbom.write_text(json.dumps(doc))
    sarif = tmp_path / "out.sarif"
    result = run_seawall(
        "image", "--sbom", str(sbom), "--db", str(env["db"]), "--format", "sarif", "-o", str(sarif)
    )
    assert result.returncode == 0, result.stderr
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(sarif.read_text())["runs"][0]["results"]
    }
    assert ".." not in uris["CVE-2021-23337"] and "passwd" not in uris["CVE-2021-23337"]
    assert "%1B" not in uris["CVE-2022-0456"] and "\x1b" not in uris["CVE-2022-0456"]
    assert "CVE-2022-0456" in uris  # chromium still matched by its own name

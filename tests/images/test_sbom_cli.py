"""`seawall sbom`: formats validated against their schemas, errors, warnings, platforms."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from images_build import (
    DEBIAN_OS_RELEASE,
    docker_archive,
    dpkg_record,
    dpkg_status,
    layer_tar,
    oci_layout,
)
from seawall_testlib import DATA, run_seawall

STATUS = "var/lib/dpkg/status"


def _image(tmp_path: Path) -> Path:
    layer = layer_tar(
        {
            "etc/os-release": DEBIAN_OS_RELEASE,
            STATUS: dpkg_status(
                dpkg_record("libc6", "2.36-9+deb12u4", source="glibc"),
                dpkg_record("openssl", "3.0.11-1~deb12u2"),
                dpkg_record("tzdata", "2024a-0+deb12u1", arch="all"),
            ),
        }
    )
    return docker_archive(tmp_path / "app.tar", [layer])


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def test_cyclonedx_is_valid_1_6(tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "app.cdx.json"
    image = _image(tmp_path)
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "cyclonedx", "-o", str(out))
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    purls = {c.get("purl") for c in bom["components"]}
    assert "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12" in purls
    assert bom["metadata"]["component"]["type"] == "container"


def test_spdx_is_valid_2_3(tmp_path: Path) -> None:
    image = _image(tmp_path)
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "spdx")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    schema = json.loads((DATA / "images" / "spdx-2.3-schema.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(doc)
    assert doc["spdxVersion"] == "SPDX-2.3"
    names = {p["name"]: p for p in doc["packages"]}
    assert names["libc6"]["versionInfo"] == "2.36-9+deb12u4"
    contains = [r for r in doc["relationships"] if r["relationshipType"] == "CONTAINS"]
    assert len(contains) == 4  # the OS and three packages


def test_json_document_is_pinned(tmp_path: Path) -> None:
    image = _image(tmp_path)
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "seawall.sbom/v1"
    assert set(doc) == {
        "schema",
        "image",
        "digest",
        "platform",
        "os",
        "layers",
        "packages",
        "warnings",
    }
    assert doc["os"]["ecosystem"] == "Debian:12"
    assert doc["digest"].startswith("sha256:")
    pkg = next(p for p in doc["packages"] if p["name"] == "libc6")
    assert {
        "name",
        "version",
        "type",
        "purl",
        "ecosystem",
        "source_name",
        "source_version",
        "arch",
        "layer",
        "path",
        "cataloger",
    } <= set(pkg)
    assert pkg["layer"] == doc["layers"][0]
    assert pkg["path"] == "/var/lib/dpkg/status"
    assert pkg["cataloger"] == "dpkg@1"


def test_table_lists_packages(tmp_path: Path) -> None:
    res = run_seawall("sbom", f"docker-archive:{_image(tmp_path)}")
    assert res.returncode == 0, res.stderr
    text = res.stdout.decode()
    assert "openssl" in text and "3.0.11-1~deb12u2" in text and "glibc" in text
    assert "3 packages in 1 layers" in text


def test_table_title_keeps_its_style_on_a_colour_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1d3caf3 made the title a Text (so ":name:" in a path stays text), and rich gives a
    # Text title no table style: on a terminal the image name lost its italics.
    monkeypatch.setenv("FORCE_COLOR", "1")
    image = _image(tmp_path)
    res = run_seawall("sbom", f"docker-archive:{image}")
    assert res.returncode == 0, res.stderr
    assert b"\x1b[3mdocker-archive:" in res.stdout  # italic, as before


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sbom.json"
    res = run_seawall("sbom", "podman:whatever", "-o", str(out))
    assert res.returncode == 2
    assert "unknown transport 'podman'" in res.stderr.decode()
    res = run_seawall("sbom", f"docker-archive:{tmp_path / 'missing.tar'}", "-o", str(out))
    assert res.returncode == 2
    err = res.stderr.decode().strip()
    assert "missing.tar" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_malformed_record_warns_and_the_rest_is_catalogued(tmp_path: Path) -> None:
    status = dpkg_status(
        dpkg_record("good", "1.0-1"),
        "Package: broken\nStatus: install ok installed\nArchitecture: amd64\n",
        dpkg_record("also-good", "2.0-1"),
    )
    image = docker_archive(tmp_path / "a.tar", [layer_tar({STATUS: status})])
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "json")
    assert res.returncode == 0
    names = [p["name"] for p in json.loads(res.stdout)["packages"]]
    assert names == ["also-good", "good"]
    assert "broken" in res.stderr.decode() and "no Version" in res.stderr.decode()


def test_platform_picks_one_manifest_of_a_multi_platform_index(tmp_path: Path) -> None:
    def layer(arch: str) -> bytes:
        return layer_tar({STATUS: dpkg_status(dpkg_record("libc6", "2.36-9", arch=arch))})

    root = oci_layout(
        tmp_path / "multi", [], platforms={"amd64": [layer("amd64")], "arm64": [layer("arm64")]}
    )
    for platform, arch in (("linux/arm64", "arm64"), ("linux/amd64", "amd64")):
        res = run_seawall(
            "sbom", f"oci-layout:{root}:1.0", "--platform", platform, "--format", "json"
        )
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["platform"] == platform
        assert [p["arch"] for p in doc["packages"]] == [arch]
    res = run_seawall("sbom", f"oci-layout:{root}:1.0", "--platform", "linux/s390x")
    assert res.returncode == 2
    assert "no manifest for platform linux/s390x" in res.stderr.decode()


def test_platform_of_a_single_platform_image_is_checked(tmp_path: Path) -> None:
    image = f"docker-archive:{_image(tmp_path)}"  # linux/amd64
    out = tmp_path / "sbom.json"
    res = run_seawall("sbom", image, "--platform", "linux/arm64", "-o", str(out))
    assert res.returncode == 2
    assert "the image is linux/amd64, not linux/arm64" in res.stderr.decode()
    assert not out.exists()
    res = run_seawall("sbom", image, "--platform", "linux/amd64", "--format", "json")
    assert res.returncode == 0 and json.loads(res.stdout)["platform"] == "linux/amd64"


def test_help_names_every_format_and_transport() -> None:
    res = run_seawall("sbom", "--help")
    assert res.returncode == 0, res.stderr
    text = res.stdout.decode()
    for word in (
        "docker-archive",
        "oci-layout",
        "oci-archive",
        "dir:",
        "cyclonedx",
        "spdx",
        "--platform",
        "--output",
    ):
        assert word in text

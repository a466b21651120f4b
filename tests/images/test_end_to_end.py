"""Every cataloger wired through the layer walker and out of `seawall sbom`, on real content.

Layer 0: a Rocky Linux 9 os-release and a real SQLite rpmdb (rpmbuild + `rpm --justdb`, the
tools scripts/setup.d/30-catalogers.sh installs). Layer 1: the real six wheel and lodash
tarball, Debian's real log4j-core jar nested in a Spring Boot fat jar, and Debian's real
Go toolchain binary `gofmt` (build info: go1.19). The image is read as a zstd OCI layout
and as a gzip docker archive, in all four output formats.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from images_build import compress, docker_archive, layer_tar, oci_layout
from images_real import app_layer_files, require_fixtures
from seawall_testlib import DATA, run_seawall

ROCKY_OS_RELEASE = b"""NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
"""
SPEC = """\
Name: hello-seawall
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: seawall end-to-end package
License: MIT
BuildArch: noarch
%description
end to end
%files
"""
LOG4J = Path("/usr/share/java/log4j-core-2.19.0.jar")
GOFMT = Path("/usr/lib/go-1.19/bin/gofmt")
NESTED = "/app/app.jar!/BOOT-INF/lib/log4j-core-2.19.0.jar"
RPM_PURL = (
    "pkg:rpm/rocky/hello-seawall@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2"
    "&upstream=hello-seawall-1.2.3-4.el9.src.rpm"
)
EXPECTED_PURLS = {
    RPM_PURL,
    "pkg:pypi/six@1.16.0",
    "pkg:npm/lodash@4.17.20",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0",
    "pkg:maven/com.example/shop@3.1.4",
    "pkg:golang/stdlib@1.19.8",
}


def _rpmdb(root: Path) -> bytes:
    (root / "hello.spec").write_text(SPEC)
    top = root / "top"
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(root / "hello.spec")],
        check=True,
        capture_output=True,
    )
    db = root / "db"
    db.mkdir()
    subprocess.run(["rpm", "--dbpath", str(db), "--initdb"], check=True, capture_output=True)
    rpms = [str(p) for p in (top / "RPMS").rglob("*.rpm")]
    subprocess.run(
        ["rpm", "--dbpath", str(db), "-i", "--nodeps", "--justdb", *rpms],
        check=True,
        capture_output=True,
    )
    import sqlite3

    con = sqlite3.connect(db / "rpmdb.sqlite")  # fold the WAL into the file, as rpm does
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return (db / "rpmdb.sqlite").read_bytes()


def _fat_jar() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nStart-Class: shop.App\n")
        zf.writestr(
            "META-INF/maven/com.example/shop/pom.properties",
            "groupId=com.example\nartifactId=shop\nversion=3.1.4\n",
        )
        zf.writestr("BOOT-INF/lib/log4j-core-2.19.0.jar", LOG4J.read_bytes())
    return buf.getvalue()


def _app_layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        files = app_layer_files()
        files["app/app.jar"] = _fat_jar()
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
        exe = GOFMT.read_bytes()
        info = tarfile.TarInfo("usr/local/bin/gofmt")
        info.size, info.mode = len(exe), 0o755
        tar.addfile(info, io.BytesIO(exe))
    return buf.getvalue()


@pytest.fixture(scope="module")
def rpmdb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _rpmdb(tmp_path_factory.mktemp("rpmdb"))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory, rpmdb: bytes) -> dict[str, str]:
    require_fixtures()
    root = tmp_path_factory.mktemp("e2e")
    base = layer_tar({"etc/os-release": ROCKY_OS_RELEASE, "var/lib/rpm/rpmdb.sqlite": rpmdb})
    app = _app_layer()
    assert compress(app, "zstd")[:4] == b"\x28\xb5\x2f\xfd"
    oci_layout(root / "layout", [base, app], compression="zstd", tag="9.3")
    docker_archive(root / "app.tar", [base, app], compression="gzip")
    return {
        "oci": f"oci-layout:{root / 'layout'}:9.3",
        "docker": f"docker-archive:{root / 'app.tar'}",
    }


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def _sbom(tmp_path: Path, image: str, fmt: str) -> str:
    out = tmp_path / f"sbom.{fmt}"
    res = run_seawall("sbom", image, "--format", fmt, "--output", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout == b""  # --output: nothing on stdout
    return out.read_text()


@pytest.mark.parametrize("kind", ["oci", "docker"])
def test_json_has_every_ecosystem_with_its_layer(
    tmp_path: Path, images: dict[str, str], kind: str
) -> None:
    doc = json.loads(_sbom(tmp_path, images[kind], "json"))
    assert doc["os"]["ecosystem"] == "Rocky Linux:9"
    by_purl = {p["purl"]: p for p in doc["packages"]}
    assert set(by_purl) >= EXPECTED_PURLS
    base, app = doc["layers"]
    rpm = by_purl[RPM_PURL]
    assert (rpm["layer"], rpm["ecosystem"], rpm["epoch"]) == (base, "Rocky Linux:9", 2)
    assert rpm["source_name"] == "hello-seawall" and rpm["source_version"] == "1.2.3-4.el9"
    for purl in EXPECTED_PURLS - {RPM_PURL}:
        assert by_purl[purl]["layer"] == app, purl
    log4j = by_purl["pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"]
    assert log4j["path"] == "/app/app.jar" and log4j["metadata"]["location"] == NESTED
    assert by_purl["pkg:golang/stdlib@1.19.8"]["path"] == "/usr/local/bin/gofmt"
    assert doc["warnings"] == []


def test_cyclonedx_components_carry_layer_and_nested_location(
    tmp_path: Path, images: dict[str, str]
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = _sbom(tmp_path, images["oci"], "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    comps = {c["purl"]: c for c in bom["components"] if "purl" in c}
    assert set(comps) >= EXPECTED_PURLS
    props = {p["name"]: p["value"] for p in comps[RPM_PURL]["properties"]}
    assert props["seawall:layer-diff-id"].startswith("sha256:")
    assert props["seawall:ecosystem"] == "Rocky Linux:9"
    log4j = comps["pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"]
    assert {"name": "seawall:location", "value": NESTED} in log4j["properties"]


def test_spdx_and_table(
    tmp_path: Path, images: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # xdist workers export COLUMNS=80
    doc = json.loads(_sbom(tmp_path, images["docker"], "spdx"))
    schema = json.loads((DATA / "images" / "spdx-2.3-schema.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(doc)
    refs = {
        r["referenceLocator"]: p
        for p in doc["packages"]
        for r in p.get("externalRefs", [])
        if r["referenceType"] == "purl"
    }
    assert set(refs) >= EXPECTED_PURLS
    assert NESTED in refs["pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"]["sourceInfo"]
    table = _sbom(tmp_path, images["docker"], "table")
    assert "(Rocky Linux 9.3 (Blue Onyx))" in table and "6 packages in 2 layers" in table
    assert "hello-seawall" in table and "gofmt" in table and NESTED in table


def test_later_layers_remove_and_upgrade_language_packages(tmp_path: Path) -> None:
    """pip uninstall (a whiteout of the dist-info dir), an npm reinstall (an opaque
    node_modules) and a removed jar: gone from the SBOM; the new lodash is the top layer's."""
    require_fixtures()
    files = app_layer_files()
    files["app/app.jar"] = _fat_jar()
    lower = layer_tar(dict(files))
    upper = layer_tar(
        {
            "usr/lib/python3/dist-packages/.wh.six-1.16.0.dist-info": b"",
            "app/node_modules/.wh..wh..opq": b"",
            "app/node_modules/lodash/package.json": b'{"name": "lodash", "version": "4.17.21"}',
            "app/.wh.app.jar": b"",
        }
    )
    root = oci_layout(tmp_path / "l", [lower, upper], compression="gzip", tag="t")
    res = run_seawall("sbom", f"oci-layout:{root}:t", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [(p["name"], p["version"], p["layer"]) for p in doc["packages"]] == [
        ("lodash", "4.17.21", doc["layers"][1])
    ]


def test_a_binary_or_jar_replaced_by_a_script_or_symlink_is_gone(tmp_path: Path) -> None:
    """An upper layer that puts a small wrapper script over a Go binary and a symlink over a
    jar hides both: their packages are no longer in the image."""
    lower = io.BytesIO()
    with tarfile.open(fileobj=lower, mode="w") as tar:
        for name, data, mode in (
            ("usr/local/bin/tool", GOFMT.read_bytes(), 0o755),
            ("app/app.jar", _fat_jar(), 0o644),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    upper = io.BytesIO()
    with tarfile.open(fileobj=upper, mode="w") as tar:
        script = b'#!/bin/sh\nexec /opt/tool-2/bin/tool "$@"\n'
        info = tarfile.TarInfo("usr/local/bin/tool")
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))
        link = tarfile.TarInfo("app/app.jar")
        link.type, link.linkname = tarfile.SYMTYPE, "/opt/app-2.jar"
        tar.addfile(link)
    image = docker_archive(tmp_path / "a.tar", [lower.getvalue(), upper.getvalue()])
    only_lower = docker_archive(tmp_path / "b.tar", [lower.getvalue()])
    res = run_seawall("sbom", f"docker-archive:{only_lower}", "--format", "json")
    assert {p["type"] for p in json.loads(res.stdout)["packages"]} == {"golang", "maven"}
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["packages"] == []


def test_red_hat_rpms_get_the_redhat_purl_namespace(tmp_path: Path, rpmdb: bytes) -> None:
    os_release = b'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.3"\n'
    layer = layer_tar({"etc/os-release": os_release, "usr/lib/sysimage/rpm/rpmdb.sqlite": rpmdb})
    image = docker_archive(tmp_path / "ubi.tar", [layer])
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "json")
    assert res.returncode == 0, res.stderr
    (pkg,) = json.loads(res.stdout)["packages"]
    assert pkg["purl"].startswith("pkg:rpm/redhat/hello-seawall@1.2.3-4.el9?")
    assert "distro=rhel-9.3" in pkg["purl"] and pkg["ecosystem"] == "Red Hat"

"""Layer walking details, hostile input, the dir: source, OS identity and apk/distroless."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from images_build import docker_archive, dpkg_record, layer_tar, oci_layout

import seawall.images.layer as layer_mod
from seawall.errors import InputError
from seawall.images.scan import catalog_image, collect_files
from seawall.packages.catalogers.osrelease import ecosystem_for, read_os

ALPINE_OS = b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine v3.19"\n'
APK_DB = b"""C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
L:MIT
o:musl
T:the musl c library

P:libssl3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl

P:broken-entry
A:x86_64
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def test_alpine_image_with_origin_and_warning(tmp_path: Path) -> None:
    layer = layer_tar({"etc/os-release": ALPINE_OS, "lib/apk/db/installed": APK_DB})
    cat = catalog_image(f"oci-layout:{oci_layout(tmp_path / 'l', [layer], compression='zstd')}")
    assert cat.os is not None and cat.os.ecosystem == "Alpine:v3.19"
    by = {p.name: p for p in cat.packages}
    assert sorted(by) == ["libssl3", "musl"]
    assert by["libssl3"].source_name == "openssl"
    assert by["libssl3"].ecosystem == "Alpine:v3.19"
    assert by["libssl3"].purl == (
        "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"
    )
    assert by["musl"].licenses == ("MIT",)
    assert any("broken-entry" in w and "no V: version" in w for w in cat.warnings)


def test_distroless_status_d_and_os_release_symlink(tmp_path: Path) -> None:
    os_release = b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Distroless"\n'
    layer = layer_tar(
        {
            "usr/lib/os-release": os_release,
            "var/lib/dpkg/status.d/libc6": dpkg_record("libc6", "2.36-9", source="glibc").encode(),
            "var/lib/dpkg/status.d/libc6.md5sums": b"abc  /lib/x\n",
            "var/lib/dpkg/status.d/tzdata": dpkg_record("tzdata", "2024a-0", arch="all").encode(),
        },
        symlinks={"etc/os-release": "../usr/lib/os-release"},
    )
    cat = catalog_image(f"docker-archive:{docker_archive(tmp_path / 'd.tar', [layer])}")
    assert cat.os is not None and cat.os.ecosystem == "Debian:12"
    assert [(p.name, p.path) for p in cat.packages] == [
        ("libc6", "/var/lib/dpkg/status.d/libc6"),
        ("tzdata", "/var/lib/dpkg/status.d/tzdata"),
    ]


def test_dir_source_reads_a_root_filesystem(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "lib/apk/db").mkdir(parents=True)
    (root / "etc/os-release").write_bytes(ALPINE_OS)
    (root / "lib/apk/db/installed").write_bytes(APK_DB)
    # A symlink pointing out of the root is never followed.
    (root / "etc/alpine-release").symlink_to("/etc/hostname")
    cat = catalog_image(f"dir:{root}")
    assert cat.os is not None and cat.os.source == "/etc/os-release"
    assert [p.name for p in cat.packages] == ["libssl3", "musl"]
    assert all(p.layer == "" for p in cat.packages) and cat.layers == []
    files = collect_files(f"dir:{root}", lambda p, m, s: p.startswith("/etc/"))
    assert sorted(files) == ["/etc/os-release"]


def test_digest_mismatch_is_an_input_error(tmp_path: Path) -> None:
    layer = layer_tar({"etc/os-release": ALPINE_OS, "lib/apk/db/installed": APK_DB})
    root = oci_layout(tmp_path / "l", [layer], compression="none")
    blob = max((root / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(blob.read_bytes())
    data[600] ^= 0x01  # inside the first member's data: still a readable tar
    blob.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"layer 0 \(sha256:.*does not match its digest"):
        catalog_image(f"oci-layout:{root}", use_cache=False)


def test_decompression_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layer = layer_tar({"zeros": b"\0" * (4 * 1024 * 1024)})
    root = oci_layout(tmp_path / "l", [layer], compression="gzip")
    monkeypatch.setattr(layer_mod, "RATIO_ALLOWANCE", 1024 * 1024)
    with pytest.raises(InputError, match="decompression bomb"):
        catalog_image(f"oci-layout:{root}", use_cache=False)


def test_long_names_pax_and_hard_links(tmp_path: Path) -> None:
    deep = "opt/" + "/".join(["d" * 40] * 5) + "/etc/os-release"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = b"ID=debian\nVERSION_ID=12\n"
        info = tarfile.TarInfo(deep)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("etc/os-release")
        link.type = tarfile.LNKTYPE
        link.linkname = deep
        tar.addfile(link)
        escape = tarfile.TarInfo("../../etc/debian_version")
        escape.size = 3
        tar.addfile(escape, io.BytesIO(b"12\n"))
    image = docker_archive(tmp_path / "a.tar", [buf.getvalue()])
    files = collect_files(f"docker-archive:{image}", lambda p, m, s: p.endswith("os-release"))
    assert files == {"/" + deep: data, "/etc/os-release": data}
    # `..` cannot climb out of the image: the member lands at /etc/debian_version
    files = collect_files(f"docker-archive:{image}", lambda p, m, s: "debian_version" in p)
    assert files == {"/etc/debian_version": b"12\n"}


def test_corrupt_header_names_the_layer(tmp_path: Path) -> None:
    raw = bytearray(layer_tar({"a": b"x" * 100, "b": b"y"}))
    raw[1024 + 10] ^= 0xFF  # the second member's header
    image = docker_archive(tmp_path / "a.tar", [bytes(raw)])
    with pytest.raises(InputError, match=r"layer 0 .*corrupt tar header"):
        catalog_image(f"docker-archive:{image}", use_cache=False)


@pytest.mark.parametrize(
    ("path", "text", "ecosystem"),
    [
        ("/etc/os-release", b'ID=ubuntu\nVERSION_ID="22.04"\n', "Ubuntu:22.04:LTS"),
        ("/etc/os-release", b'ID=ubuntu\nVERSION_ID="23.10"\n', "Ubuntu:23.10"),
        ("/etc/os-release", b'ID="rocky"\nVERSION_ID="9.3"\n', "Rocky Linux:9"),
        ("/etc/os-release", b'ID="almalinux"\nVERSION_ID="8.9"\n', "AlmaLinux:8"),
        ("/etc/os-release", b'ID="rhel"\nVERSION_ID="9.2"\n', "Red Hat"),
        ("/etc/alpine-release", b"3.18.4\n", "Alpine:v3.18"),
        ("/etc/debian_version", b"11.8\n", "Debian:11"),
        ("/etc/redhat-release", b"Rocky Linux release 8.9 (Green Obsidian)\n", "Rocky Linux:8"),
        ("/etc/redhat-release", b"Red Hat Enterprise Linux release 9.2 (Plow)\n", "Red Hat"),
    ],
)
def test_os_identity_gives_the_osv_ecosystem(path: str, text: bytes, ecosystem: str) -> None:
    found = read_os(path, text)
    assert found is not None and found.ecosystem == ecosystem
    assert ecosystem_for("debian", "12") == "Debian:12"


def test_unsupported_compression_is_named(tmp_path: Path) -> None:
    import bz2

    layer = bz2.compress(layer_tar({"etc/os-release": ALPINE_OS}))
    image = docker_archive(tmp_path / "a.tar", [layer])
    with pytest.raises(InputError, match=r"layer 0 .*unsupported layer compression \(bzip2\)"):
        catalog_image(f"docker-archive:{image}", use_cache=False)

"""Reading the three archive formats: layers, whiteouts, layer attribution, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from images_build import (
    DEBIAN_OS_RELEASE,
    docker_archive,
    dpkg_record,
    dpkg_status,
    layer_tar,
    oci_archive,
    oci_layout,
)

from seawall.errors import InputError
from seawall.images.scan import catalog_image, collect_files

STATUS = "var/lib/dpkg/status"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def _two_layers() -> list[bytes]:
    base = layer_tar(
        {
            "etc/os-release": DEBIAN_OS_RELEASE,
            STATUS: dpkg_status(
                dpkg_record("base-files", "12.4+deb12u5"),
                dpkg_record("libc6", "2.36-9+deb12u4", source="glibc"),
            ),
            "opt/old/config": b"old",
        }
    )
    app = layer_tar(
        {
            STATUS: dpkg_status(
                dpkg_record("base-files", "12.4+deb12u5"),
                dpkg_record("libc6", "2.36-9+deb12u4", source="glibc"),
                dpkg_record("curl", "7.88.1-10+deb12u5"),
            ),
            "opt/.wh.old": b"",
        }
    )
    return [base, app]


@pytest.mark.parametrize("kind", ["docker-archive", "oci-layout", "oci-archive"])
@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_each_format_and_compression_is_catalogued(
    tmp_path: Path, kind: str, compression: str
) -> None:
    layers = _two_layers()
    if kind == "docker-archive":
        archive = docker_archive(tmp_path / "a.tar", layers, compression=compression)
        ref = f"docker-archive:{archive}"
    elif kind == "oci-layout":
        ref = f"oci-layout:{oci_layout(tmp_path / 'l', layers, compression=compression)}:1.0"
    else:
        ref = f"oci-archive:{oci_archive(tmp_path / 'o.tar', layers, compression=compression)}"
    cat = catalog_image(ref)
    assert cat.os is not None and cat.os.ecosystem == "Debian:12"
    by_name = {p.name: p for p in cat.packages}
    assert sorted(by_name) == ["base-files", "curl", "libc6"]
    assert len(cat.layers) == 2
    # attribution: curl arrived with the second layer, libc6 with the first
    assert by_name["curl"].layer == cat.layers[1]
    assert by_name["libc6"].layer == cat.layers[0]
    assert by_name["libc6"].source_name == "glibc"
    assert by_name["curl"].purl == (
        "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
    )
    assert by_name["curl"].ecosystem == "Debian:12"


def test_whiteouts_remove_files_and_packages(tmp_path: Path) -> None:
    layers = [*_two_layers(), layer_tar({"var/lib/dpkg/.wh.status": b""})]
    ref = f"docker-archive:{docker_archive(tmp_path / 'a.tar', layers)}"
    assert catalog_image(ref).packages == []
    files = collect_files(ref, lambda p, m, s: p.startswith(("/opt/", "/etc/")))
    assert sorted(files) == ["/etc/os-release"]


def test_opaque_directory_hides_lower_layers(tmp_path: Path) -> None:
    layers = [*_two_layers(), layer_tar({"var/lib/dpkg/.wh..wh..opq": b"", "var/lib/dpkg/x": b""})]
    ref = f"oci-layout:{oci_layout(tmp_path / 'l', layers)}"
    assert catalog_image(ref).packages == []


def test_missing_manifest_names_the_image(tmp_path: Path) -> None:
    import tarfile

    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w"):
        pass
    with pytest.raises(InputError, match=r"docker-archive:.*bad.tar.*no manifest.json"):
        catalog_image(f"docker-archive:{bad}")


def test_truncated_layer_names_image_and_layer(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "l", _two_layers(), compression="none")
    blobs = sorted((root / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    biggest = blobs[-1]
    biggest.write_bytes(biggest.read_bytes()[:-40])
    with pytest.raises(InputError, match=r"oci-layout:.*layer \d \(sha256:[0-9a-f]{64}\)"):
        catalog_image(f"oci-layout:{root}", use_cache=False)


def test_missing_archive_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        catalog_image(f"docker-archive:{tmp_path / 'nope.tar'}")


def test_docker_archive_tag_selects_the_image(tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "a.tar", _two_layers(), tag="test/app:1.0")
    assert len(catalog_image(f"docker-archive:{archive}:1.0").packages) == 3
    with pytest.raises(InputError, match=r"no image tagged '2\.0'"):
        catalog_image(f"docker-archive:{archive}:2.0")


def test_oci_archive_without_index_is_an_input_error(tmp_path: Path) -> None:
    import tarfile

    bad = tmp_path / "bad-oci.tar"
    with tarfile.open(bad, "w") as tar:
        tar.add(__file__, arcname="oci-layout")
    with pytest.raises(InputError, match=r"oci-archive:.*bad-oci.tar: not an OCI layout"):
        catalog_image(f"oci-archive:{bad}")


def test_a_symlink_over_the_status_file_hides_it(tmp_path: Path) -> None:
    layers = [*_two_layers(), layer_tar({}, symlinks={STATUS: "/dev/null"})]
    ref = f"oci-layout:{oci_layout(tmp_path / 'l', layers)}"
    cat = catalog_image(ref)
    assert cat.packages == []
    assert cat.os is not None  # /etc/os-release is untouched
    files = collect_files(ref, lambda p, m, s: p.startswith("/var/lib/dpkg/"))
    assert files == {}

"""A real Debian bookworm image (debootstrap minbase) plus a real wheel and npm tarball."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from images_real import ROOTFS, app_layer_files, layer_from_files, require_fixtures, rootfs_layer

from seawall.images.scan import ImageCatalog, catalog_image, collect_files
from seawall.packages.catalogers import all_catalogers


def _docker_archive_from_tars(out: Path, layer_paths: list[Path]) -> Path:
    """A `docker save` archive whose layer tars are the given files (streamed, not loaded)."""
    diff_ids = []
    for path in layer_paths:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        diff_ids.append("sha256:" + digest.hexdigest())
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    import io

    with tarfile.open(out, "w") as tar:
        names = []
        for path, diff in zip(layer_paths, diff_ids, strict=True):
            name = f"{diff.split(':')[1]}/layer.tar"
            tar.add(path, arcname=name)
            names.append(name)
        for name, data in (
            (config_name, config),
            (
                "manifest.json",
                json.dumps(
                    [{"Config": config_name, "RepoTags": ["real/debian:12"], "Layers": names}]
                ).encode(),
            ),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture(scope="module")
def real_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ImageCatalog]]:
    require_fixtures()
    work = tmp_path_factory.mktemp("real")
    base = rootfs_layer(work / "rootfs.tar")
    app = work / "app.tar"
    app.write_bytes(layer_from_files(app_layer_files()))
    archive = _docker_archive_from_tars(work / "image.tar", [base, app])
    base.unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEAWALL_CACHE_DIR", str(work / "cache"))
        yield archive, catalog_image(f"docker-archive:{archive}")


def _dpkg_query() -> set[tuple[str, str, str]]:
    out = subprocess.run(
        [
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${db:Status-Status}\n",
            f"--admindir={ROOTFS}/var/lib/dpkg",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines() if line]
    return {(r[0], r[1], r[2]) for r in rows if r[3] == "installed"}


def test_package_list_equals_dpkg_query(real_image: tuple[Path, ImageCatalog]) -> None:
    _, cat = real_image
    ours = {(p.name, p.version, p.arch or "") for p in cat.packages if p.type == "deb"}
    expected = _dpkg_query()
    assert len(expected) > 80  # a minbase bookworm has ~90 packages
    assert ours == expected
    assert cat.os is not None and cat.os.ecosystem == "Debian:12"
    assert cat.os.version_codename == "bookworm"
    assert not [w for w in cat.warnings if "dpkg" in w]
    debs = [p for p in cat.packages if p.type == "deb"]
    assert {p.layer for p in debs} == {cat.layers[0]}
    libc = next(p for p in debs if p.name == "libc6")
    assert libc.source_name == "glibc"
    assert libc.purl.startswith("pkg:deb/debian/libc6@") and "distro=debian-12" in libc.purl


def test_app_layer_files_reach_the_catalogers(real_image: tuple[Path, ImageCatalog]) -> None:
    archive, cat = real_image
    wheel_meta = app_layer_files()["usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"]
    files = collect_files(
        f"docker-archive:{archive}",
        lambda p, m, s: p.endswith(("dist-info/METADATA", "node_modules/lodash/package.json")),
    )
    assert files["/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"] == wheel_meta
    assert b'"version": "4.17.20"' in files["/app/node_modules/lodash/package.json"]
    names = {c.name for c in all_catalogers()}
    found = {(p.type, p.name, p.version): p for p in cat.packages}
    # The language catalogers live on the `catalogers` branch; once merged, the real wheel
    # and npm tarball must show up, attributed to the second layer.
    if "python" in names:
        assert found[("pypi", "six", "1.16.0")].layer == cat.layers[1]
    if "npm" in names:
        assert found[("npm", "lodash", "4.17.20")].layer == cat.layers[1]


def test_rescan_uses_the_layer_cache(
    real_image: tuple[Path, ImageCatalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    import seawall.images.scan as scan

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached layer was walked again")

    archive, first = real_image
    monkeypatch.setattr(scan, "walk_layer", no_walk)
    again = catalog_image(f"docker-archive:{archive}")
    assert again.packages == first.packages
    assert again.os == first.os


def test_dir_source_on_the_real_rootfs_matches_dpkg_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_fixtures()
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))
    cat = catalog_image(f"dir:{ROOTFS}")
    assert {(p.name, p.version, p.arch or "") for p in cat.packages if p.type == "deb"} == (
        _dpkg_query()
    )
    # bookworm's /etc/os-release is a symlink into /usr/lib: read there, never followed
    assert cat.os is not None and cat.os.source == "/usr/lib/os-release"
    assert cat.os.ecosystem == "Debian:12"

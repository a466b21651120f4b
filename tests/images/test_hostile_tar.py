"""Hostile layers: nothing escapes the image, nothing outside it is read, sizes are bounded."""

from __future__ import annotations

import gzip
import io
import resource
import tarfile
from pathlib import Path

import pytest
from images_build import DEBIAN_OS_RELEASE, docker_archive, dpkg_record, dpkg_status, oci_layout

import seawall.images.layer as layer_mod
from seawall.errors import InputError
from seawall.images.scan import catalog_image, collect_files

STATUS = "var/lib/dpkg/status"
HOST_STATUS = dpkg_status(dpkg_record("host-secret", "6.6.6"))


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def _tar(entries: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for item in entries:
            if isinstance(item, tuple):
                info, data = item
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(item)
    return buf.getvalue()


def _file(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def _link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def _names(tmp_path: Path, layers: list[bytes]) -> list[str]:
    image = docker_archive(tmp_path / "a.tar", layers)
    return sorted(p.name for p in catalog_image(f"docker-archive:{image}").packages)


def test_dotdot_and_absolute_members_stay_inside_the_image(tmp_path: Path) -> None:
    victim = tmp_path / "outside"
    victim.mkdir()
    layer = _tar(
        [
            _file("../../../../etc/os-release", DEBIAN_OS_RELEASE),
            _file("/" + STATUS, dpkg_status(dpkg_record("curl", "1.0"))),
            _file(f"../../../..{victim}/planted", b"x"),
        ]
    )
    before = sorted(tmp_path.rglob("*"))
    image = docker_archive(tmp_path / "a.tar", [layer])
    cat = catalog_image(f"docker-archive:{image}")
    assert [p.name for p in cat.packages] == ["curl"]
    assert cat.packages[0].path == "/var/lib/dpkg/status"
    assert cat.os is not None and cat.os.source == "/etc/os-release"
    assert list(victim.iterdir()) == []  # nothing is ever extracted
    after = {p for p in tmp_path.rglob("*") if "cache" not in p.parts}
    assert after == set(before) | {image}


def test_symlinks_pointing_outside_are_never_followed(tmp_path: Path) -> None:
    host = tmp_path / "host-status"
    host.write_bytes(HOST_STATUS)
    layer = _tar(
        [
            _link(STATUS, str(host)),
            _link("var/lib/dpkg/status.d/evil", f"../../../../../..{host}"),
            _link("etc/os-release", "/etc/os-release"),  # the host's own file
        ]
    )
    image = docker_archive(tmp_path / "a.tar", [layer])
    cat = catalog_image(f"docker-archive:{image}")
    assert cat.packages == [] and cat.os is None
    # the same on a dir: root filesystem with real symlinks on disk
    root = tmp_path / "rootfs"
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / STATUS).symlink_to(host)
    (root / "etc/os-release").symlink_to("/etc/os-release")
    cat = catalog_image(f"dir:{root}")
    assert cat.packages == [] and cat.os is None


def test_hard_link_tricks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    status = dpkg_status(dpkg_record("curl", "1.0"))
    # a hard link to a path outside the image, or to nothing earlier, reads nothing
    layer = _tar(
        [
            _link(STATUS, "../../../../etc/passwd", hard=True),
            _link("var/lib/dpkg/status.d/x", "var/lib/dpkg/status.d/later", hard=True),
            _file("var/lib/dpkg/status.d/later", status),
        ]
    )
    assert _names(tmp_path, [layer]) == ["curl"]  # only the real file
    # a hard link to a wanted file is catalogued at its own path, even when the walker
    # did not keep the target's bytes (over its keep budget)
    monkeypatch.setattr(layer_mod, "KEEP_BUDGET", 0)
    layer = _tar(
        [
            _file("var/lib/dpkg/status.d/a", status),
            _link(STATUS, "/var/lib/dpkg/status.d/a", hard=True),
        ]
    )
    image = docker_archive(tmp_path / "b.tar", [layer])
    paths = sorted(p.path for p in catalog_image(f"docker-archive:{image}").packages)
    assert paths == ["/var/lib/dpkg/status", "/var/lib/dpkg/status.d/a"]


def test_huge_declared_sizes_are_bounded(tmp_path: Path) -> None:
    # A header claiming a 1 TiB status file (GNU base-256 size) with 1 KiB behind it: the
    # dpkg cataloger's limit refuses it and the walk ends at the truncated member.
    info = tarfile.TarInfo(STATUS)
    info.size = 1 << 40
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    layer = bytes(header) + b"Package: x\n" * 100
    image = docker_archive(tmp_path / "a.tar", [layer + b"\0" * (-len(layer) % 512)])
    with pytest.raises(InputError, match=r"layer 0 .*truncated"):
        catalog_image(f"docker-archive:{image}")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024  # KiB: < 1 GiB


def test_gzip_bomb_is_refused_at_the_ratio_cap(tmp_path: Path) -> None:
    # ~1 MiB of gzip (concatenated gzip members, as gzip allows) that would expand to 1 GiB
    # of zeros inside one unwanted member: refused at the default cap (200x past 256 MiB).
    info = tarfile.TarInfo("opt/zeros")
    info.size = 1 << 30
    zeros = gzip.compress(b"\0" * (64 << 20), compresslevel=9, mtime=0)
    stored = gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT), mtime=0) + zeros * 16
    assert len(stored) < 2 * 1024 * 1024
    root = oci_layout(tmp_path / "l", [stored], compression="none")  # already gzip bytes
    with pytest.raises(InputError, match=r"layer 0 .*decompression bomb"):
        catalog_image(f"oci-layout:{root}")


def test_zstd_bomb_is_refused_at_the_ratio_cap(tmp_path: Path) -> None:
    import zstandard

    info = tarfile.TarInfo("opt/zeros")
    info.size = 1 << 30
    comp = zstandard.ZstdCompressor(level=1).compressobj()
    parts = [comp.compress(info.tobuf(format=tarfile.GNU_FORMAT))]
    chunk = b"\0" * (4 << 20)
    parts += [comp.compress(chunk) for _ in range(256)]
    stored = b"".join(parts) + comp.flush()
    assert len(stored) < 1024 * 1024
    root = oci_layout(tmp_path / "l", [stored], compression="none")  # already zstd bytes
    with pytest.raises(InputError, match=r"layer 0 .*decompression bomb"):
        catalog_image(f"oci-layout:{root}")


def test_negative_pax_size_is_a_corrupt_layer(tmp_path: Path) -> None:
    info = tarfile.TarInfo(STATUS)
    info.pax_headers = {"size": "-4096"}
    layer = info.tobuf(format=tarfile.PAX_FORMAT) + b"\0" * 1024
    image = docker_archive(tmp_path / "a.tar", [layer])
    with pytest.raises(InputError, match=r"layer 0 .*negative member size"):
        catalog_image(f"docker-archive:{image}")


def test_a_status_file_hard_linked_from_an_unread_path_is_still_catalogued(
    tmp_path: Path,
) -> None:
    """Extraction gives /var/lib/dpkg/status the bytes of /tmp/x: the packages are there."""
    status = dpkg_status(dpkg_record("hidden", "1.0"), dpkg_record("also-hidden", "2.0"))
    layer = _tar(
        [
            _file("tmp/x", status),
            _link(STATUS, "tmp/x", hard=True),
            _link("var/lib/dpkg/status.d/y", "tmp/nothing-before", hard=True),
            _file("tmp/nothing-before", status),
        ]
    )
    image = docker_archive(tmp_path / "a.tar", [layer])
    cat = catalog_image(f"docker-archive:{image}")
    assert [(p.name, p.path) for p in cat.packages] == [
        ("also-hidden", "/" + STATUS),
        ("hidden", "/" + STATUS),
    ]
    files = collect_files(f"docker-archive:{image}", lambda p, m, s: p == "/" + STATUS)
    assert files == {"/" + STATUS: status}


def test_a_path_written_twice_in_one_layer_is_what_extraction_leaves(tmp_path: Path) -> None:
    """Last entry wins: a status file later replaced in the same layer by a symlink or by
    another file is gone (and hides the lower layer's); one re-added after a symlink stays."""
    old = dpkg_status(dpkg_record("lower", "1.0"))
    first = dpkg_status(dpkg_record("first", "1.0"))
    again = dpkg_status(dpkg_record("again", "1.0"))
    lower = _tar([_file(STATUS, old), _file("var/lib/dpkg/status.d/a", old)])
    upper = _tar(
        [
            _file(STATUS, first),
            _link(STATUS, "/dev/null"),
            _file("var/lib/dpkg/status.d/a", first),
            _file("var/lib/dpkg/status.d/a", b"not a status file\n" * 10, mode=0o600),
            _link("var/lib/dpkg/status.d/b", "/dev/null"),
            _file("var/lib/dpkg/status.d/b", again),
        ]
    )
    assert _names(tmp_path, [lower, upper]) == ["again"]

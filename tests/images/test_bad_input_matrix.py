"""Bad input through the real CLI: one line naming the image and the layer or file, exit 2,
and the `--output` file never written; a malformed package record is only a warning."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from images_build import (
    DEBIAN_OS_RELEASE,
    docker_archive,
    dpkg_record,
    dpkg_status,
    layer_tar,
    oci_layout,
)
from seawall_testlib import run_seawall

STATUS = "var/lib/dpkg/status"
LAYER = layer_tar(
    {
        "etc/os-release": DEBIAN_OS_RELEASE,
        STATUS: dpkg_status(dpkg_record("curl", "7.88.1-10+deb12u5")),
        "usr/share/doc/curl/copyright": b"x" * 20_000,
    }
)
DIFF_ID = "sha256:" + hashlib.sha256(LAYER).hexdigest()


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))


def _stored_docker_archive(path: Path, stored: bytes) -> Path:
    """A docker-archive whose one layer.tar holds exactly `stored` (maybe damaged)."""
    config = json.dumps(
        {
            "os": "linux",
            "architecture": "amd64",
            "rootfs": {"type": "layers", "diff_ids": [DIFF_ID]},
        }
    ).encode()
    cname = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": cname, "RepoTags": ["t:1"], "Layers": ["l/layer.tar"]}])
    with tarfile.open(path, "w") as tar:
        for name, data in (
            ("l/layer.tar", stored),
            (cname, config),
            ("manifest.json", manifest.encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _oci_layer_blob(root: Path) -> Path:
    index = json.loads((root / "index.json").read_text())
    mdigest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((root / "blobs" / "sha256" / mdigest).read_text())
    return root / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0xFF
    data[i + 1] ^= 0xFF
    path.write_bytes(bytes(data))


def _gz() -> bytes:
    return gzip.compress(LAYER, mtime=0)


def truncated_gzip_docker(tmp: Path) -> tuple[str, list[str]]:
    image = _stored_docker_archive(tmp / "t.tar", _gz()[:-100])
    return f"docker-archive:{image}", ["t.tar", "layer 0", DIFF_ID, "truncated"]


def corrupt_gzip_docker(tmp: Path) -> tuple[str, list[str]]:
    data = bytearray(_gz())
    data[len(data) // 2] ^= 0xFF
    image = _stored_docker_archive(tmp / "c.tar", bytes(data))
    return f"docker-archive:{image}", ["c.tar", "layer 0", DIFF_ID, "corrupt"]


def invalid_deflate_docker(tmp: Path) -> tuple[str, list[str]]:
    # a fixed-Huffman block whose first symbol copies from before the start of the stream
    gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + bytes.fromhex("030200") + b"\0" * 8
    image = _stored_docker_archive(tmp / "z.tar", gz)
    return f"docker-archive:{image}", ["z.tar", "layer 0", DIFF_ID, "corrupt"]


def truncated_plain_docker(tmp: Path) -> tuple[str, list[str]]:
    image = _stored_docker_archive(tmp / "p.tar", LAYER[:1536])
    return f"docker-archive:{image}", ["p.tar", "layer 0", DIFF_ID, "truncated"]


def truncated_oci_blob(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER], compression="zstd")
    blob = _oci_layer_blob(root)
    blob.write_bytes(blob.read_bytes()[:-20])
    return f"oci-layout:{root}", ["lay", "layer 0", blob.name, "truncated"]


def corrupt_zstd_blob(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER], compression="zstd")
    blob = _oci_layer_blob(root)
    _flip(blob)
    return f"oci-layout:{root}", ["lay", "layer 0", DIFF_ID]


def digest_mismatch_same_size(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER], compression="none")
    blob = _oci_layer_blob(root)
    _flip(blob, at=0.9)  # inside file data: still a readable tar, but not the layer named
    return f"oci-layout:{root}", ["lay", "layer 0", blob.name, "does not match its digest"]


def missing_layer_blob(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER])
    blob = _oci_layer_blob(root)
    blob.unlink()
    return f"oci-layout:{root}", ["lay", blob.name, "missing"]


def no_manifest(tmp: Path) -> tuple[str, list[str]]:
    with tarfile.open(tmp / "n.tar", "w") as tar:
        info = tarfile.TarInfo("repositories")
        tar.addfile(info, io.BytesIO(b""))
    return f"docker-archive:{tmp / 'n.tar'}", ["n.tar", "no manifest.json"]


def oci_archive_without_index(tmp: Path) -> tuple[str, list[str]]:
    with tarfile.open(tmp / "o.tar", "w") as tar:
        info = tarfile.TarInfo("oci-layout")
        tar.addfile(info, io.BytesIO(b""))
    return f"oci-archive:{tmp / 'o.tar'}", ["o.tar", "no index.json"]


def not_a_tar(tmp: Path) -> tuple[str, list[str]]:
    (tmp / "g.tar").write_bytes(b"\x89PNG" + bytes(range(256)) * 20)
    return f"docker-archive:{tmp / 'g.tar'}", ["g.tar", "not a readable tar archive"]


def missing_file(tmp: Path) -> tuple[str, list[str]]:
    return f"oci-archive:{tmp / 'gone.tar'}", ["gone.tar", "no such file"]


def missing_dir(tmp: Path) -> tuple[str, list[str]]:
    return f"dir:{tmp / 'nowhere'}", ["nowhere", "no such directory"]


def unknown_transport(tmp: Path) -> tuple[str, list[str]]:
    return "docker-daemon:alpine:3.19", ["docker-daemon", "unknown transport"]


def tag_not_in_layout(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER], tag="1.0")
    return f"oci-layout:{root}:2.0", ["lay", "no manifest tagged '2.0'"]


def tag_not_in_docker_archive(tmp: Path) -> tuple[str, list[str]]:
    image = docker_archive(tmp / "d.tar", [LAYER], tag="app:1.0")
    return f"docker-archive:{image}:9.9", ["d.tar", "no image tagged '9.9'"]


def digest_not_in_layout(tmp: Path) -> tuple[str, list[str]]:
    root = oci_layout(tmp / "lay", [LAYER])
    missing = "sha256:" + "ab" * 32
    return f"oci-layout:{root}@{missing}", ["lay", f"no manifest or index with digest {missing}"]


def json_recursion_bomb(tmp: Path) -> tuple[str, list[str]]:
    root = tmp / "lay"
    root.mkdir()
    (root / "index.json").write_text("[" * 100_000 + "]" * 100_000)
    return f"oci-layout:{root}", ["lay", "index.json is not valid JSON"]


def manifest_recursion_bomb(tmp: Path) -> tuple[str, list[str]]:
    blob = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    with tarfile.open(tmp / "m.tar", "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    return f"docker-archive:{tmp / 'm.tar'}", ["m.tar", "manifest.json is not valid JSON"]


CASES: list[Callable[[Path], tuple[str, list[str]]]] = [
    json_recursion_bomb,
    manifest_recursion_bomb,
    truncated_gzip_docker,
    corrupt_gzip_docker,
    invalid_deflate_docker,
    truncated_plain_docker,
    truncated_oci_blob,
    corrupt_zstd_blob,
    digest_mismatch_same_size,
    missing_layer_blob,
    no_manifest,
    oci_archive_without_index,
    not_a_tar,
    missing_file,
    missing_dir,
    unknown_transport,
    tag_not_in_layout,
    tag_not_in_docker_archive,
    digest_not_in_layout,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, case: Callable[[Path], tuple[str, list[str]]]
) -> None:
    ref, expected = case(tmp_path)
    out = tmp_path / "out" / "sbom.cdx.json"
    out.parent.mkdir()
    res = run_seawall("sbom", ref, "--format", "cyclonedx", "--output", str(out))
    err = res.stderr.decode().strip()
    assert res.returncode == 2, err
    assert len(err.splitlines()) == 1, err
    for fragment in expected:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err
    assert list(out.parent.iterdir()) == []  # no output, no temporary left behind


def test_a_cached_layer_that_was_damaged_since_is_still_an_error(tmp_path: Path) -> None:
    """The layer cache is keyed by digest; a hit is used only if the blob still hashes to it."""
    root = oci_layout(tmp_path / "lay", [LAYER], compression="gzip")
    first = run_seawall("sbom", f"oci-layout:{root}", "--format", "json")
    assert first.returncode == 0 and b'"curl"' in first.stdout
    blob = _oci_layer_blob(root)
    _flip(blob)  # same size, different bytes
    res = run_seawall("sbom", f"oci-layout:{root}", "--format", "json")
    assert res.returncode == 2
    assert "layer 0" in res.stderr.decode() and "does not match its digest" in res.stderr.decode()
    blob.write_bytes(blob.read_bytes()[:-10])  # truncated: caught from the manifest's size
    res = run_seawall("sbom", f"oci-layout:{root}", "--format", "json")
    assert res.returncode == 2 and "truncated" in res.stderr.decode()


def test_digest_selects_a_platform_manifest_inside_a_nested_index(tmp_path: Path) -> None:
    def layer(arch: str) -> bytes:
        return layer_tar(
            {
                "etc/os-release": DEBIAN_OS_RELEASE,
                STATUS: dpkg_status(dpkg_record(f"only-{arch}", "1.0", arch=arch)),
            }
        )

    root = oci_layout(
        tmp_path / "multi", [], platforms={"amd64": [layer("amd64")], "arm64": [layer("arm64")]}
    )
    index = json.loads((root / "index.json").read_text())
    nested = json.loads(
        (root / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
    )
    arm = next(m for m in nested["manifests"] if m["platform"]["architecture"] == "arm64")
    res = run_seawall("sbom", f"oci-layout:{root}@{arm['digest']}", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [p["name"] for p in doc["packages"]] == ["only-arm64"]
    assert doc["digest"] == arm["digest"]


def test_malformed_records_of_every_kind_are_warnings(tmp_path: Path) -> None:
    """Broken dpkg, Python, npm and jar records: each a warning; the good ones catalogued."""
    layer = layer_tar(
        {
            "etc/os-release": DEBIAN_OS_RELEASE,
            STATUS: dpkg_status(
                dpkg_record("good", "1.0-1"),
                "Package: broken\nStatus: install ok installed\nArchitecture: amd64\n",
            ),
            "usr/lib/python3/dist-packages/ok-1.0.dist-info/METADATA": (
                b"Metadata-Version: 2.1\nName: ok\nVersion: 1.0\n"
            ),
            "usr/lib/python3/dist-packages/bad-1.0.dist-info/METADATA": b"Name: bad\n",
            "app/node_modules/fine/package.json": b'{"name": "fine", "version": "2.0.0"}',
            "app/node_modules/wrong/package.json": b'{"name": "wrong", "version": ',
            "app/lib/broken.jar": b"PK\x03\x04 this is not a zip archive at all......",
        }
    )
    out = tmp_path / "sbom.json"
    image = docker_archive(tmp_path / "a.tar", [layer])
    res = run_seawall("sbom", f"docker-archive:{image}", "--format", "json", "-o", str(out))
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    assert sorted(p["name"] for p in doc["packages"]) == ["fine", "good", "ok"]
    err = res.stderr.decode()
    for where in ("broken", "bad-1.0.dist-info/METADATA", "wrong/package.json", "broken.jar"):
        assert where in err, where
        assert any(where in w for w in doc["warnings"]), where


def test_collect_files_verifies_layer_digests(tmp_path: Path) -> None:
    from seawall.errors import InputError
    from seawall.images.scan import collect_files

    root = oci_layout(tmp_path / "lay", [LAYER], compression="none")
    ref = f"oci-layout:{root}"
    assert b"curl" in collect_files(ref, lambda p, m, s: p == "/" + STATUS)["/" + STATUS]
    _flip(_oci_layer_blob(root), at=0.9)
    with pytest.raises(InputError, match=r"layer 0 .*does not match its digest"):
        collect_files(ref, lambda p, m, s: p == "/" + STATUS)


def _two_image_archive(tmp: Path) -> Path:
    """`docker save app:1.0 tools/debug:2.0`: two manifest entries in one archive."""
    merged: list[object] = []
    out = tmp / "two.tar"
    with tarfile.open(out, "w") as dest:
        for name, pkg in (("app:1.0", "curl"), ("tools/debug:2.0", "strace")):
            layer = layer_tar({STATUS: dpkg_status(dpkg_record(pkg, "1.0"))})
            one = docker_archive(tmp / f"{pkg}.tar", [layer], tag=name)
            with tarfile.open(one) as src:
                for info in src.getmembers():
                    data = src.extractfile(info)
                    assert data is not None
                    if info.name == "manifest.json":
                        merged += json.loads(data.read())
                    else:
                        dest.addfile(info, data)
        blob = json.dumps(merged).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(blob)
        dest.addfile(info, io.BytesIO(blob))
    return out


def test_an_archive_of_several_images_needs_a_tag(tmp_path: Path) -> None:
    archive = _two_image_archive(tmp_path)
    res = run_seawall("sbom", f"docker-archive:{archive}")
    assert res.returncode == 2
    err = res.stderr.decode()
    assert "2 images in the archive" in err and "app:1.0, tools/debug:2.0" in err
    for ref, pkg in (
        (f"docker-archive:{archive}:2.0", "strace"),
        (f"docker-archive:{archive}:tools/debug:2.0", "strace"),  # skopeo's spelling
        (f"docker-archive:{archive}:app:1.0", "curl"),
    ):
        res = run_seawall("sbom", ref, "--format", "json")
        assert res.returncode == 0, res.stderr
        assert [p["name"] for p in json.loads(res.stdout)["packages"]] == [pkg]
    res = run_seawall("sbom", f"docker-archive:{archive}:app:9")
    assert res.returncode == 2 and "no image tagged 'app:9' (tags: app:1.0" in res.stderr.decode()

"""Builds small real images in the three archive formats from in-memory layers.

A layer is a dict path -> bytes (a regular file), or -> None for a directory; whiteouts
are ordinary entries named `.wh.NAME` / `.wh..wh..opq`. Formats follow the Docker
`docker save` layout (manifest.json + config + layer tars) and the OCI image layout spec.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path

import zstandard

LayerFiles = Mapping[str, bytes | None]


def layer_tar(files: LayerFiles, *, symlinks: Mapping[str, str] | None = None) -> bytes:
    """An uncompressed layer tar (GNU format) holding `files`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.mtime = 1_700_000_000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def compress(raw: bytes, kind: str) -> bytes:
    if kind == "gzip":
        return gzip.compress(raw, compresslevel=1, mtime=0)
    if kind == "zstd":
        return zstandard.ZstdCompressor(level=1).compress(raw)
    return raw


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _config(diff_ids: list[str], arch: str = "amd64") -> bytes:
    return json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(0)),
            "config": {"Env": ["PATH=/usr/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def docker_archive(
    path: Path, layers: list[bytes], *, tag: str = "test/app:1.0", compression: str = "none"
) -> Path:
    """A `docker save` archive (legacy layout: <id>/layer.tar) of the given layer tars."""
    diff_ids = [_sha(raw) for raw in layers]
    config = _config(diff_ids)
    config_name = _sha(config).split(":")[1] + ".json"
    names = []
    with tarfile.open(path, "w") as tar:
        for raw in layers:
            lid = hashlib.sha256(raw).hexdigest()
            name = f"{lid}/layer.tar"
            _add(tar, name, compress(raw, compression))
            names.append(name)
        _add(tar, config_name, config)
        manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": names}]
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    return path


def _write_blob(root: Path, data: bytes) -> str:
    digest = _sha(data)
    blob = root / "blobs" / "sha256" / digest.split(":")[1]
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    return digest


def _oci_manifest(
    root: Path, layers: list[bytes], compression: str, arch: str
) -> dict[str, object]:
    media = {
        "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
        "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
        "none": "application/vnd.oci.image.layer.v1.tar",
    }[compression]
    descs = []
    for raw in layers:
        stored = compress(raw, compression)
        descs.append({"mediaType": media, "digest": _write_blob(root, stored), "size": len(stored)})
    config = _config([_sha(raw) for raw in layers], arch)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _write_blob(root, config),
                "size": len(config),
            },
            "layers": descs,
        }
    ).encode()
    return {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _write_blob(root, manifest),
        "size": len(manifest),
        "platform": {"os": "linux", "architecture": arch},
    }


def oci_layout(
    root: Path,
    layers: list[bytes],
    *,
    tag: str = "1.0",
    compression: str = "gzip",
    platforms: Mapping[str, list[bytes]] | None = None,
) -> Path:
    """An OCI image layout directory. With `platforms` (arch -> layers), index.json names
    one multi-platform image index carrying `tag`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    if platforms:
        entries = [_oci_manifest(root, ls, compression, arch) for arch, ls in platforms.items()]
        nested = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": entries,
            }
        ).encode()
        top = {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": _write_blob(root, nested),
            "size": len(nested),
        }
    else:
        top = _oci_manifest(root, layers, compression, "amd64")
        top.pop("platform")
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    index = {"schemaVersion": 2, "manifests": [top]}
    (root / "index.json").write_text(json.dumps(index))
    return root


def oci_archive(
    path: Path, layers: list[bytes], *, tag: str = "1.0", compression: str = "gzip"
) -> Path:
    """An oci-archive: an OCI layout packed into a tar."""
    staging = path.with_suffix(".layout")
    oci_layout(staging, layers, tag=tag, compression=compression)
    with tarfile.open(path, "w") as tar:
        for file in sorted(staging.rglob("*")):
            if file.is_file():
                _add(tar, file.relative_to(staging).as_posix(), file.read_bytes())
    return path


DEBIAN_OS_RELEASE = b"""PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""


def dpkg_record(name: str, version: str, *, arch: str = "amd64", source: str | None = None) -> str:
    text = f"Package: {name}\nStatus: install ok installed\nArchitecture: {arch}\n"
    text += f"Version: {version}\n"
    if source:
        text += f"Source: {source}\n"
    return text + "Description: test package\n more text\n"


def dpkg_status(*records: str) -> bytes:
    return "\n".join(records).encode()
